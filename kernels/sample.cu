/* sample.cu — the top-k candidates of one row of logits, by rank counting (ties: lower index first). */
#include "common.cuh"

#define TOPK_BLOCK 256

/* a logit's rank key: NaN counts as -inf, as on the CPU backend */
__device__ __forceinline__ float topk_key(float x) { return isnan(x) ? -INFINITY : x; }

/* i ranks before j: larger logit, or the same logit and a lower index */
__device__ __forceinline__ bool ranks_before(float zi, size_t i, float zj, size_t j)
{
    return zi > zj || (zi == zj && i < j);
}

/* Thread j counts the logits ranked before its own (stopping at k); its
 * rank, when < k, is its slot in the output. The logits pass through shared
 * memory a tile at a time. */
__global__ void topk_kernel(const float *z, size_t v, size_t k, int32_t *idx_out,
                            float *val_out)
{
    __shared__ float tile[TOPK_BLOCK];
    size_t j = (size_t)blockIdx.x * TOPK_BLOCK + threadIdx.x;
    float zj = j < v ? topk_key(z[j]) : 0.0f;
    size_t rank = j < v ? 0 : k;
    for (size_t base = 0; base < v; base += TOPK_BLOCK) {
        size_t i = base + threadIdx.x;
        tile[threadIdx.x] = i < v ? topk_key(z[i]) : 0.0f;
        __syncthreads();
        size_t end = v - base < TOPK_BLOCK ? v - base : TOPK_BLOCK;
        for (size_t q = 0; q < end && rank < k; q++)
            rank += ranks_before(tile[q], base + q, zj, j);
        __syncthreads();
    }
    if (rank < k) {
        idx_out[rank] = (int32_t)j;
        val_out[rank] = zj;
    }
}

extern "C" cudaError_t k_topk(cudaStream_t s, const float *logits, size_t v, size_t k,
                              int32_t *idx_out, float *val_out)
{
    if (v == 0 || k == 0)
        return cudaSuccess;
    if (k > v)
        k = v;
    /* every slot is written (NaN ranks as -inf); zeroed first all the same */
    cudaError_t err = cudaMemsetAsync(idx_out, 0, k * sizeof *idx_out, s);
    if (err == cudaSuccess)
        err = cudaMemsetAsync(val_out, 0, k * sizeof *val_out, s);
    if (err != cudaSuccess)
        return err;
    unsigned grid = (unsigned)((v + TOPK_BLOCK - 1) / TOPK_BLOCK);
    topk_kernel<<<grid, TOPK_BLOCK, 0, s>>>(logits, v, k, idx_out, val_out);
    return cudaGetLastError();
}
