/* train_state.h — the state of a training run, shared by the trainer's
 * files (internal to charnn-train; trainer.h is the public face):
 *   trainer.c       setup, the step loop and its agenda, the exit
 *   batch_source.c  the text or CORPUS.h5 -> this rank's rows -> a window
 *   train_step.c    one step: forward/backward, all-reduce, clip + Adam,
 *                   skipped steps, replica checks, validation
 *   train_save.c    the checkpoint assembled from the state and written
 *   progress.c      what rank 0 prints and logs (banner, progress, metrics) */
#ifndef CHARNN_TRAIN_STATE_H
#define CHARNN_TRAIN_STATE_H

#include "backend.h"
#include "checkpoint.h"
#include "comm.h"
#include "corpus.h"
#include "corpus_h5.h"
#include "host_buffer.h"
#include "metrics.h"
#include "model.h"
#include "opts.h"
#include "optim.h"
#include "osutil.h"
#include "profile.h"
#include "shard.h"
#include "train_opts.h"
#include "trainer.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    shard_layout lay;      /* global rows of this split */
    uint32_t *ids;         /* text: the ids of this rank's rows, from row `first` on */
    corpus_h5_rows rd;     /* CORPUS.h5: this rank's rows, a block of windows at a time */
    size_t first, count;   /* this rank's rows */
    int32_t *x, *y;        /* (seq, count) host window */
    model_work w;
} split;

typedef struct {
    train_options *o;
    const comm_info *comm;
    const backend *be;
    char ckpt_path[OPT_PATH_MAX + 64]; /* resumed from / last written */
    checkpoint ck;                     /* the resumed checkpoint (until loaded) */
    int resumed;
    int nccl;                          /* gradients summed over NCCL on the GPUs */
    host_buffer staging;               /* GPU ranks without NCCL: the gradient on the host */
    corpus text;           /* the vocabulary; ids only until layout_splits */
    corpus_h5 h5;          /* --data is a CORPUS.h5 (is_h5) */
    int is_h5;
    split train, val;
    int has_val;
    model m;
    optim opt;
    uint64_t step, total;
    uint64_t bad_in_row;               /* non-finite steps in a row, skipped */
    double loss, grad_norm, val_loss;
    metrics mt;
    profile prof;                      /* --profile: this log interval's phase times */
    double t_start, t_log, t_saved, chars_log;
    uint64_t step_start;               /* the step this invocation started from */
    double t_begin;                    /* the process's start: --max-minutes counts from it */
    double t_eval;                     /* seconds the last validation pass took (0: none yet) */
} trainer;

/* trainer.c */
/* charnn-train's option table over tr->o (set: which were given). */
void options_table(trainer *tr, opt_table *t, unsigned char *set);

/* batch_source.c */
/* 1 when option `name` was given on the command line or in --config. */
int option_given(trainer *tr, unsigned char *set, const char *name);
/* --data read: a text decoded whole, or a CORPUS.h5 opened (the given_*
 * flags say which of --val-frac, --encoding, --newline were given: a
 * CORPUS.h5 fixes them). */
int load_data(trainer *tr, int given_vf, int given_enc, int given_nl);
/* The training and validation splits laid out in rows for this rank. */
int layout_splits(trainer *tr);
void split_init(trainer *tr, split *s, int train);
void split_free(trainer *tr, split *s);
/* Cuts window `window` of the split into s->x, s->y. */
void split_window(split *s, size_t window);

/* train_step.c */
/* The gradient reduction chosen (NCCL or MPI), agreed by all ranks. */
int setup_allreduce(trainer *tr);
/* One training step; -1 when too many non-finite steps came in a row. */
int train_step(trainer *tr);
/* Ranks compare a CRC-64 of their parameters; -1 on a difference. */
int check_replicas(trainer *tr);
/* Mean validation loss from a zero state, without dropout. */
double evaluate(trainer *tr);
/* --profile: charges the time since *t0 to `phase` once the backend's
 * queued work is done (a GPU runs ahead of the host); else nothing. */
void phase_lap(trainer *tr, prof_phase phase, double *t0);

/* train_save.c */
/* Writes the checkpoint of the current step (rank 0; all ranks agree). */
int save(trainer *tr);

/* progress.c */
int open_metrics(trainer *tr);
void print_banner(const trainer *tr);
void log_progress(trainer *tr);
/* A validation pass, timed, printed and logged. */
void run_eval(trainer *tr);

#endif
