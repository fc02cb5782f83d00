/* progress.c — what rank 0 prints and logs (train_state.h): the banner,
 * a progress line with its ETA every --log-every steps, validation lines,
 * and the metrics file. */
#include "error.h"
#include "train_state.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void format_eta(double s, char *buf, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

void log_progress(trainer *tr)
{
    double t = os_now(), dt = t - tr->t_log;
    double cps = dt > 0 ? tr->chars_log / dt : 0;
    double epoch = (double)tr->step / (double)tr->train.lay.windows;
    double per_step = dt / ((double)tr->chars_log / (double)(tr->o->batch * tr->o->seq));
    char eta[32], val[64] = "";
    metrics_train(&tr->mt, tr->step, epoch, tr->loss, tr->grad_norm, cps, t - tr->t_start);
    tr->t_log = t;
    tr->chars_log = 0;
    if (tr->o->profile)
        profile_report(&tr->prof, tr->comm->rank, tr->comm->size, &tr->mt, tr->step);
    if (tr->comm->rank != 0)
        return;
    double left = per_step * (double)(tr->total - tr->step);
    if (tr->o->max_minutes > 0) /* the time limit may come first */
        left = fmin(left, fmax(0, tr->o->max_minutes * 60.0 - (t - tr->t_begin)));
    format_eta(left, eta, sizeof eta);
    if (!isnan(tr->val_loss))
        snprintf(val, sizeof val, "  val %.4f", tr->val_loss);
    if (tr->bad_in_row > 0) /* the loss shown is the last good step's */
        snprintf(val + strlen(val), sizeof val - strlen(val), "  (%llu skipped)",
                 (unsigned long long)tr->bad_in_row);
    printf("step %llu/%llu  epoch %.2f  loss %.4f%s  %.0f chars/s  ETA %s\n",
           (unsigned long long)tr->step, (unsigned long long)tr->total, epoch, tr->loss, val,
           cps, eta);
    fflush(stdout);
}

void run_eval(trainer *tr)
{
    double t0 = os_now();
    tr->val_loss = evaluate(tr);
    tr->t_eval = os_now() - t0;
    double epoch = (double)tr->step / (double)tr->train.lay.windows;
    metrics_eval(&tr->mt, tr->step, epoch, tr->val_loss, os_now() - tr->t_start);
    if (tr->comm->rank == 0) {
        printf("step %llu  val_loss %.4f\n", (unsigned long long)tr->step, tr->val_loss);
        fflush(stdout);
    }
}

int open_metrics(trainer *tr)
{
    char path[OPT_PATH_MAX + 32];
    tr->mt.f = NULL;
    if (tr->comm->rank != 0)
        return 0;
    if (tr->o->metrics[0])
        snprintf(path, sizeof path, "%s", tr->o->metrics);
    else
        snprintf(path, sizeof path, "%s/metrics.jsonl", tr->o->out);
    return metrics_open(&tr->mt, path, tr->resumed);
}

void print_banner(const trainer *tr)
{
    const train_options *o = tr->o;
    if (tr->comm->rank != 0)
        return;
    const char *isa = backend_cpu_isa(tr->be);
    char device[64]; /* the CPU backend: with its kernels' instruction set */
    snprintf(device, sizeof device, isa ? "%s (%s kernels)" : "%s", tr->be->name, isa);
    printf("charnn-train: %s %zux%zu, vocab %zu, %zu params | %zu chars train, batch %zux%zu "
           "(%zu windows/epoch) | %d rank(s) (%d on this node), device %s, %s\n",
           o->cell, o->layers, o->hidden, tr->text.vocab_size, tr->m.layout.n_params,
           tr->train.lay.rows * tr->train.lay.stride, o->batch, o->seq, tr->train.lay.windows,
           tr->comm->size, tr->comm->local_size, device, tr->resumed ? "resuming" : "fresh start");
    char nl[160];
    if (newline_describe(&tr->text.nl, nl, sizeof nl)[0])
        printf("charnn-train: %s: %s\n", o->data, nl);
    if (tr->resumed)
        printf("resumed from %s at step %llu\n", tr->ckpt_path, (unsigned long long)tr->step);
    fflush(stdout);
}
