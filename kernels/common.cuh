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

/* The operations of k_block_reduce: associative, with their identity. */
struct k_op_sum {
    __device__ static double apply(double a, double b) { return a + b; }
    __device__ static double identity() { return 0.0; }
};
struct k_op_max {
    __device__ static float apply(float a, float b) { return fmaxf(a, b); }
    __device__ static float identity() { return -INFINITY; }
};

/* Op over the 32 lanes of a warp, in a fixed order; lane 0 has the result. */
template <typename T, typename Op> __device__ __forceinline__ T k_warp_reduce(T x)
{
    for (int off = 16; off > 0; off >>= 1)
        x = Op::apply(x, __shfl_down_sync(0xffffffffu, x, off));
    return x;
}

/* Op over the block (blockDim.x a multiple of 32, <= 1024), in a fixed
 * order, so the same inputs give the same bits; the result is returned to
 * every thread. Each instantiation has its own shared slots. */
template <typename T, typename Op> __device__ __forceinline__ T k_block_reduce(T x)
{
    __shared__ T part[32];
    __shared__ T total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = k_warp_reduce<T, Op>(x);
    __syncthreads(); /* part/total may still be read from a previous call */
    if (lane == 0)
        part[warp] = x;
    __syncthreads();
    if (warp == 0) {
        x = lane < warps ? part[lane] : Op::identity();
        x = k_warp_reduce<T, Op>(x);
        if (lane == 0)
            total = x;
    }
    __syncthreads();
    return total;
}

/* Sum (double) and maximum (float) over the block: k_block_reduce's rules. */
__device__ __forceinline__ double k_block_sum(double x)
{
    return k_block_reduce<double, k_op_sum>(x);
}
__device__ __forceinline__ float k_block_max(float x) { return k_block_reduce<float, k_op_max>(x); }

#endif
