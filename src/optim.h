/* optim.h — global-norm gradient clipping and Adam over the flat buffers,
 * queued on the backend with the step's scalars kept on the device: a step
 * is optim_queue (no wait) then optim_finish (the one read-back). */
#ifndef CHARNN_OPTIM_H
#define CHARNN_OPTIM_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const backend *be;
    size_t n;     /* parameters */
    real *m;      /* (n) device: first moment */
    real *v;      /* (n) device: second moment */
    double *dev;  /* (2) device: [0] the step's loss sum (model_pass.loss_out),
                   * [1] the gradients' sum of squares */
    uint64_t t;   /* steps applied */
    double lr, clip;
} optim;

void optim_init(optim *o, const backend *be, size_t n, double lr, double clip);
void optim_free(optim *o);

/* The device double the step's loss sum must be in before optim_queue. */
static inline double *optim_loss_slot(optim *o) { return o->dev; }

/* Queues one step, waiting for nothing: norm = ||grads||_2 into the
 * device's scalars; when the loss sum and norm are both finite, grads scaled
 * by clip / max(norm, clip) (TensorFlow's clip_by_global_norm, as in the
 * notebooks) and one Adam step (PyTorch's, betas 0.9/0.999, eps 1e-8) as
 * step t + 1; otherwise nothing changes. */
void optim_queue(optim *o, real *params, const real *grads);

/* Reads the step's scalars back (the step's one host wait): *loss_sum gets
 * the loss sum; t += 1 when the step was applied. Returns the norm. */
double optim_finish(optim *o, double *loss_sum);

#endif
