/* xent_math.h — the arithmetic of softmax cross-entropy for one row of
 * logits, the one definition for the CPU backend (backend_cpu.c, a loop over
 * the row) and the CUDA kernel (kernels/xent.cu, a block per row, whose
 * max and sum are block reductions): exp in double against the row's max
 * (on the host the polynomial xent_exp_host, on the device CUDA's exp), the loss log(sum) - (z[target] - max), the gradient softmax * grad_scale
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

#if defined(__CUDACC__) || defined(CHARNN_DOUBLE)
/* exp(z - mx) in double: the terms of the row's sum */
XENT_FN double xent_exp(real z, real mx) { return exp((double)(z - mx)); }
#else
#include <stdint.h>
#include <string.h>
/* exp(x) on the host for x <= 0: x = n ln2 + r (|r| <= ln2 / 2, ln2 split
 * so that n * XENT_LN2_HI is exact), the degree-12 Taylor polynomial of
 * exp(r) (truncation below 2e-16 relative), scaled by 2^n built in the
 * exponent bits; within a few ulp of glibc's exp. x below -708 is taken as
 * -708 (exp 3e-308, where the true value is smaller still: no float
 * gradient and no sum of terms >= 1 can tell); NaN passes through. Plain
 * arithmetic with no call and no float-to-int conversion, so a row's loop
 * vectorises (glibc's exp is a scalar call); the device keeps CUDA's exp. */
#define XENT_LN2_HI 6.93147180369123816490e-01
#define XENT_LN2_LO 1.90821492927058770002e-10
XENT_FN double xent_exp_host(double x)
{
    x = x < -708.0 ? -708.0 : x;
    double m = x * 1.44269504088896338700 + 6755399441055744.0; /* 1.5 * 2^52: rounds */
    double n = m - 6755399441055744.0;
    double r = (x - n * XENT_LN2_HI) - n * XENT_LN2_LO;
    double p = 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t mb, sb;
    memcpy(&mb, &m, sizeof mb);
    sb = (mb - 0x4338000000000000u + 1023u) << 52; /* n sits in m's low mantissa bits */
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}
/* exp(z - mx) in double (<= 1): the terms of the row's sum */
XENT_FN double xent_exp(real z, real mx) { return xent_exp_host((double)(z - mx)); }
#endif

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
