/* train_setup.h — a training run set up and released: the options (a
 * --resume checkpoint's merged in), the backend, --data and its splits,
 * the model and Adam (fresh, or the checkpoint's), the work areas, and the
 * gradient sum the ranks agree on. */
#ifndef CHARNN_TRAIN_SETUP_H
#define CHARNN_TRAIN_SETUP_H

#include "train_state.h"

/* Sets up *tr (zeroed but for o, comm and clk.t_begin) on this rank: -1
 * with an error, which the caller agrees on over the ranks (a partial
 * setup is released by train_release). `set` marks the options given; the
 * checkpoint's are merged into it. Not collective. */
int train_setup(trainer *tr, unsigned char *set);

/* Collective, after every rank's train_setup succeeded: the ranks agree on
 * the device kind and on NCCL (device_agree.h), then open the gradient sum
 * (comm_grads.h). -1 on every rank with the same error. */
int train_setup_grads(trainer *tr);

/* Frees whatever train_setup and train_setup_grads built, also after a
 * setup that stopped part way; the backend last but one (the gradient sum
 * may use its stream), then the data. */
void train_release(trainer *tr);

#endif
