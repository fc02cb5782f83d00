/* train_step.c — one training step (train_state.h): forward and backward,
 * the gradient summed over the ranks (NCCL or MPI), clip + Adam with the
 * scalars on the device, non-finite steps skipped, test-only faults, the
 * replica check and the validation pass. */
#include "crc64.h"
#include "device_agree.h"
#include "error.h"
#include "fault.h"
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

/* Seconds an NCCL call may take before the job is ended (a dead or stuck peer). */
enum { NCCL_TIMEOUT_S = 300 };

/* The ranks agree on the device kind and on NCCL (device_agree.h) before
 * any NCCL call; GPU ranks without NCCL stage the gradient through one
 * persistent (pinned) host buffer. Collective: called on every rank after
 * setup. */
int setup_allreduce(trainer *tr)
{
    const comm_info *cm = tr->comm;
    device_plan plan;
    if (device_agree(cm, tr->o->device, tr->be != backend_cpu(), &plan) != 0)
        return -1;
    if (plan.fake && cm->rank == 0)
        printf("charnn-train: CHARNN_FAKE_GPUS: %d rank(s), %s\n", cm->size,
               device_plan_name(&plan));
    if (cm->size == 1 || tr->be == backend_cpu())
        return 0;
#ifdef CHARNN_WITH_NCCL
    if (plan.nccl) {
        tr->nccl = 1;
        return comm_nccl_init(cm, backend_cuda_stream(tr->be), NCCL_TIMEOUT_S);
    }
#endif
    host_buffer_alloc(&tr->staging, tr->m.layout.n_params * sizeof(float),
                      "gradient staging buffer");
    return 0;
}

/* The step's loss sum (a device double, optim_loss_slot) summed over the
 * ranks through the host (one wait on a GPU; only with several ranks). */
static void allreduce_loss(trainer *tr)
{
    double *slot = optim_loss_slot(&tr->opt), loss;
    tr->be->download(tr->be, &loss, slot, sizeof loss);
    comm_allreduce_double(&loss, 1);
    tr->be->upload(tr->be, slot, &loss, sizeof loss);
}

/* Sums the gradient and the loss over the ranks: NCCL on the GPUs, else
 * MPI on host memory (the CPU backend's buffers are host memory; others are
 * staged). An NCCL failure (a dead or stuck peer) ends the whole job. One
 * rank: nothing, no wait. */
static void allreduce_grads(trainer *tr)
{
    if (tr->comm->size == 1)
        return;
    allreduce_loss(tr);
    size_t n = tr->m.layout.n_params;
#ifdef CHARNN_WITH_NCCL
    if (tr->nccl) {
        if (comm_nccl_allreduce(tr->m.grads, n, NCCL_TIMEOUT_S) != 0)
            error_fatal("rank %d: %s", tr->comm->rank, error_message());
        return;
    }
#endif
    if (tr->be == backend_cpu()) {
        comm_allreduce_float(tr->m.grads, n);
        return;
    }
    float *host = tr->staging.p; /* setup_allreduce */
    tr->be->download(tr->be, host, tr->m.grads, n * sizeof *host);
    comm_allreduce_float(host, n);
    tr->be->upload(tr->be, tr->m.grads, host, n * sizeof *host);
}

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
    uint64_t number = ++tr->step;
    tr->bad_in_row++;
    model_work_reset(&tr->train.w, &tr->m);
    if (tr->bad_in_row <= tr->o->max_bad_steps) {
        if (tr->comm->rank == 0)
            warn_print("%s is non-finite (%s) at step %llu: step skipped, carried state reset "
                       "(%llu in a row; --max-bad-steps %zu)",
                       what, nonfinite_name(x), (unsigned long long)number,
                       (unsigned long long)tr->bad_in_row, tr->o->max_bad_steps);
        return 0;
    }
    char newest[sizeof tr->ckpt_path + 128] = "no checkpoint was written";
    if (tr->ckpt_path[0])
        snprintf(newest, sizeof newest, "the newest checkpoint, %s, is intact (if it diverges "
                 "again, resume from an older one with a lower --lr)", tr->ckpt_path);
    return error_set("%s is non-finite (%s) at step %llu, %llu bad step(s) in a row (more than "
                     "--max-bad-steps %zu): stopping without saving (lower --lr?); %s",
                     what, nonfinite_name(x), (unsigned long long)number,
                     (unsigned long long)tr->bad_in_row, tr->o->max_bad_steps, newest);
}

