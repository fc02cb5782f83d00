/* trainer.h — the training run: setup (options, data, resume), the step
 * loop (forward/backward, all-reduce, clip + Adam), validation, logging and
 * checkpoints. */
#ifndef CHARNN_TRAINER_H
#define CHARNN_TRAINER_H

#include "comm.h"
#include "train_opts.h"

/* Exit statuses of charnn-train (documented in README). */
enum {
    TRAIN_EXIT_OK = 0,
    TRAIN_EXIT_ERROR = 1,     /* bad input, I/O failure */
    TRAIN_EXIT_DIVERGED = 3,  /* non-finite loss or gradient: nothing saved */
    TRAIN_EXIT_STOPPED = 75,  /* stopped by SIGTERM/SIGUSR1/SIGINT after a checkpoint
                                 (EX_TEMPFAIL: requeue and --resume auto) */
};

/* Runs training on every rank of comm; options already parsed (`set` marks
 * those given explicitly). Returns the exit status; errors are printed once. */
int trainer_run(train_options *o, unsigned char *set, const comm_info *comm);

#endif
