/* trainer.c — the training run (see trainer.h): setup, the step loop with
 * its agenda (stop signals, timed saves, --max-minutes) and the exit. Setup
 * errors are agreed on collectively, so every rank exits cleanly and one
 * line is printed. The top layer of charnn-train's files (train_state.h):
 * it calls train_setup.c, train_step.c, train_save.c and progress.c. */
#include "trainer.h"

#include "error.h"
#include "progress.h"
#include "stop.h"
#include "train_save.h"
#include "train_setup.h"
#include "train_step.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int every(size_t k, uint64_t step) { return k > 0 && step % k == 0; }

enum { AGENDA_STOP = 1, AGENDA_SAVE = 2, AGENDA_TIME_UP = 4 };

/* Seconds the run still needs after its last step: the final validation
 * pass (as long as the last one took; before any, half a training step of
 * per_step seconds per validation window, a forward pass being about a
 * third of a step). */
static double final_cost(const trainer *tr, double per_step)
{
    if (!tr->data.has_val)
        return 0;
    if (tr->clk.t_eval > 0)
        return tr->clk.t_eval;
    return 0.5 * per_step * (double)tr->data.val.lay.windows;
}

/* 1 when --max-minutes (counted from the start of the process: MPI's
 * start-up and loading the data included) leaves no time for another step:
 * the next one and the final validation would end past it. At least one
 * step is taken. */
static int time_up(const trainer *tr)
{
    double now = os_now(), limit = tr->o->max_minutes * 60.0;
    double steps = (double)(tr->pos.step - tr->clk.step_start);
    if (limit <= 0 || steps == 0)
        return 0;
    double per_step = (now - tr->clk.t_start) / steps;
    return now - tr->clk.t_begin + per_step + final_cost(tr, per_step) > limit;
}

/* What this rank asks for before the next step: a stop (a signal arrived)
 * and, on rank 0 whose clock decides, a save due by --save-minutes and the
 * end of --max-minutes. Every rank acts on the OR over all ranks, so they
 * all agree. */
static int agenda(const trainer *tr)
{
    int flags = stop_signal() ? AGENDA_STOP : 0;
    double due = tr->o->save_minutes * 60.0;
    if (tr->comm->rank == 0 && due > 0 && os_now() - tr->clk.t_saved >= due)
        flags |= AGENDA_SAVE;
    if (tr->comm->rank == 0 && time_up(tr))
        flags |= AGENDA_TIME_UP;
    return flags;
}

/* --max-minutes is reached: this step is the last of the run. */
static void end_at_time_limit(trainer *tr)
{
    if (tr->comm->rank == 0) {
        printf("--max-minutes %g: ending at step %llu (of %llu)\n", tr->o->max_minutes,
               (unsigned long long)tr->pos.step, (unsigned long long)tr->pos.total);
        fflush(stdout);
    }
    tr->pos.total = tr->pos.step;
}

/* A stop signal reached some rank: checkpoint at this step boundary (all
 * ranks agreed on it) and exit with TRAIN_EXIT_STOPPED. */
static int stop_now(trainer *tr, uint64_t saved)
{
    if (saved != tr->pos.step && train_save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0) {
        printf("stopped by a signal at step %llu: checkpoint %s (continue with --resume auto)\n",
               (unsigned long long)tr->pos.step, tr->ckpt_path);
        fflush(stdout);
    }
    return TRAIN_EXIT_STOPPED;
}

/* A validation pass, timed (for --max-minutes), reported. */
static void validate(trainer *tr)
{
    double t0 = os_now();
    tr->pos.val_loss = train_evaluate(tr);
    tr->clk.t_eval = os_now() - t0;
    progress_eval(tr);
}

static int train_loop(trainer *tr)
{
    const train_options *o = tr->o;
    uint64_t saved = tr->resumed ? tr->pos.step : UINT64_MAX, evaluated = UINT64_MAX;
    int save_due = 0;
    tr->clk.t_start = tr->clk.t_log = tr->clk.t_saved = os_now();
    tr->clk.step_start = tr->pos.step;
    while (tr->pos.step < tr->pos.total) {
        int flags = comm_or(agenda(tr));
        if (flags & AGENDA_STOP)
            return stop_now(tr, saved);
        if (flags & AGENDA_TIME_UP) {
            end_at_time_limit(tr);
            break;
        }
        if (train_step(tr) != 0)
            return TRAIN_EXIT_DIVERGED;
        /* a periodic save waits for a good step: it always follows one */
        save_due |= (flags & AGENDA_SAVE) || every(o->save_every, tr->pos.step);
        int save_now = save_due && tr->pos.bad_in_row == 0;
        if (!save_now && every(o->check_every, tr->pos.step) && train_check_replicas(tr) != 0)
            return TRAIN_EXIT_ERROR;
        if (tr->data.has_val && every(o->eval_every, tr->pos.step)) {
            validate(tr);
            evaluated = tr->pos.step;
        }
        if (every(o->log_every, tr->pos.step) || tr->pos.step == tr->pos.total)
            progress_log(tr);
        if (save_now) {
            if (train_save(tr) != 0)
                return TRAIN_EXIT_ERROR;
            saved = tr->pos.step;
            save_due = 0;
        }
    }
    if (tr->data.has_val && evaluated != tr->pos.step)
        validate(tr);
    if (saved != tr->pos.step && train_save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0)
        printf("done: step %llu, checkpoint %s\n", (unsigned long long)tr->pos.step,
               tr->ckpt_path);
    return TRAIN_EXIT_OK;
}

static size_t default_threads(const comm_info *cm)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long per = cores / (cm->local_size > 0 ? cm->local_size : 1);
    return per > 0 ? (size_t)per : 1;
}

/* Collective: whether every rank succeeded; if not, the first failing rank
 * prints its error (one line for the whole job) and all return 0. */
static int agreed_ok(int ok, const comm_info *comm)
{
    int who = comm_first_failure(!ok);
    if (who == comm->rank)
        error_print();
    return who < 0;
}

int trainer_run(train_options *o, unsigned char *set, const comm_info *comm)
{
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.o = o;
    tr.comm = comm;
    tr.pos.val_loss = NAN;
    tr.clk.t_begin = os_now() - os_process_age(); /* --max-minutes counts from the start */
    backend_cpu_threads(o->threads ? o->threads : default_threads(comm));
    if (!agreed_ok(train_setup(&tr, set) == 0 && progress_open_metrics(&tr) == 0, comm)) {
        train_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    checkpoint_free(&tr.ck);
    if (!agreed_ok(train_setup_grads(&tr) == 0, comm)) {
        train_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    progress_banner(&tr);
    int rc = train_loop(&tr);
    if (rc != TRAIN_EXIT_OK && rc != TRAIN_EXIT_STOPPED && comm->rank == 0)
        error_print();
    train_release(&tr);
    return rc;
}
