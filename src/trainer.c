/* trainer.c — the training run (see trainer.h): setup (options, resume,
 * data, model), the step loop with its agenda (stop signals, timed saves,
 * --max-minutes) and the exit. Setup errors are agreed on collectively, so
 * every rank exits cleanly and one line is printed. The pieces it calls live
 * in batch_source.c, train_step.c, train_save.c and progress.c
 * (train_state.h). */
#include "trainer.h"

#include "error.h"
#include "resume.h"
#include "stop.h"
#include "train_state.h"
#ifdef CHARNN_WITH_CUDA
#include "backend_cuda.h"
#endif
#ifdef CHARNN_WITH_NCCL
#include "comm_nccl.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void options_table(trainer *tr, opt_table *t, unsigned char *set)
{
    train_opts_table(t, tr->o, set);
}

/* --resume: the first good candidate, its options merged (resume.h). */
static int load_resume(trainer *tr, unsigned char *set)
{
    char **paths;
    size_t n;
    if (!tr->o->resume[0])
        return 0;
    if (checkpoint_candidates(tr->o->resume, tr->o->out, &paths, &n) != 0)
        return -1;
    int rc = resume_read_first_good(paths, n, tr->o->out, tr->comm->rank, &tr->ck, tr->ckpt_path,
                                    sizeof tr->ckpt_path);
    checkpoint_candidates_free(paths, n);
    if (rc <= 0)
        return rc;
    tr->resumed = 1;
    opt_table t;
    options_table(tr, &t, set);
    return resume_merge_options(&t, tr->o, &tr->ck, tr->ckpt_path);
}

/* Frees whatever trainer_run set up, also after a setup that stopped part
 * way (the trainer starts zeroed; model_setup creates the model, Adam and
 * both splits' work areas together). */
static void trainer_release(trainer *tr)
{
    metrics_close(&tr->mt);
    split_free(tr, &tr->train);
    if (tr->has_val)
        split_free(tr, &tr->val);
    if (tr->m.be) {
        optim_free(&tr->opt);
        model_free(&tr->m);
    }
    host_buffer_free(&tr->staging);
#ifdef CHARNN_WITH_NCCL
    if (tr->nccl)
        comm_nccl_free();
#endif
    backend_release(tr->be); /* after what used its stream */
    tr->be = NULL;
    checkpoint_free(&tr->ck);
    corpus_free(&tr->text);
    if (tr->is_h5)
        corpus_h5_close(&tr->h5);
}

static int model_setup(trainer *tr)
{
    const train_options *o = tr->o;
    cell_kind cell;
    if (cell_parse(o->cell, &cell) != 0)
        return -1;
    model_init(&tr->m, tr->be, cell, tr->text.vocab_size, o->hidden, o->layers);
    optim_init(&tr->opt, tr->be, tr->m.layout.n_params, o->lr, o->grad_clip);
    split_init(tr, &tr->train, 1);
    if (tr->has_val)
        split_init(tr, &tr->val, 0);
    if (!tr->resumed) {
        model_init_params(&tr->m, o->seed);
        return 0;
    }
    const checkpoint *ck = &tr->ck;
    if (ck->windows != tr->train.lay.windows || ck->rows != o->batch || ck->seq != o->seq)
        return error_set("checkpoint '%s' was trained with %llu windows of %llu x %llu per "
                         "epoch; this data gives %zu: resume needs the same text and options",
                         tr->ckpt_path, (unsigned long long)ck->windows,
                         (unsigned long long)ck->rows, (unsigned long long)ck->seq,
                         tr->train.lay.windows);
    size_t bytes = tr->m.layout.n_params * sizeof(real);
    tr->be->upload(tr->be, tr->m.params, ck->params, bytes);
    tr->be->upload(tr->be, tr->opt.m, ck->adam_m, bytes);
    tr->be->upload(tr->be, tr->opt.v, ck->adam_v, bytes);
    tr->opt.t = ck->adam_t;
    tr->step = ck->step;
    tr->bad_in_row = ck->bad_steps;
    tr->loss = ck->loss;
    size_t stride = o->layers * o->hidden;
    model_state_import(&tr->m, &tr->train.w, ck->h + tr->train.first * stride,
                       ck->c ? ck->c + tr->train.first * stride : NULL);
    return 0;
}

static int setup(trainer *tr, unsigned char *set)
{
    const train_options *o = tr->o;
    /* before the checkpoint's options are merged into `set` */
    int given_vf = option_given(tr, set, "val-frac");
    int given_enc = option_given(tr, set, "encoding");
    int given_nl = option_given(tr, set, "newline");
    int given_data = option_given(tr, set, "data");
    if (load_resume(tr, set) != 0)
        return -1;
    if (!o->data[0])
        return error_set("no training text: pass --data FILE (or data = FILE in --config)");
    if (backend_select(o->device, tr->comm->local_rank, &tr->be) != 0)
        return -1;
#ifdef CHARNN_WITH_CUDA
    if (tr->be != backend_cpu()) {
        backend_cuda_tf32(tr->be, o->tf32);
        backend_cuda_rnn_kernel(tr->be, strcmp(o->rnn_kernel, "persistent") == 0);
    }
#endif
    if (load_data(tr, given_vf, given_enc, given_nl) != 0) /* the path may be the checkpoint's */
        return tr->resumed && !given_data
                   ? error_context("resuming from checkpoint '%s' (its --data)", tr->ckpt_path)
                   : -1;
    if (tr->resumed && resume_check_vocab(&tr->text, &tr->ck, tr->o->data, tr->ckpt_path) != 0)
        return -1;
    if (layout_splits(tr) != 0)
        return -1;
    free(tr->text.ids); /* each rank keeps only its rows' ids (split_data) */
    tr->text.ids = NULL;
    tr->total = o->steps ? o->steps : o->epochs * tr->train.lay.windows;
    return model_setup(tr);
}

