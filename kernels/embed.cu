/* embed.cu — the one-hot input layer as a gather (forward) and a scatter-add (backward). */
#include "common.cuh"

/* out[p][j] += w[j][idx[p]], one thread per (p, j) */
__global__ void embed_fwd_kernel(float *out, const float *w, const int32_t *idx, size_t n,
                                 size_t g, size_t v)
{
    K_GRID_STRIDE(i, n * g) {
        size_t p = i / g, j = i % g;
        out[i] += w[j * v + (size_t)idx[p]];
    }
}

/* dw[j][idx[p]] += dout[p][j]; rows with the same id collide: atomicAdd
 * (the summation order, hence the last bits, vary from run to run) */
__global__ void embed_bwd_kernel(float *dw, const float *dout, const int32_t *idx, size_t n,
                                 size_t g, size_t v)
{
    K_GRID_STRIDE(i, n * g) {
        size_t p = i / g, j = i % g;
        atomicAdd(dw + j * v + (size_t)idx[p], dout[i]);
    }
}

extern "C" cudaError_t k_embed_fwd(cudaStream_t s, float *out, const float *w,
                                   const int32_t *idx, size_t n, size_t g, size_t v)
{
    if (n == 0 || g == 0)
        return cudaSuccess;
    embed_fwd_kernel<<<k_grid(n * g), K_BLOCK, 0, s>>>(out, w, idx, n, g, v);
    return cudaGetLastError();
}

extern "C" cudaError_t k_embed_bwd(cudaStream_t s, float *dw, const float *dout,
                                   const int32_t *idx, size_t n, size_t g, size_t v)
{
    if (n == 0 || g == 0)
        return cudaSuccess;
    embed_bwd_kernel<<<k_grid(n * g), K_BLOCK, 0, s>>>(dw, dout, idx, n, g, v);
    return cudaGetLastError();
}
