/* embed.cu — the one-hot input layer: a coalesced gather (forward) and a
 * deterministic scatter-add (backward, no float atomics). */
#include "common.cuh"

#include <cub/device/device_radix_sort.cuh>

#define T_TILE 32 /* transpose tile */

/* wt (v, g) = w (g, v)^T through shared-memory tiles: both sides coalesced */
__global__ void transpose_kernel(float *wt, const float *w, size_t g, size_t v)
{
    __shared__ float tile[T_TILE][T_TILE + 1];
    size_t c0 = (size_t)blockIdx.x * T_TILE, r0 = (size_t)blockIdx.y * T_TILE;
    for (unsigned y = threadIdx.y; y < T_TILE; y += blockDim.y) {
        size_t r = r0 + y, c = c0 + threadIdx.x;
        if (r < g && c < v)
            tile[y][threadIdx.x] = w[r * v + c];
    }
    __syncthreads();
    for (unsigned y = threadIdx.y; y < T_TILE; y += blockDim.y) {
        size_t c = c0 + y, r = r0 + threadIdx.x;
        if (r < g && c < v)
            wt[c * g + r] = tile[threadIdx.x][y];
    }
}

/* out[p][j] += wt[idx[p]][j]: consecutive threads read consecutive j */
__global__ void embed_fwd_kernel(float *out, const float *wt, const int32_t *idx, size_t n,
                                 size_t g)
{
    K_GRID_STRIDE(i, n * g) {
        size_t p = i / g, j = i % g;
        out[i] += wt[(size_t)idx[p] * g + j];
    }
}

/* out[p][j] += w[j][idx[p]] straight from w (strided reads): for few
 * positions, where transposing the whole of w would cost more */
__global__ void embed_fwd_direct_kernel(float *out, const float *w, const int32_t *idx,
                                        size_t n, size_t g, size_t v)
{
    K_GRID_STRIDE(i, n * g) {
        size_t p = i / g, j = i % g;
        out[i] += w[j * v + (size_t)idx[p]];
    }
}

__global__ void iota_kernel(int32_t *x, size_t n)
{
    K_GRID_STRIDE(i, n) { x[i] = (int32_t)i; }
}

/* [start[c], end[c]) the run of id c in the sorted keys (empty: 0, 0) */
__global__ void segments_kernel(const int32_t *keys, size_t n, int32_t *start, int32_t *end)
{
    K_GRID_STRIDE(i, n) {
        int32_t k = keys[i];
        if (i == 0 || keys[i - 1] != k)
            start[k] = (int32_t)i;
        if (i + 1 == n || keys[i + 1] != k)
            end[k] = (int32_t)(i + 1);
    }
}

#define EMBED_BATCH 16 /* loads of one id's run in flight per thread */

/* dw[j][c] += dout[p][j] over the positions p of id c, in increasing p (the
 * CPU backend's order, so the sums are bitwise the same); one thread per
 * (c, j), consecutive threads on consecutive j (coalesced reads of dout).
 * A frequent character's run is ~15% of the window (1,500 positions of
 * the notebook's 10,000): its thread issues EMBED_BATCH loads before it
 * adds them, still in order, so the run costs ~n/16 memory latencies, not n. */
__global__ void embed_bwd_kernel(float *dw, const float *dout, const int32_t *pos,
                                 const int32_t *start, const int32_t *end, size_t g, size_t v)
{
    K_GRID_STRIDE(i, v * g) {
        size_t c = i / g, j = i % g;
        int32_t s = start[c], e = end[c];
        if (s == e)
            continue;
        float acc = dw[j * v + c];
        int32_t q = s;
        for (; q + EMBED_BATCH <= e; q += EMBED_BATCH) {
            float x[EMBED_BATCH];
#pragma unroll
            for (int k = 0; k < EMBED_BATCH; k++)
                x[k] = dout[(size_t)pos[q + k] * g + j];
#pragma unroll
            for (int k = 0; k < EMBED_BATCH; k++)
                acc += x[k];
        }
        for (; q < e; q++)
            acc += dout[(size_t)pos[q] * g + j];
        dw[j * v + c] = acc;
    }
}

