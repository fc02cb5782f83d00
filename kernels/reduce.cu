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

/* Block (SUM_ROWS_X, SUM_ROWS_Y): each of the SUM_ROWS_Y lanes sums every
 * SUM_ROWS_Y-th row of one column, then the lanes are added in order. */
__global__ void sum_rows_kernel(float *out, const float *in, size_t rows, size_t cols)
{
    __shared__ float part[SUM_ROWS_Y][SUM_ROWS_X + 1];
    size_t j = (size_t)blockIdx.x * SUM_ROWS_X + threadIdx.x;
    float acc = 0;
    if (j < cols)
        for (size_t i = threadIdx.y; i < rows; i += SUM_ROWS_Y)
            acc += in[i * cols + j];
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
        for (unsigned y = 1; y < SUM_ROWS_Y; y++)
            acc += part[y][threadIdx.x];
        out[j] += acc;
    }
}

extern "C" cudaError_t k_sum_rows(cudaStream_t s, float *out, const float *in, size_t rows,
                                  size_t cols)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    dim3 block(SUM_ROWS_X, SUM_ROWS_Y);
    unsigned grid = (unsigned)((cols + SUM_ROWS_X - 1) / SUM_ROWS_X);
    sum_rows_kernel<<<grid, block, 0, s>>>(out, in, rows, cols);
    return cudaGetLastError();
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
