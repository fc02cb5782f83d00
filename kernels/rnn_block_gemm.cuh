/* rnn_block_gemm.cuh — the GEMM one block of the persistent recurrence
 * (rnn_persistent.cuh) does at every step: out (rows x nc) = in (rows x k,
 * global memory, row stride ld) times ws^T, where ws (nc x k) stays in
 * shared memory for the whole window; `in` is staged through shared memory
 * P_KC columns at a time. Two arithmetics, both deterministic (every output
 * owned by one thread or one warp, k summed in a fixed order):
 *   FP32  each thread one column and up to P_RPT rows, fmaf in k order;
 *   TF32  16x16x8 tensor-core tiles (wmma, sm_80 and later), one warp per
 *         16x16 output tile (up to P_TILES_PER_WARP), inputs rounded to TF32.
 * gemm_layout says where each piece lies; the caller owns nothing else. */
#ifndef CHARNN_RNN_BLOCK_GEMM_CUH
#define CHARNN_RNN_BLOCK_GEMM_CUH

#ifdef __CUDACC__
#include <mma.h>
namespace wm = nvcuda::wmma;
#endif

#define P_THREADS 256        /* threads per block */
#define P_WARPS (P_THREADS / 32)
#define P_KC 64              /* the K chunk staged in shared memory */
#define P_RPT 8              /* FP32: rows per thread and pass, at most */
#define P_TILES_PER_WARP 4   /* TF32: 16x16 output tiles per warp and pass, at most */

__host__ __device__ static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

/* the shapes and strides of one block's GEMM (all in floats) */
struct gemm_layout {
    int tf32;
    int nc, nc_pad; /* columns; padded to 16 for TF32 (zero rows of ws) */
    int k;          /* the inner dimension */
    int ws_ld;      /* ws's row stride: k rounded up to P_KC, + 1 (FP32: odd, so a
                     * warp's columns fall in different banks) or + 8 (TF32:
                     * 32-byte aligned tiles) */
    int st_ld;      /* the staged chunk's row stride: P_KC + 1 or + 8 */
    int rp, rp_pad; /* rows per pass; padded to 16 for TF32 (zero rows) */
};

/* rows per pass: FP32 every thread a column and P_RPT rows; TF32 the tiles
 * of P_TILES_PER_WARP per warp */
__host__ __device__ static inline int gemm_rows_per_pass(int tf32, int nc, int b)
{
    int most;
    if (tf32)
        most = 16 * ((P_WARPS * P_TILES_PER_WARP) / (round_up(nc, 16) / 16));
    else
        most = (P_THREADS / nc) * P_RPT;
    return b < most ? b : most;
}

__host__ __device__ static inline gemm_layout gemm_layout_of(int tf32, int nc, int k, int rp)
{
    gemm_layout L;
    L.tf32 = tf32;
    L.nc = nc;
    L.k = k;
    L.rp = rp;
    L.nc_pad = tf32 ? round_up(nc, 16) : nc;
    L.ws_ld = round_up(k, P_KC) + (tf32 ? 8 : 1);
    L.st_ld = P_KC + (tf32 ? 8 : 1);
    L.rp_pad = tf32 ? round_up(rp, 16) : rp;
    return L;
}

/* floats of shared memory: ws, then the staged chunk, then out (rp_pad x nc_pad) */
__host__ __device__ static inline size_t gemm_smem_floats(const gemm_layout &L)
{
    return (size_t)L.nc_pad * L.ws_ld + (size_t)L.rp_pad * L.st_ld + (size_t)L.rp_pad * L.nc_pad;
}

/* columns [k0, k0 + P_KC) of `rows` rows of in into the chunk; past k, and
 * (TF32) the rows up to the next multiple of 16, zeros */
__device__ static void gemm_stage(const gemm_layout &L, const float *in, int ld, int rows, int k0,
                                  float *stage)
{
    int fill = L.tf32 ? round_up(rows, 16) : rows;
    __syncthreads(); /* the previous chunk is used up */
    for (int e = threadIdx.x; e < fill * P_KC; e += P_THREADS) {
        int r = e / P_KC, kk = e % P_KC;
        stage[r * L.st_ld + kk] =
            r < rows && k0 + kk < L.k ? in[(size_t)r * ld + k0 + kk] : 0.0f;
    }
    __syncthreads();
}

