/* adam.cu — gradient scaling (clip) fused with PyTorch's Adam step (adam_math.h, as cpu_adam);
 * the clip factor and the finite check from the device's scalars (no host round trip). */
#include "common.cuh"

__global__ void adam_kernel(float *p, const float *g, float *m, float *v, size_t n, adam_consts c,
                            const double *loss, const double *sumsq)
{
    float scale;
    if (!adam_scale(*loss, *sumsq, c.clip, &scale))
        return; /* the same for every thread: the step is skipped */
    K_GRID_STRIDE(i, n) {
        adam_update(&p[i], &m[i], &v[i], g[i], scale, c);
    }
}

extern "C" cudaError_t k_adam(cudaStream_t s, float *p, const float *g, float *m, float *v,
                              size_t n, adam_consts c, const double *loss, const double *sumsq)
{
    if (n == 0)
        return cudaSuccess;
    adam_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(p, g, m, v, n, c, loss, sumsq);
    return cudaGetLastError();
}
