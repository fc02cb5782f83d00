/* reduce.cu — fill_rows, sum_rows and the double-precision sum of squares. */
#include "common.cuh"

#define SUMSQ_MAX_BLOCKS 1024u
#define SUM_ROWS_X 32u /* columns per block */
#define SUM_ROWS_Y 16u /* row lanes per block */

__global__ void fill_rows_kernel(float *out, const float *bias, size_t rows, size_t cols)
{
    K_GRID_STRIDE(i, rows * cols)
        out[i] = bias[i % cols];
}

extern "C" cudaError_t k_fill_rows(cudaStream_t s, float *out, const float *bias, size_t rows,
                                   size_t cols)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    fill_rows_kernel<<<k_grid(rows * cols), K_BLOCK, 0, s>>>(out, bias, rows, cols);
    return cudaGetLastError();
}

/* Block (SUM_ROWS_X, SUM_ROWS_Y), grid (column blocks, row chunks): block
 * (x, y) sums rows [y*chunk, (y+1)*chunk) of its 32 columns, each of the
 * SUM_ROWS_Y lanes every SUM_ROWS_Y-th row, the lanes added in order; the
 * result goes to out[j] (one chunk: out[j] += sum) or to part[y][j] (the
 * chunks are then added in order by sum_chunks_kernel). */
__global__ void sum_rows_kernel(float *out, float *part, const float *in, size_t rows,
                                size_t cols, size_t chunk)
{
    __shared__ float lanes[SUM_ROWS_Y][SUM_ROWS_X + 1];
    size_t j = (size_t)blockIdx.x * SUM_ROWS_X + threadIdx.x;
    size_t i0 = (size_t)blockIdx.y * chunk, i1 = i0 + chunk < rows ? i0 + chunk : rows;
    float acc = 0;
    if (j < cols)
        for (size_t i = i0 + threadIdx.y; i < i1; i += SUM_ROWS_Y)
            acc += in[i * cols + j];
    lanes[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
        for (unsigned y = 1; y < SUM_ROWS_Y; y++)
            acc += lanes[y][threadIdx.x];
        if (part)
            part[(size_t)blockIdx.y * cols + j] = acc;
        else
            out[j] += acc;
    }
}

/* out[j] += the sum of part[0..chunks)[j], in chunk order */
__global__ void sum_chunks_kernel(float *out, const float *part, size_t chunks, size_t cols)
{
    K_GRID_STRIDE(j, cols) {
        float acc = 0;
        for (size_t y = 0; y < chunks; y++)
            acc += part[y * cols + j];
        out[j] += acc;
    }
}

/* Row chunks of k_sum_rows: enough blocks to fill a GPU (>= ~256) when the
 * columns alone give few (the decoder bias: 65 columns, 3 column blocks),
 * each chunk at least SUM_ROWS_MIN_CHUNK rows; fixed by the shape alone, so
 * the sums are the same bits on every GPU. */
#define SUM_ROWS_MIN_CHUNK 256u
#define SUM_ROWS_MAX_CHUNKS 128u
static size_t sum_rows_chunks(size_t rows, size_t cols)
{
    size_t col_blocks = (cols + SUM_ROWS_X - 1) / SUM_ROWS_X;
    size_t want = (256 + col_blocks - 1) / col_blocks;
    size_t most = (rows + SUM_ROWS_MIN_CHUNK - 1) / SUM_ROWS_MIN_CHUNK;
    want = want < most ? want : most;
    return want < 1 ? 1 : want > SUM_ROWS_MAX_CHUNKS ? SUM_ROWS_MAX_CHUNKS : want;
}

extern "C" cudaError_t k_sum_rows(cudaStream_t s, float *out, const float *in, size_t rows,
                                  size_t cols)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    size_t chunks = sum_rows_chunks(rows, cols), chunk = (rows + chunks - 1) / chunks;
    chunks = (rows + chunk - 1) / chunk;
    dim3 block(SUM_ROWS_X, SUM_ROWS_Y);
    dim3 grid((unsigned)((cols + SUM_ROWS_X - 1) / SUM_ROWS_X), (unsigned)chunks);
    if (chunks == 1) {
        sum_rows_kernel<<<grid, block, 0, s>>>(out, NULL, in, rows, cols, chunk);
        return cudaGetLastError();
    }
    float *part = NULL; /* from the pool k_pool_keep keeps */
    cudaError_t err = cudaMallocAsync((void **)&part, chunks * cols * sizeof *part, s);
    if (err != cudaSuccess)
        return err;
    sum_rows_kernel<<<grid, block, 0, s>>>(out, part, in, rows, cols, chunk);
    sum_chunks_kernel<<<k_grid(cols), K_BLOCK, 0, s>>>(out, part, chunks, cols);
    err = cudaGetLastError();
    cudaError_t freed = cudaFreeAsync(part, s);
    return err != cudaSuccess ? err : freed;
}

static unsigned sumsq_blocks(size_t n)
{
    unsigned g = k_grid(n ? n : 1);
    return g > SUMSQ_MAX_BLOCKS ? SUMSQ_MAX_BLOCKS : g;
}

extern "C" size_t k_sumsq_scratch(size_t n) { return sumsq_blocks(n); }

__global__ void sumsq_partial_kernel(const float *x, size_t n, double *partial)
{
    double acc = 0;
    K_GRID_STRIDE(i, n) {
        double v = (double)x[i];
        acc += v * v;
    }
    acc = k_block_sum(acc);
    if (threadIdx.x == 0)
        partial[blockIdx.x] = acc;
}

/* One block: out = sum of parts[0..count) (fixed order: deterministic). */
__global__ void sum_doubles_kernel(const double *parts, size_t count, double *out)
{
    double acc = 0;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x)
        acc += parts[i];
    acc = k_block_sum(acc);
    if (threadIdx.x == 0)
        *out = acc;
}

extern "C" cudaError_t k_sumsq(cudaStream_t s, const float *x, size_t n, double *partial,
                               double *out)
{
    if (n == 0)
        return cudaMemsetAsync(out, 0, sizeof *out, s);
    unsigned blocks = sumsq_blocks(n);
    sumsq_partial_kernel<<<blocks, K_BLOCK, 0, s>>>(x, n, partial);
    sum_doubles_kernel<<<1, 1024, 0, s>>>(partial, blocks, out);
    return cudaGetLastError();
}

/* used by xent.cu */
extern "C" cudaError_t k_sum_doubles(cudaStream_t s, const double *parts, size_t count,
                                     double *out)
{
    if (count == 0)
        return cudaMemsetAsync(out, 0, sizeof *out, s);
    sum_doubles_kernel<<<1, 1024, 0, s>>>(parts, count, out);
    return cudaGetLastError();
}
