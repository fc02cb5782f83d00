/* adam.cu — gradient scaling (clip) fused with PyTorch's Adam step, the formula of cpu_adam;
 * the clip factor and the finite check from the device's scalars (no host round trip). */
#include "common.cuh"

__global__ void adam_kernel(float *p, const float *g, float *m, float *v, size_t n, k_adam_consts c,
                            const double *loss, const double *sumsq)
{
    double norm = sqrt(*sumsq);
    if (!isfinite(*loss) || !isfinite(norm))
        return; /* the same for every thread: the step is skipped */
    float scale = (float)(c.clip / fmax(norm, c.clip));
    K_GRID_STRIDE(i, n) {
        float gi = g[i] * scale;
        float mi = c.b1 * m[i] + c.one_minus_b1 * gi;
        float vi = c.b2 * v[i] + c.one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= c.step * mi / (sqrtf(vi) * c.inv_sqrt_bc2 + c.eps);
    }
}

extern "C" cudaError_t k_adam(cudaStream_t s, float *p, const float *g, float *m, float *v,
                              size_t n, k_adam_consts c, const double *loss, const double *sumsq)
{
    if (n == 0)
        return cudaSuccess;
    adam_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(p, g, m, v, n, c, loss, sumsq);
    return cudaGetLastError();
}
