/* model.h — the stacked RNN + decoder, written once over the backend:
 * parameters and gradients (one flat buffer each), the per-window
 * activations of B rows × M steps, forward and backward passes. */
#ifndef CHARNN_MODEL_H
#define CHARNN_MODEL_H

#include "backend.h"
#include "params.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const backend *be;
    param_layout layout;
    real *params; /* (n_params) device, layout above */
    real *grads;  /* (n_params) device, same layout */
} model;

/* Activations for up to `rows` rows × `seq` steps; reused across windows. */
typedef struct {
    size_t rows, seq; /* capacity B, M */
    int train;        /* buffers for the backward pass allocated */
    real *state_h;    /* (L, B, H) h carried from one window to the next */
    real *state_c;    /* (L, B, H) LSTM cell state carried, else NULL */
    real **hs;        /* L × (M+1, B, H): slot 0 the carried h, slot t+1 h_t */
    real **cs;        /* L × (M+1, B, H) LSTM only */
    real **act;       /* L × (M, B, A*H) cell activations (backend.h) */
    real **xg;        /* L × (M, B, G*H) input projections incl. b_ih */
    real **drop;      /* L × (M, B, H) dropped layer outputs (train only) */
    real *rnn_work;   /* (be->rnn_work(cell, B, H)) the recurrence's scratch */
    real *logits;     /* (M*B, V) logits, then their gradient */
    real *dy;         /* (M, B, H) gradient of a layer's output */
    real *dx;         /* (M, B, H) gradient passed to the layer below */
    real *dxg;        /* (M, B, G*H) gradient of the pre-activations */
    real *dhg;        /* (M, B, G*H) GRU: gradient through W_hh (else == dxg) */
    int32_t *x, *y;   /* (M*B) device: inputs and targets, time-major */
    double *loss;     /* (1) device: the loss sum when pass->loss_out is NULL */
} model_work;

/* What one pass does beyond the forward sweep. */
typedef struct {
    double dropout;    /* probability of dropping each layer's output; 0 = off */
    uint64_t seed;     /* dropout RNG key */
    uint32_t step;     /* dropout RNG counter: the global step */
    size_t row0;       /* global row of local row 0 */
    double grad_scale; /* != 0: backward pass, gradients of grad_scale * loss sum */
    double *loss_out;  /* NULL, or a device double that gets the loss sum, read
                        * by nobody here: model_run then never waits */
} model_pass;

void model_init(model *m, const backend *be, cell_kind cell, size_t vocab, size_t hidden,
                size_t layers);
/* PyTorch's initialisation (uniform in ±1/sqrt(H)) from the counter RNG. */
void model_init_params(model *m, uint64_t seed);
void model_free(model *m);

void model_work_init(model_work *w, const model *m, size_t rows, size_t seq, int train);
void model_work_free(model_work *w, const model *m);
/* Zeroes the carried state (start of an epoch). */
void model_work_reset(model_work *w, const model *m);

/* Forward over the first `steps` (<= seq) steps of every row from the
 * carried state, which is updated; x_host/y_host (steps * rows, time-major).
 * Returns the sum over positions of -log p(target) (0 when y_host is NULL;
 * logits then stay in w->logits), read back from the device; with
 * pass->loss_out that sum is left in *pass->loss_out instead (0 returned,
 * no wait). With pass->grad_scale != 0 also runs the backward pass:
 * m->grads = grad_scale * d(loss sum)/d(params). */
double model_run(model *m, model_work *w, size_t steps, const int32_t *x_host,
                 const int32_t *y_host, const model_pass *pass);

/* The carried state of the rows as host arrays (rows, layers, hidden), the
 * checkpoint's layout; c only for LSTM (may be NULL otherwise). */
void model_state_export(const model *m, const model_work *w, real *h, real *c);
void model_state_import(const model *m, model_work *w, const real *h, const real *c);

#endif
