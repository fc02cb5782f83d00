/* optim.c — clip by global norm + Adam, each a single pass over one buffer. */
#include "optim.h"

#include <math.h>

void optim_init(optim *o, const backend *be, size_t n, double lr, double clip)
{
    o->be = be;
    o->n = n;
    o->m = be->alloc(be, n * sizeof(real), "Adam first moment");
    o->v = be->alloc(be, n * sizeof(real), "Adam second moment");
    o->t = 0;
    o->lr = lr;
    o->clip = clip;
}

void optim_free(optim *o)
{
    o->be->free(o->be, o->m);
    o->be->free(o->be, o->v);
}

double optim_step(optim *o, real *params, const real *grads)
{
    double norm = sqrt(o->be->sumsq(o->be, grads, o->n));
    if (!isfinite(norm))
        return norm;
    o->t++;
    adam_args a = {
        .lr = o->lr,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .eps = 1e-8,
        .bias_corr1 = 1.0 - pow(0.9, (double)o->t),
        .bias_corr2 = 1.0 - pow(0.999, (double)o->t),
        .grad_scale = o->clip / fmax(norm, o->clip),
    };
    o->be->adam(o->be, params, grads, o->m, o->v, o->n, &a);
    return norm;
}
