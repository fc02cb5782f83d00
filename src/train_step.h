/* train_step.h — one training step over the run's state (train_state.h):
 * the window, forward and backward, the gradient and loss summed over the
 * ranks (comm_grads.h), clip + Adam with the scalars on the device and one
 * read-back, non-finite steps skipped, test-only faults; the replica check;
 * the validation pass. */
#ifndef CHARNN_TRAIN_STEP_H
#define CHARNN_TRAIN_STEP_H

#include "train_state.h"

/* Step tr->pos.step + 1 on window (step mod windows) of the training split
 * (the carried state zeroed at window 0): applied, or skipped when its loss
 * or gradient norm is not finite (a warning; parameters and Adam
 * untouched). Returns 0, or -1 with an error when more than
 * --max-bad-steps non-finite steps came in a row. Collective. */
int train_step(trainer *tr);

/* Collective: every rank's parameters compared by CRC-64 on rank 0; -1 on
 * every rank (the error, on rank 0, names the first rank that differs) when
 * they drifted apart. */
int train_check_replicas(trainer *tr);

/* Collective: the mean loss over the whole validation split, from a zero
 * state and without dropout; touches neither the training state nor the
 * gradients. Needs a validation split (tr->data.has_val). */
double train_evaluate(trainer *tr);

#endif
