/* common.cuh — launch sizes, grid-stride loops and block reductions shared by the kernels. */
#ifndef CHARNN_KERNELS_COMMON_CUH
#define CHARNN_KERNELS_COMMON_CUH

#include "kernels.h"

#include <cuda_runtime.h>

#define K_BLOCK 256u        /* threads per block of the elementwise kernels */
#define K_MAX_GRID 65535u   /* grid-stride loops cover the rest */

/* Blocks for n elements at K_BLOCK threads each (n > 0). */
static inline unsigned k_grid(size_t n)
{
    size_t g = (n + K_BLOCK - 1) / K_BLOCK;
    return g > K_MAX_GRID ? K_MAX_GRID : (unsigned)g;
}

/* for (size_t i = first; i < n; i += stride) over the whole grid */
#define K_GRID_STRIDE(i, n)                                                          \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);          \
         i += (size_t)gridDim.x * blockDim.x)

__device__ __forceinline__ double k_warp_sum(double x)
{
    for (int off = 16; off > 0; off >>= 1)
        x += __shfl_down_sync(0xffffffffu, x, off);
    return x;
}

__device__ __forceinline__ float k_warp_max(float x)
{
    for (int off = 16; off > 0; off >>= 1)
        x = fmaxf(x, __shfl_down_sync(0xffffffffu, x, off));
    return x;
}

/* Sum over the block (blockDim.x a multiple of 32, <= 1024), in a fixed
 * order; the result is returned to every thread. */
__device__ __forceinline__ double k_block_sum(double x)
{
    __shared__ double part[32];
    __shared__ double total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = k_warp_sum(x);
    __syncthreads(); /* part/total may still be read from a previous call */
    if (lane == 0)
        part[warp] = x;
    __syncthreads();
    if (warp == 0) {
        x = lane < warps ? part[lane] : 0.0;
        x = k_warp_sum(x);
        if (lane == 0)
            total = x;
    }
    __syncthreads();
    return total;
}

/* Maximum over the block, returned to every thread (same shape rules). */
__device__ __forceinline__ float k_block_max(float x)
{
    __shared__ float part[32];
    __shared__ float total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = k_warp_max(x);
    __syncthreads();
    if (lane == 0)
        part[warp] = x;
    __syncthreads();
    if (warp == 0) {
        x = lane < warps ? part[lane] : -INFINITY;
        x = k_warp_max(x);
        if (lane == 0)
            total = x;
    }
    __syncthreads();
    return total;
}

#endif