/* FP32: thread (c = tid % nc, lane = tid / nc) owns rows lane, lane + lanes, ... */
__device__ static void gemm_fp32(const gemm_layout &L, const float *in, int ld, int rows,
                                 const float *ws, float *stage, float *out)
{
    int nc = L.nc, lanes = P_THREADS / nc, c = threadIdx.x % nc, lane = threadIdx.x / nc;
    bool active = lane < lanes;
    float acc[P_RPT];
#pragma unroll
    for (int j = 0; j < P_RPT; j++)
        acc[j] = 0.0f;
    for (int k0 = 0; k0 < L.k; k0 += P_KC) {
        gemm_stage(L, in, ld, rows, k0, stage);
        if (!active)
            continue;
        const float *w = ws + c * L.ws_ld + k0;
#pragma unroll 4
        for (int kk = 0; kk < P_KC; kk++) {
            float wk = w[kk];
#pragma unroll
            for (int j = 0; j < P_RPT; j++) {
                int r = lane + j * lanes;
                if (r < rows)
                    acc[j] = fmaf(stage[r * L.st_ld + kk], wk, acc[j]);
            }
        }
    }
    if (active) {
#pragma unroll
        for (int j = 0; j < P_RPT; j++) {
            int r = lane + j * lanes;
            if (r < rows)
                out[r * L.nc_pad + c] = acc[j];
        }
    }
}

/* TF32: warp w owns output tiles w, w + P_WARPS, ... (a warp-uniform choice) */
__device__ static void gemm_tf32(const gemm_layout &L, const float *in, int ld, int rows,
                                 const float *ws, float *stage, float *out)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    __trap(); /* the plan never picks TF32 below compute capability 8.0 */
#else
    int warp = threadIdx.x / 32, ct = L.nc_pad / 16, tiles = (round_up(rows, 16) / 16) * ct;
    wm::fragment<wm::accumulator, 16, 16, 8, float> acc[P_TILES_PER_WARP];
#pragma unroll
    for (int i = 0; i < P_TILES_PER_WARP; i++)
        wm::fill_fragment(acc[i], 0.0f);
    for (int k0 = 0; k0 < L.k; k0 += P_KC) {
        gemm_stage(L, in, ld, rows, k0, stage);
        for (int kk = 0; kk < P_KC; kk += 8) {
#pragma unroll
            for (int i = 0; i < P_TILES_PER_WARP; i++) {
                int ti = warp + i * P_WARPS;
                if (ti >= tiles)
                    break;
                int tr = ti / ct, tc = ti % ct;
                wm::fragment<wm::matrix_a, 16, 16, 8, wm::precision::tf32, wm::row_major> fa;
                wm::fragment<wm::matrix_b, 16, 16, 8, wm::precision::tf32, wm::col_major> fb;
                wm::load_matrix_sync(fa, stage + tr * 16 * L.st_ld + kk, L.st_ld);
                wm::load_matrix_sync(fb, ws + tc * 16 * L.ws_ld + k0 + kk, L.ws_ld);
                for (int q = 0; q < fa.num_elements; q++)
                    fa.x[q] = wm::__float_to_tf32(fa.x[q]);
                for (int q = 0; q < fb.num_elements; q++)
                    fb.x[q] = wm::__float_to_tf32(fb.x[q]);
                wm::mma_sync(acc[i], fa, fb, acc[i]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < P_TILES_PER_WARP; i++) {
        int ti = warp + i * P_WARPS;
        if (ti >= tiles)
            break;
        wm::store_matrix_sync(out + (ti / ct) * 16 * L.nc_pad + (ti % ct) * 16, acc[i], L.nc_pad,
                              wm::mem_row_major);
    }
#endif
}

/* out[r][c] (row stride nc_pad) for r < rows <= rp, c < nc; every thread of
 * the block calls it; out is complete when it returns */
__device__ static void block_gemm(const gemm_layout &L, const float *in, int ld, int rows,
                                  const float *ws, float *stage, float *out)
{
    if (L.tf32)
        gemm_tf32(L, in, ld, rows, ws, stage, out);
    else
        gemm_fp32(L, in, ld, rows, ws, stage, out);
    __syncthreads();
}

#endif