static int every(size_t k, uint64_t step) { return k > 0 && step % k == 0; }

enum { AGENDA_STOP = 1, AGENDA_SAVE = 2, AGENDA_TIME_UP = 4 };

/* Seconds the run still needs after its last step: the final validation
 * pass (as long as the last one took; before any, half a training step of
 * per_step seconds per validation window, a forward pass being about a
 * third of a step). */
static double final_cost(const trainer *tr, double per_step)
{
    if (!tr->has_val)
        return 0;
    if (tr->t_eval > 0)
        return tr->t_eval;
    return 0.5 * per_step * (double)tr->val.lay.windows;
}

/* 1 when --max-minutes (counted from the start of the process: MPI's
 * start-up and loading the data included) leaves no time for another step:
 * the next one and the final validation would end past it. At least one
 * step is taken. */
static int time_up(const trainer *tr)
{
    double now = os_now(), limit = tr->o->max_minutes * 60.0;
    double steps = (double)(tr->step - tr->step_start);
    if (limit <= 0 || steps == 0)
        return 0;
    double per_step = (now - tr->t_start) / steps;
    return now - tr->t_begin + per_step + final_cost(tr, per_step) > limit;
}

/* What this rank asks for before the next step: a stop (a signal arrived)
 * and, on rank 0 whose clock decides, a save due by --save-minutes and the
 * end of --max-minutes. Every rank acts on the OR over all ranks, so they
 * all agree. */
static int agenda(const trainer *tr)
{
    int flags = stop_signal() ? AGENDA_STOP : 0;
    double due = tr->o->save_minutes * 60.0;
    if (tr->comm->rank == 0 && due > 0 && os_now() - tr->t_saved >= due)
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
               (unsigned long long)tr->step, (unsigned long long)tr->total);
        fflush(stdout);
    }
    tr->total = tr->step;
}

/* A stop signal reached some rank: checkpoint at this step boundary (all
 * ranks agreed on it) and exit with TRAIN_EXIT_STOPPED. */
static int stop_now(trainer *tr, uint64_t saved)
{
    if (saved != tr->step && save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0) {
        printf("stopped by a signal at step %llu: checkpoint %s (continue with --resume auto)\n",
               (unsigned long long)tr->step, tr->ckpt_path);
        fflush(stdout);
    }
    return TRAIN_EXIT_STOPPED;
}

static int train_loop(trainer *tr)
{
    const train_options *o = tr->o;
    uint64_t saved = tr->resumed ? tr->step : UINT64_MAX, evaluated = UINT64_MAX;
    int save_due = 0;
    tr->t_start = tr->t_log = tr->t_saved = os_now();
    tr->step_start = tr->step;
    while (tr->step < tr->total) {
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
        save_due |= (flags & AGENDA_SAVE) || every(o->save_every, tr->step);
        int save_now = save_due && tr->bad_in_row == 0;
        if (!save_now && every(o->check_every, tr->step) && check_replicas(tr) != 0)
            return TRAIN_EXIT_ERROR;
        if (tr->has_val && every(o->eval_every, tr->step)) {
            run_eval(tr);
            evaluated = tr->step;
        }
        if (every(o->log_every, tr->step) || tr->step == tr->total)
            log_progress(tr);
        if (save_now) {
            if (save(tr) != 0)
                return TRAIN_EXIT_ERROR;
            saved = tr->step;
            save_due = 0;
        }
    }
    if (tr->has_val && evaluated != tr->step)
        run_eval(tr);
    if (saved != tr->step && save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0)
        printf("done: step %llu, checkpoint %s\n", (unsigned long long)tr->step,
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
    tr.val_loss = NAN;
    tr.t_begin = os_now() - os_process_age(); /* --max-minutes counts from the start */
    backend_cpu_threads(o->threads ? o->threads : default_threads(comm));
    if (!agreed_ok(setup(&tr, set) == 0 && open_metrics(&tr) == 0, comm)) {
        trainer_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    checkpoint_free(&tr.ck);
    if (!agreed_ok(setup_allreduce(&tr) == 0, comm)) {
        trainer_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    print_banner(&tr);
    int rc = train_loop(&tr);
    if (rc != TRAIN_EXIT_OK && rc != TRAIN_EXIT_STOPPED && comm->rank == 0)
        error_print();
    trainer_release(&tr);
    return rc;
}