extern "C" cudaError_t k_embed_fwd(cudaStream_t s, float *out, const float *w,
                                   const int32_t *idx, size_t n, size_t g, size_t v)
{
    if (n == 0 || g == 0)
        return cudaSuccess;
    if (n <= v) { /* e.g. the sampler's one position at a time */
        embed_fwd_direct_kernel<<<k_grid(n * g), K_BLOCK, 0, s>>>(out, w, idx, n, g, v);
        return cudaGetLastError();
    }
    float *wt = NULL;
    cudaError_t err = cudaMallocAsync((void **)&wt, g * v * sizeof *wt, s);
    if (err != cudaSuccess)
        return err;
    dim3 tgrid((unsigned)((v + T_TILE - 1) / T_TILE), (unsigned)((g + T_TILE - 1) / T_TILE));
    transpose_kernel<<<tgrid, dim3(T_TILE, 8), 0, s>>>(wt, w, g, v);
    embed_fwd_kernel<<<k_grid(n * g), K_BLOCK, 0, s>>>(out, wt, idx, n, g);
    err = cudaGetLastError();
    cudaError_t freed = cudaFreeAsync(wt, s);
    return err != cudaSuccess ? err : freed;
}

/* Bits of the largest id (the radix sort's key width). */
static int id_bits(size_t v)
{
    int b = 1;
    while (b < 31 && ((size_t)1 << b) < v)
        b++;
    return b;
}

/* The stable sort of (id, position) pairs by id, and each id's run. Scratch
 * layout in one stream-ordered allocation (cudaMallocAsync; the device's
 * default pool keeps its memory between steps because backend_cuda_open
 * raises the pool's release threshold, k_pool_keep): pos_in, keys_out,
 * pos_out (n each), start, end (v each), then CUB's temporary storage. */
extern "C" cudaError_t k_embed_bwd(cudaStream_t s, float *dw, const float *dout,
                                   const int32_t *idx, size_t n, size_t g, size_t v)
{
    if (n == 0 || g == 0)
        return cudaSuccess;
    if (n > (size_t)INT32_MAX)
        return cudaErrorInvalidValue;
    size_t cub_bytes = 0;
    cudaError_t err = cub::DeviceRadixSort::SortPairs(
        NULL, cub_bytes, (const int32_t *)NULL, (int32_t *)NULL, (const int32_t *)NULL,
        (int32_t *)NULL, (int)n, 0, id_bits(v), s);
    if (err != cudaSuccess)
        return err;
    size_t ints = 3 * n + 2 * v;
    size_t cub_off = (ints * sizeof(int32_t) + 255) / 256 * 256; /* CUB's storage aligned */
    char *buf = NULL;
    err = cudaMallocAsync((void **)&buf, cub_off + cub_bytes, s);
    if (err != cudaSuccess)
        return err;
    int32_t *pos_in = (int32_t *)buf, *keys = pos_in + n, *pos = pos_in + 2 * n;
    int32_t *start = pos_in + 3 * n;
    int32_t *end = start + v;
    iota_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(pos_in, n);
    err = cudaMemsetAsync(start, 0, 2 * v * sizeof *start, s);
    if (err == cudaSuccess)
        err = cub::DeviceRadixSort::SortPairs(buf + cub_off, cub_bytes, idx, keys, pos_in, pos,
                                              (int)n, 0, id_bits(v), s);
    if (err == cudaSuccess) {
        segments_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(keys, n, start, end);
        embed_bwd_kernel<<<k_grid(v * g), K_BLOCK, 0, s>>>(dw, dout, pos, start, end, g, v);
        err = cudaGetLastError();
    }
    cudaError_t freed = cudaFreeAsync(buf, s);
    return err != cudaSuccess ? err : freed;
}

extern "C" cudaError_t k_pool_keep(int device)
{
    cudaMemPool_t pool;
    cudaError_t err = cudaDeviceGetDefaultMemPool(&pool, device);
    if (err != cudaSuccess)
        return err;
    uint64_t keep = UINT64_MAX; /* never trimmed at a synchronisation */
    return cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
}
