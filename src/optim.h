/* optim.h — global-norm gradient clipping and Adam over the flat buffers. */
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
    uint64_t t;   /* steps applied */
    double lr, clip;
} optim;

void optim_init(optim *o, const backend *be, size_t n, double lr, double clip);
void optim_free(optim *o);

/* norm = ||grads||_2; when finite, scales grads by clip / max(norm, clip)
 * (TensorFlow's clip_by_global_norm, as in the notebooks) and applies one
 * Adam step (PyTorch's, betas 0.9/0.999, eps 1e-8), t += 1. Returns the
 * norm; a non-finite norm changes nothing. */
double optim_step(optim *o, real *params, const real *grads);

#endif
