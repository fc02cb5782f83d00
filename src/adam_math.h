/* adam_math.h — the arithmetic of one optimizer step, the one definition for
 * the CPU backend (backend_cpu.c, a loop over elements) and the CUDA kernel
 * (kernels/adam.cu, a thread per element), as cell_math.h is for the cells:
 * TensorFlow's clip by global norm (the notebooks') then PyTorch's Adam. */
#ifndef CHARNN_ADAM_MATH_H
#define CHARNN_ADAM_MATH_H

#include "real.h"

#ifdef __CUDACC__
#define ADAM_FN static __host__ __device__ __forceinline__
#else
#include <math.h>
#define ADAM_FN static inline
#endif
#ifdef CHARNN_DOUBLE
#define ADAM_SQRT sqrt
#else
#define ADAM_SQRT sqrtf /* in float, as the parameters are */
#endif

/* The step's constants in the model's type, computed once on the host. */
typedef struct {
    real b1, b2, one_minus_b1, one_minus_b2;
    real step;         /* lr / (1 - beta1^t) */
    real eps;
    real inv_sqrt_bc2; /* 1 / sqrt(1 - beta2^t) */
    double clip;       /* the global norm's limit */
} adam_consts;

ADAM_FN adam_consts adam_consts_of(double lr, double beta1, double beta2, double eps,
                                   double bias_corr1, double bias_corr2, double clip)
{
    adam_consts c;
    c.b1 = (real)beta1;
    c.b2 = (real)beta2;
    c.one_minus_b1 = (real)1 - c.b1;
    c.one_minus_b2 = (real)1 - c.b2;
    c.step = (real)(lr / bias_corr1);
    c.eps = (real)eps;
    c.inv_sqrt_bc2 = (real)(1.0 / sqrt(bias_corr2));
    c.clip = clip;
    return c;
}

/* The gradient's factor clip / max(norm, clip), norm = sqrt(sumsq), into
 * *scale; 0 (the step is skipped) unless the loss and the norm are finite. */
ADAM_FN int adam_scale(double loss, double sumsq, double clip, real *scale)
{
    double norm = sqrt(sumsq);
    if (!isfinite(loss) || !isfinite(norm))
        return 0;
    *scale = (real)(clip / fmax(norm, clip));
    return 1;
}

/* One element: the gradient g scaled, the moments m, v and the parameter p
 * updated in place. */
ADAM_FN void adam_update(real *p, real *m, real *v, real g, real scale, adam_consts c)
{
    real gi = g * scale;
    real mi = c.b1 * *m + c.one_minus_b1 * gi;
    real vi = c.b2 * *v + c.one_minus_b2 * gi * gi;
    *m = mi;
    *v = vi;
    *p -= c.step * mi / (ADAM_SQRT(vi) * c.inv_sqrt_bc2 + c.eps);
}

#endif
