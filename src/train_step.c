/* train_step.c — one training step, the replica check and the validation
 * pass (see train_step.h). */
#include "train_step.h"

#include "batch_source.h"
#include "crc64.h"
#include "error.h"
#include "fault.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The non-finite value's name ("nan", "inf", "-inf": printf's %g may
 * write "-nan"). */
static const char *nonfinite_name(double x) { return isnan(x) ? "nan" : x > 0 ? "inf" : "-inf"; }

/* A step whose loss or gradient norm is not finite (`what` is x): not
 * applied (parameters and Adam untouched), its batch consumed, the carried
 * state reset (it may hold the NaN), with a warning. More than
 * --max-bad-steps of them in a row stop the run (exit 3) without saving:
 * the newest checkpoint stays the last good one. */
static int skip_step(trainer *tr, const char *what, double x)
{
    uint64_t number = ++tr->pos.step;
    tr->pos.bad_in_row++;
    model_work_reset(&tr->net.train_w, &tr->net.m);
    if (tr->pos.bad_in_row <= tr->o->max_bad_steps) {
        if (tr->comm->rank == 0)
            warn_print("%s is non-finite (%s) at step %llu: step skipped, carried state reset "
                       "(%llu in a row; --max-bad-steps %zu)",
                       what, nonfinite_name(x), (unsigned long long)number,
                       (unsigned long long)tr->pos.bad_in_row, tr->o->max_bad_steps);
        return 0;
    }
    char newest[sizeof tr->ckpt_path + 128] = "no checkpoint was written";
    if (tr->ckpt_path[0])
        snprintf(newest, sizeof newest, "the newest checkpoint, %s, is intact (if it diverges "
                 "again, resume from an older one with a lower --lr)", tr->ckpt_path);
    return error_set("%s is non-finite (%s) at step %llu, %llu bad step(s) in a row (more than "
                     "--max-bad-steps %zu): stopping without saving (lower --lr?); %s",
                     what, nonfinite_name(x), (unsigned long long)number,
                     (unsigned long long)tr->pos.bad_in_row, tr->o->max_bad_steps, newest);
}

/* Test-only faults (fault.h) of step `number`, on rank 0 before the
 * all-reduce, so every rank sees them through it. */
static void inject_step_faults(trainer *tr, uint64_t number)
{
    if (tr->comm->rank != 0)
        return;
    if (fault_at_step("nan-grad", number)) {
        real nan = NAN;
        tr->be->upload(tr->be, tr->net.m.grads, &nan, sizeof nan);
    }
    if (fault_at_step("inf-loss", number)) {
        double inf = INFINITY;
        tr->be->upload(tr->be, optim_loss_slot(&tr->net.opt), &inf, sizeof inf);
    }
    if (fault_at_step("leak", number))
        fault_leak(number);
}

/* Test-only: after step `number`, the last rank's first parameter moves by
 * one ulp (the drift the replica check must catch). */
static void inject_drift(trainer *tr, uint64_t number)
{
    real p;
    if (tr->comm->rank != tr->comm->size - 1 || !fault_at_step("drift", number))
        return;
    tr->be->download(tr->be, &p, tr->net.m.params, sizeof p);
    p = nextafterf(p, INFINITY);
    tr->be->upload(tr->be, tr->net.m.params, &p, sizeof p);
}

