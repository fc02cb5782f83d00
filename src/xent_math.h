/* xent_math.h — the arithmetic of softmax cross-entropy for one row of
 * logits, the one definition for the CPU backend (backend_cpu.c, a loop over
 * the row) and the CUDA kernel (kernels/xent.cu, a block per row, whose
 * max and sum are block reductions): exp in double against the row's max,
 * the loss log(sum) - (z[target] - max), the gradient softmax * grad_scale
 * rounded to the model's type before the target's grad_scale is taken off. */
#ifndef CHARNN_XENT_MATH_H
#define CHARNN_XENT_MATH_H

#include "real.h"

#ifdef __CUDACC__
#define XENT_FN static __host__ __device__ __forceinline__
#else
#include <math.h>
#define XENT_FN static inline
#endif

/* exp(z - mx) in double: the terms of the row's sum */
XENT_FN double xent_exp(real z, real mx) { return exp((double)(z - mx)); }

/* -log softmax(z)[target], from the row's sum of xent_exp and max */
XENT_FN double xent_loss(double sum, real z_target, real mx)
{
    return log(sum) - (double)(z_target - mx);
}

/* softmax * grad_scale from the element's xent_exp e (inv = 1 / sum),
 * rounded: never fused with the subtraction of grad_scale at the target
 * that follows */
XENT_FN real xent_grad_of(double e, double inv, real grad_scale)
{
#ifdef __CUDA_ARCH__
    return __fmul_rn((float)(e * inv), grad_scale);
#else
    return (real)(e * inv) * grad_scale;
#endif
}

/* the same from the logit z and the row's max */
XENT_FN real xent_grad(real z, real mx, double inv, real grad_scale)
{
    return xent_grad_of(xent_exp(z, mx), inv, grad_scale);
}

#endif
