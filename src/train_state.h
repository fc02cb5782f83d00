/* train_state.h — the state of a training run, in parts, each kept by one
 * layer of charnn-train's files (internal; trainer.h is the public face).
 * The layers, each calling only the ones below it (tools/include_cycles.py
 * checks that no file's calls come back to it):
 *   trainer.c       the run: setup, the step loop and its agenda, the exit
 *   train_setup.c   setup and release: options, resume, data, model, the
 *                   gradient sum (train_net)
 *   train_save.c    the checkpoint assembled from the state and written
 *   train_step.c    one step, the replica check, the validation pass
 *   batch_source.c  the text or CORPUS.h5 -> this rank's rows -> a window
 *   progress.c      what rank 0 prints and logs (train_clock)
 * The model's shape is its layout (model.layout); nothing reads it from the
 * options after setup. */
#ifndef CHARNN_TRAIN_STATE_H
#define CHARNN_TRAIN_STATE_H

#include "backend.h"
#include "batch_source.h"
#include "checkpoint.h"
#include "comm.h"
#include "comm_grads.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "osutil.h"
#include "profile.h"
#include "train_opts.h"

#include <stddef.h>
#include <stdint.h>

/* The model side (train_setup.c builds it): parameters and gradients, Adam,
 * the activations of each split's rows, the gradient sum over the ranks. */
typedef struct {
    model m;             /* m.layout: the model's shape */
    optim opt;
    model_work train_w, val_w;
    comm_grads grads;
    int built;           /* model, optim and work areas exist */
} train_net;

/* Where the run stands (train_step.c advances it). */
typedef struct {
    uint64_t step, total;
    uint64_t bad_in_row; /* non-finite steps in a row, skipped */
    double loss, grad_norm, val_loss;
} train_position;

/* Clocks, counters and the reports' outputs (progress.c). */
typedef struct {
    metrics mt;
    profile prof;        /* --profile: this log interval's phase times */
    double t_start, t_log, t_saved, chars_log;
    uint64_t step_start; /* the step this invocation started from */
    double t_begin;      /* the process's start: --max-minutes counts from it */
    double t_eval;       /* seconds the last validation pass took (0: none yet) */
} train_clock;

typedef struct {
    train_options *o;
    const comm_info *comm;
    const backend *be;
    char ckpt_path[OPT_PATH_MAX + 64]; /* resumed from / last written */
    checkpoint ck;                     /* the resumed checkpoint (until loaded) */
    int resumed;
    batch_source data;
    train_net net;
    train_position pos;
    train_clock clk;
} trainer;

/* --profile: charges the time since *t0 to `phase` once the backend's
 * queued work is done (a GPU runs ahead of the host); else nothing. */
static inline void train_phase_lap(trainer *tr, prof_phase phase, double *t0)
{
    if (!tr->o->profile)
        return;
    tr->be->sync(tr->be);
    profile_lap(&tr->clk.prof, phase, t0);
}

#endif