int train_step(trainer *tr)
{
    const train_options *o = tr->o;
    batch_split *s = &tr->data.train;
    train_net *net = &tr->net;
    assert(net->built && net->grads.ops && s->lay.windows > 0);
    size_t window = tr->pos.step % s->lay.windows;
    double t0 = os_now();
    if (window == 0)
        model_work_reset(&net->train_w, &net->m);
    batch_window(s, window);
    train_phase_lap(tr, PROF_DATA, &t0);
    double global = (double)(s->lay.rows * s->lay.seq);
    /* queued with the loss, norm, clip factor and finite check on the
     * device; optim_finish is the step's one read-back */
    double *loss = optim_loss_slot(&net->opt);
    model_pass pass = {.dropout = o->dropout,
                       .seed = o->seed,
                       .step = (uint32_t)tr->pos.step,
                       .row0 = s->first,
                       .grad_scale = 1.0 / global,
                       .loss_out = loss};
    model_run(&net->m, &net->train_w, s->lay.seq, s->x, s->y, &pass);
    inject_step_faults(tr, tr->pos.step + 1);
    train_phase_lap(tr, PROF_COMPUTE, &t0);
    comm_grads_sum(&net->grads, net->m.grads, loss);
    train_phase_lap(tr, PROF_ALLREDUCE, &t0);
    tr->clk.prof.steps++;
    tr->clk.chars_log += global;
    optim_queue(&net->opt, net->m.params, net->m.grads);
    double loss_sum, norm = optim_finish(&net->opt, &loss_sum);
    comm_grads_check(&net->grads);
    train_phase_lap(tr, PROF_OPTIM, &t0);
    if (!isfinite(loss_sum))
        return skip_step(tr, "training loss", loss_sum);
    if (!isfinite(norm))
        return skip_step(tr, "gradient norm", norm);
    tr->pos.loss = loss_sum / global;
    tr->pos.grad_norm = norm;
    tr->pos.bad_in_row = 0;
    tr->pos.step++;
    inject_drift(tr, tr->pos.step);
    return 0;
}

/* The replicas must not drift apart: every rank's parameters are bitwise
 * the same (each applies the same update to the same all-reduced
 * gradient). Compares their CRC-64 on rank 0; -1 on every rank, with the
 * error on rank 0 naming the first rank that differs, when not. */
int train_check_replicas(trainer *tr)
{
    const comm_info *cm = tr->comm;
    size_t n = tr->net.m.layout.n_params;
    if (cm->size == 1)
        return 0;
    real *host = xmalloc(n * sizeof *host, "replica check");
    tr->be->download(tr->be, host, tr->net.m.params, n * sizeof *host);
    uint64_t crc = crc64_update(0, host, n * sizeof *host), *all = NULL;
    free(host);
    size_t *bytes = xmalloc((size_t)cm->size * sizeof *bytes, "replica check");
    for (int r = 0; r < cm->size; r++)
        bytes[r] = sizeof crc;
    if (cm->rank == 0)
        all = xmalloc((size_t)cm->size * sizeof *all, "replica check");
    comm_gather(&crc, all, bytes, 0);
    free(bytes);
    int bad = -1;
    for (int r = 1; cm->rank == 0 && bad < 0 && r < cm->size; r++)
        if (all[r] != all[0])
            bad = r;
    comm_bcast(&bad, sizeof bad, 0);
    if (bad >= 0 && cm->rank == 0)
        error_set("rank %d's parameters differ from rank 0's after step %llu (CRC-64 %016llx, "
                  "rank 0: %016llx): the replicas drifted apart; stopping without saving (the "
                  "newest checkpoint: %s)",
                  bad, (unsigned long long)tr->pos.step, (unsigned long long)all[bad],
                  (unsigned long long)all[0], tr->ckpt_path[0] ? tr->ckpt_path : "none");
    free(all);
    return bad >= 0 ? -1 : 0;
}

/* Mean loss over the whole validation split, from a zero state, no dropout;
 * touches neither the training state nor the gradients. */
double train_evaluate(trainer *tr)
{
    batch_split *s = &tr->data.val;
    train_net *net = &tr->net;
    assert(tr->data.has_val && net->built);
    model_pass pass = {0};
    double sum = 0, t0 = os_now();
    model_work_reset(&net->val_w, &net->m);
    for (size_t j = 0; j < s->lay.windows; j++) {
        batch_window(s, j);
        sum += model_run(&net->m, &net->val_w, s->lay.seq, s->x, s->y, &pass);
    }
    comm_allreduce_double(&sum, 1);
    train_phase_lap(tr, PROF_EVAL, &t0);
    return sum / (double)(s->lay.rows * s->lay.seq * s->lay.windows);
}
