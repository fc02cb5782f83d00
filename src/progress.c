/* progress.c — what a training run reports (see progress.h). */
#include "progress.h"

#include "error.h"

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

void progress_log(trainer *tr)
{
    const batch_split *train = &tr->data.train;
    train_clock *k = &tr->clk;
    const train_position *p = &tr->pos;
    double t = os_now(), dt = t - k->t_log;
    double cps = dt > 0 ? k->chars_log / dt : 0;
    double epoch = (double)p->step / (double)train->lay.windows;
    double per_step = dt / ((double)k->chars_log / (double)(train->lay.rows * train->lay.seq));
    char eta[32], val[64] = "";
    metrics_train(&k->mt, p->step, epoch, p->loss, p->grad_norm, cps, t - k->t_start);
    k->t_log = t;
    k->chars_log = 0;
    if (tr->o->profile)
        profile_report(&k->prof, tr->comm->rank, tr->comm->size, &k->mt, p->step);
    if (tr->comm->rank != 0)
        return;
    double left = per_step * (double)(p->total - p->step);
    if (tr->o->max_minutes > 0) /* the time limit may come first */
        left = fmin(left, fmax(0, tr->o->max_minutes * 60.0 - (t - k->t_begin)));
    format_eta(left, eta, sizeof eta);
    if (!isnan(p->val_loss))
        snprintf(val, sizeof val, "  val %.4f", p->val_loss);
    if (p->bad_in_row > 0) /* the loss shown is the last good step's */
        snprintf(val + strlen(val), sizeof val - strlen(val), "  (%llu skipped)",
                 (unsigned long long)p->bad_in_row);
    printf("step %llu/%llu  epoch %.2f  loss %.4f%s  %.0f chars/s  ETA %s\n",
           (unsigned long long)p->step, (unsigned long long)p->total, epoch, p->loss, val, cps,
           eta);
    fflush(stdout);
}

void progress_eval(trainer *tr)
{
    double epoch = (double)tr->pos.step / (double)tr->data.train.lay.windows;
    metrics_eval(&tr->clk.mt, tr->pos.step, epoch, tr->pos.val_loss, os_now() - tr->clk.t_start);
    if (tr->comm->rank == 0) {
        printf("step %llu  val_loss %.4f\n", (unsigned long long)tr->pos.step, tr->pos.val_loss);
        fflush(stdout);
    }
}

int progress_open_metrics(trainer *tr)
{
    char path[OPT_PATH_MAX + 32];
    tr->clk.mt.f = NULL;
    if (tr->comm->rank != 0)
        return 0;
    if (tr->o->metrics[0])
        snprintf(path, sizeof path, "%s", tr->o->metrics);
    else
        snprintf(path, sizeof path, "%s/metrics.jsonl", tr->o->out);
    return metrics_open(&tr->clk.mt, path, tr->resumed);
}

void progress_banner(const trainer *tr)
{
    const train_options *o = tr->o;
    const param_layout *shape = &tr->net.m.layout;
    const batch_split *train = &tr->data.train;
    if (tr->comm->rank != 0)
        return;
    const char *isa = backend_cpu_isa(tr->be);
    char device[64]; /* the CPU backend: with its kernels' instruction set */
    snprintf(device, sizeof device, isa ? "%s (%s kernels)" : "%s", tr->be->name, isa);
    printf("charnn-train: %s %zux%zu, vocab %zu, %zu params | %zu chars train, batch %zux%zu "
           "(%zu windows/epoch) | %d rank(s) (%d on this node), device %s, %s\n",
           cell_name(shape->cell), shape->layers, shape->hidden, shape->vocab, shape->n_params,
           train->lay.rows * train->lay.stride, train->lay.rows, train->lay.seq,
           train->lay.windows, tr->comm->size, tr->comm->local_size, device,
           tr->resumed ? "resuming" : "fresh start");
    char nl[160];
    if (newline_describe(&tr->data.text.nl, nl, sizeof nl)[0])
        printf("charnn-train: %s: %s\n", o->data, nl);
    if (tr->resumed)
        printf("resumed from %s at step %llu\n", tr->ckpt_path,
               (unsigned long long)tr->pos.step);
    fflush(stdout);
}