/* Test-only faults (fault.h) of step `number`, on rank 0 before the
 * all-reduce, so every rank sees them through it. */
static void inject_step_faults(trainer *tr, uint64_t number)
{
    if (tr->comm->rank != 0)
        return;
    if (fault_at_step("nan-grad", number)) {
        real nan = NAN;
        tr->be->upload(tr->be, tr->m.grads, &nan, sizeof nan);
    }
    if (fault_at_step("inf-loss", number)) {
        double inf = INFINITY;
        tr->be->upload(tr->be, optim_loss_slot(&tr->opt), &inf, sizeof inf);
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
    tr->be->download(tr->be, &p, tr->m.params, sizeof p);
    p = nextafterf(p, INFINITY);
    tr->be->upload(tr->be, tr->m.params, &p, sizeof p);
}

/* profile_lap after the backend's queued work has finished (with
 * --profile only: a GPU runs ahead of the host, and the time of a phase
 * would be charged to the next one that waits). */
void phase_lap(trainer *tr, prof_phase phase, double *t0)
{
    if (!tr->o->profile)
        return;
    tr->be->sync(tr->be);
    profile_lap(&tr->prof, phase, t0);
}

int train_step(trainer *tr)
{
    const train_options *o = tr->o;
    split *s = &tr->train;
    size_t window = tr->step % s->lay.windows;
    double t0 = os_now();
    if (window == 0)
        model_work_reset(&s->w, &tr->m);
    split_window(s, window);
    phase_lap(tr, PROF_DATA, &t0);
    double global = (double)(s->lay.rows * s->lay.seq);
    /* queued with the loss, norm, clip factor and finite check on the
     * device; optim_finish is the step's one read-back (one rank) */
    model_pass pass = {.dropout = o->dropout,
                       .seed = o->seed,
                       .step = (uint32_t)tr->step,
                       .row0 = s->first,
                       .grad_scale = 1.0 / global,
                       .loss_out = optim_loss_slot(&tr->opt)};
    model_run(&tr->m, &s->w, s->lay.seq, s->x, s->y, &pass);
    inject_step_faults(tr, tr->step + 1);
    phase_lap(tr, PROF_COMPUTE, &t0);
    allreduce_grads(tr);
    phase_lap(tr, PROF_ALLREDUCE, &t0);
    tr->prof.steps++;
    tr->chars_log += global;
    optim_queue(&tr->opt, tr->m.params, tr->m.grads);
    double loss_sum, norm = optim_finish(&tr->opt, &loss_sum);
    phase_lap(tr, PROF_OPTIM, &t0);
    if (!isfinite(loss_sum))
        return skip_step(tr, "training loss", loss_sum);
    if (!isfinite(norm))
        return skip_step(tr, "gradient norm", norm);
    tr->loss = loss_sum / global;
    tr->grad_norm = norm;
    tr->bad_in_row = 0;
    tr->step++;
    inject_drift(tr, tr->step);
    return 0;
}

/* The replicas must not drift apart: every rank's parameters are bitwise
 * the same (each applies the same update to the same all-reduced
 * gradient). Compares their CRC-64 on rank 0; -1 on every rank, with the
 * error on rank 0 naming the first rank that differs, when not. */
int check_replicas(trainer *tr)
{
    const comm_info *cm = tr->comm;
    size_t n = tr->m.layout.n_params;
    if (cm->size == 1)
        return 0;
    real *host = xmalloc(n * sizeof *host, "replica check");
    tr->be->download(tr->be, host, tr->m.params, n * sizeof *host);
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
                  bad, (unsigned long long)tr->step, (unsigned long long)all[bad],
                  (unsigned long long)all[0], tr->ckpt_path[0] ? tr->ckpt_path : "none");
    free(all);
    return bad >= 0 ? -1 : 0;
}

/* Mean loss over the whole validation split, from a zero state, no dropout;
 * touches neither the training state nor the gradients. */
double evaluate(trainer *tr)
{
    split *s = &tr->val;
    model_pass pass = {0};
    double sum = 0, t0 = os_now();
    model_work_reset(&s->w, &tr->m);
    for (size_t j = 0; j < s->lay.windows; j++) {
        split_window(s, j);
        sum += model_run(&tr->m, &s->w, s->lay.seq, s->x, s->y, &pass);
    }
    comm_allreduce_double(&sum, 1);
    phase_lap(tr, PROF_EVAL, &t0);
    return sum / (double)(s->lay.rows * s->lay.seq * s->lay.windows);
}
