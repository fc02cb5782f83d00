/* adam.cu — gradient scaling (clip) fused with PyTorch's Adam step, the formula of cpu_adam. */
#include "common.cuh"

__global__ void adam_kernel(float *p, const float *g, float *m, float *v, size_t n,
                            k_adam_consts c)
{
    K_GRID_STRIDE(i, n) {
        float gi = g[i] * c.grad_scale;
        float mi = c.b1 * m[i] + c.one_minus_b1 * gi;
        float vi = c.b2 * v[i] + c.one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= c.step * mi / (sqrtf(vi) * c.inv_sqrt_bc2 + c.eps);
    }
}

extern "C" cudaError_t k_adam(cudaStream_t s, float *p, const float *g, float *m, float *v,
                              size_t n, k_adam_consts c)
{
    if (n == 0)
        return cudaSuccess;
    adam_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(p, g, m, v, n, c);
    return cudaGetLastError();
}
