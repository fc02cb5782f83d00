/* train_save.h — the checkpoint of a run assembled from its state (model,
 * Adam's moments, every global row's carried state, position, options) and
 * written by rank 0 (checkpoint.h), after the replicas were checked. */
#ifndef CHARNN_TRAIN_SAVE_H
#define CHARNN_TRAIN_SAVE_H

#include "train_state.h"

/* Collective: checks the replicas (never saves drifted parameters), then
 * rank 0 writes the checkpoint of the current step into --out (its path in
 * tr->ckpt_path). 0, or -1 on every rank when the check or the write failed. */
int train_save(trainer *tr);

#endif
