/* optim.c — clip by global norm + Adam, each a single pass over one buffer,
 * the clip factor and the finite check on the device (optim.h). */
#include "optim.h"

#include <math.h>

void optim_init(optim *o, const backend *be, size_t n, double lr, double clip)
{
    o->be = be;
    o->n = n;
    o->m = be->alloc(be, n * sizeof(real), "Adam first moment");
    o->v = be->alloc(be, n * sizeof(real), "Adam second moment");
    o->dev = be->alloc(be, 2 * sizeof(double), "step scalars");
    o->t = 0;
    o->lr = lr;
    o->clip = clip;
}

void optim_free(optim *o)
{
    o->be->free(o->be, o->m);
    o->be->free(o->be, o->v);
    o->be->free(o->be, o->dev);
}

void optim_queue(optim *o, real *params, const real *grads)
{
    const backend *be = o->be;
    double t = (double)(o->t + 1);
    be->sumsq(be, grads, o->n, o->dev + 1);
    adam_args a = {
        .lr = o->lr,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .eps = 1e-8,
        .bias_corr1 = 1.0 - pow(0.9, t),
        .bias_corr2 = 1.0 - pow(0.999, t),
        .clip = o->clip,
        .loss = o->dev,
        .sumsq = o->dev + 1,
    };
    be->adam(be, params, grads, o->m, o->v, o->n, &a);
}

double optim_finish(optim *o, double *loss_sum)
{
    double host[2];
    o->be->download(o->be, host, o->dev, sizeof host);
    double norm = sqrt(host[1]);
    *loss_sum = host[0];
    if (isfinite(host[0]) && isfinite(norm))
        o->t++;
    return norm;
}
