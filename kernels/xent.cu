/* xent.cu — fused softmax + cross-entropy + gradient, one block per row, losses summed in double. */
#include "common.cuh"
#include "xent_math.h"

#define XENT_BLOCK 256u

/* The loss of one row (returned to every thread); the gradient written
 * over z when grad_scale != 0 — xent_math.h's arithmetic, as xent_row in backend_cpu.c. */
__device__ double xent_one_row(float *z, int32_t target, size_t v, float grad_scale)
{
    float mx = -INFINITY;
    for (size_t j = threadIdx.x; j < v; j += blockDim.x)
        mx = fmaxf(mx, z[j]);
    mx = k_block_max(mx);
    double part = 0;
    for (size_t j = threadIdx.x; j < v; j += blockDim.x)
        part += xent_exp(z[j], mx);
    double sum = k_block_sum(part);
    double loss = xent_loss(sum, z[target], mx);
    __syncthreads(); /* every thread has read z[target] before it is overwritten */
    if (grad_scale != 0.0f) {
        double inv = 1.0 / sum;
        for (size_t j = threadIdx.x; j < v; j += blockDim.x) {
            float gj = xent_grad(z[j], mx, inv, grad_scale);
            z[j] = j == (size_t)target ? gj - grad_scale : gj;
        }
    }
    return loss;
}

__global__ void xent_kernel(float *logits, const int32_t *targets, size_t n, size_t v,
                            float grad_scale, double *row_loss)
{
    for (size_t row = blockIdx.x; row < n; row += gridDim.x) {
        double loss = xent_one_row(logits + row * v, targets[row], v, grad_scale);
        if (threadIdx.x == 0)
            row_loss[row] = loss;
    }
}

extern "C" cudaError_t k_xent(cudaStream_t s, float *logits, const int32_t *targets, size_t n,
                              size_t v, float grad_scale, double *row_loss, double *out)
{
    if (n == 0 || v == 0)
        return cudaMemsetAsync(out, 0, sizeof *out, s);
    unsigned grid = n > K_MAX_GRID ? K_MAX_GRID : (unsigned)n;
    xent_kernel<<<grid, XENT_BLOCK, 0, s>>>(logits, targets, n, v, grad_scale, row_loss);
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess)
        return err;
    return k_sum_doubles(s, row_loss, n, out);
}
