/* rnn_persistent.cuh — the device code of rnn_persistent.cu: the recurrence
 * of a window as one persistent cooperative kernel per direction, FP32 or
 * TF32 (the block GEMM: rnn_block_gemm.cuh): the GPU twin of
 * src/backend_cpu_rnn.c, with a block where the CPU has a thread. Block k owns hidden units
 * [k*nu, (k+1)*nu) for all rows and all steps:
 *   forward   its G*nu rows of W_hh (every gate of its units) sit in shared
 *             memory for the whole window (pack_weights); a step is the
 *             block's slice of h_{t-1} W_hh^T (gates_slice), the cell on the
 *             same units straight from shared memory (fwd_row, cell_math.h),
 *             then one grid-wide barrier (barrier());
 *   backward  its nu columns of W_hh (the part of every gate row that reaches
 *             its units) sit in shared memory; a step is the cell's backward
 *             on its units (bwd_cell), one grid-wide barrier, then its units
 *             of dh_{t-1} from all of dhg_t (the CPU's per-thread cpu_gemm
 *             on w_hh + u0); dh_rec and dc are read and written by the block
 *             that owns them only.
 * Each output element is computed by one thread (a warp's tile in TF32) in a fixed order: the
 * results are the same bits on every run (and depend on nu, fixed by the
 * shape and the GPU's multiprocessor count). The bias and weight gradients
 * are summed after the kernel, as on the stepwise path. */
#ifndef CHARNN_RNN_PERSISTENT_CUH
#define CHARNN_RNN_PERSISTENT_CUH

#include "cell_math.h"
#include "rnn_block_gemm.cuh"

/* K_CELL_* (kernels.h), and under nvcc the CUDA runtime and cooperative
 * groups; tests/gpu/cuda_emulator.h provides these (and the block's dynamic
 * shared memory, threadIdx, __syncthreads, grid.sync) on the host instead */
#ifdef __CUDACC__
#include "kernels.h"

#include <cooperative_groups.h>
namespace cg = cooperative_groups;
#define K_DYNAMIC_SMEM(name) extern __shared__ __align__(128) float name[]
#endif

/* the arguments of both kernels (by value) */
struct rnn_args {
    int cell;
    int nu;           /* units per block */
    int m, b, h;      /* steps, rows, hidden */
    int rp;           /* rows per pass of the block GEMM */
    const float *w_hh, *b_hh, *xg;
    float *hs, *cs, *act;
    /* backward */
    const float *dy;
    float *dh_rec, *dc, *dxg, *dhg;
};

__host__ __device__ static inline int gates_of(int cell)
{
    return cell == K_CELL_LSTM ? 4 : cell == K_CELL_GRU ? 3 : 1;
}
__host__ __device__ static inline int act_of(int cell) { return cell == K_CELL_RNN ? 1 : 4; }

/* the block GEMM of a direction: forward nc = G*nu columns over k = H,
 * backward nc = nu over k = G*H */
__host__ __device__ static inline gemm_layout rnn_layout(int tf32, int backward, int cell, int nu,
                                                         int h, int rp)
{
    int G = gates_of(cell);
    return backward ? gemm_layout_of(tf32, nu, G * h, rp) : gemm_layout_of(tf32, G * nu, h, rp);
}

/* the block's resident weights: forward, row c = g*nu + j is W_hh row
 * g*H + u0 + j (K = H); backward, row j is W_hh column u0 + j (K = G*H);
 * units past H are zero rows */
__device__ static void load_weights(const rnn_args &a, const gemm_layout &L, int u0, float *ws,
                                    bool backward)
{
    int H = a.h, k = L.k, ld = L.ws_ld;
    for (int e = threadIdx.x; e < L.nc_pad * ld; e += P_THREADS) {
        int c = e / ld, kk = e % ld;
        float v = 0.0f;
        if (kk < k && c < L.nc) {
            if (backward) {
                if (u0 + c < H)
                    v = a.w_hh[(size_t)kk * H + u0 + c];
            } else {
                int g = c / a.nu, j = c % a.nu;
                if (u0 + j < H)
                    v = a.w_hh[(size_t)(g * H + u0 + j) * H + kk];
            }
        }
        ws[e] = v;
    }
    __syncthreads();
}

/* the cell of (row r0 + r, unit u0 + j) at step t, from the block's GEMM output */
__device__ static void fwd_cell(const rnn_args &a, const float *hg_s, int ld, int t, int r0, int r,
                                int j, int u0)
{
    int G = gates_of(a.cell), A = act_of(a.cell), H = a.h, nu = a.nu, row = r0 + r, u = u0 + j;
    size_t bh = (size_t)a.b * H, e = (size_t)row * H + u;
    const float *xg = a.xg + ((size_t)t * a.b + row) * G * H;
    float x[4] = {0}, hh[4] = {0}, bb[4] = {0}, act[4] = {0}; /* the gates past G unused */
#pragma unroll
    for (int g = 0; g < 4; g++)
        if (g < G) {
            x[g] = xg[g * H + u];
            hh[g] = hg_s[r * ld + g * nu + j];
            bb[g] = a.b_hh[g * H + u];
        }
    float *h_out = a.hs + (t + 1) * bh + e;
    if (a.cell == K_CELL_LSTM)
        cell_lstm_fwd(1, 0, x, hh, bb, a.cs[t * bh + e], &a.cs[(t + 1) * bh + e], h_out, act);
    else if (a.cell == K_CELL_GRU)
        cell_gru_fwd(1, 0, x, hh, bb, a.hs[t * bh + e], h_out, act);
    else
        cell_rnn_fwd(0, x, hh, bb, h_out, act);
    float *act_out = a.act + ((size_t)t * a.b + row) * A * H;
#pragma unroll
    for (int g = 0; g < 4; g++)
        if (g < A)
            act_out[g * H + u] = act[g];
}

template <int TF32> __global__ void __launch_bounds__(P_THREADS) rnn_fwd_persistent(rnn_args a)
{
    K_DYNAMIC_SMEM(smem);
    cg::grid_group grid = cg::this_grid();
    gemm_layout L = rnn_layout(TF32, 0, a.cell, a.nu, a.h, a.rp);
    int u0 = blockIdx.x * a.nu, nu_here = a.h - u0 < a.nu ? a.h - u0 : a.nu;
    float *ws = smem, *stage = ws + (size_t)L.nc_pad * L.ws_ld, *hg_s = stage + L.rp_pad * L.st_ld;
    load_weights(a, L, u0, ws, false);
    size_t bh = (size_t)a.b * a.h;
    for (int t = 0; t < a.m; t++) {
        for (int r0 = 0; r0 < a.b; r0 += a.rp) {
            int rows = a.b - r0 < a.rp ? a.b - r0 : a.rp;
            block_gemm(L, a.hs + t * bh + (size_t)r0 * a.h, a.h, rows, ws, stage, hg_s);
            for (int e = threadIdx.x; e < rows * nu_here; e += P_THREADS)
                fwd_cell(a, hg_s, L.nc_pad, t, r0, e / nu_here, e % nu_here, u0);
        }
        if (t + 1 < a.m)
            grid.sync(); /* h_t complete: every block reads all of it next */
    }
}

/* the cell's backward of (row r, unit u) at step t: dxg/dhg of its gates,
 * dh_rec (the bypass: GRU's dh*z, else 0) and dc */
__device__ static void bwd_cell(const rnn_args &a, int t, int r, int u)
{
    int G = gates_of(a.cell), A = act_of(a.cell), H = a.h;
    size_t bh = (size_t)a.b * H, e = (size_t)r * H + u, row = (size_t)t * a.b + r;
    const float *actp = a.act + row * A * H;
    float act[4] = {0}, dx[4] = {0}, dh[4] = {0}; /* the gates past G unused */
#pragma unroll
    for (int g = 0; g < 4; g++)
        if (g < A)
            act[g] = actp[g * H + u];
    float dy = a.dy[t * bh + e];
    if (a.cell == K_CELL_LSTM)
        cell_lstm_bwd(1, 0, act, a.cs[t * bh + e], a.cs[(t + 1) * bh + e], dy, &a.dh_rec[e],
                      &a.dc[e], dx);
    else if (a.cell == K_CELL_GRU)
        cell_gru_bwd(1, 0, act, a.hs[t * bh + e], dy, &a.dh_rec[e], dx, dh);
    else
        cell_rnn_bwd(0, act, dy, &a.dh_rec[e], dx);
    float *dxg = a.dxg + row * G * H, *dhg = a.dhg + row * G * H;
#pragma unroll
    for (int g = 0; g < 4; g++)
        if (g < G) {
            dxg[g * H + u] = dx[g];
            if (a.cell == K_CELL_GRU)
                dhg[g * H + u] = dh[g];
        }
}

template <int TF32> __global__ void __launch_bounds__(P_THREADS) rnn_bwd_persistent(rnn_args a)
{
    K_DYNAMIC_SMEM(smem);
    cg::grid_group grid = cg::this_grid();
    gemm_layout L = rnn_layout(TF32, 1, a.cell, a.nu, a.h, a.rp);
    int gh = gates_of(a.cell) * a.h, u0 = blockIdx.x * a.nu;
    int nu_here = a.h - u0 < a.nu ? a.h - u0 : a.nu;
    float *ws = smem, *stage = ws + (size_t)L.nc_pad * L.ws_ld, *out = stage + L.rp_pad * L.st_ld;
    load_weights(a, L, u0, ws, true);
    for (int e = threadIdx.x; e < a.b * nu_here; e += P_THREADS) { /* bwd_clear */
        size_t i = (size_t)(e / nu_here) * a.h + u0 + e % nu_here;
        a.dh_rec[i] = 0.0f;
        if (a.dc)
            a.dc[i] = 0.0f;
    }
    __syncthreads();
    for (int t = a.m - 1; t >= 0; t--) {
        for (int e = threadIdx.x; e < a.b * nu_here; e += P_THREADS)
            bwd_cell(a, t, e / nu_here, u0 + e % nu_here);
        if (t == 0)
            break;
        grid.sync(); /* dhg_t complete: every block reads all of it */
        const float *dhg = a.dhg + (size_t)t * a.b * gh;
        for (int r0 = 0; r0 < a.b; r0 += a.rp) {
            int rows = a.b - r0 < a.rp ? a.b - r0 : a.rp;
            block_gemm(L, dhg + (size_t)r0 * gh, gh, rows, ws, stage, out);
            for (int e = threadIdx.x; e < rows * nu_here; e += P_THREADS) {
                int r = e / nu_here, j = e % nu_here;
                float *d = &a.dh_rec[(size_t)(r0 + r) * a.h + u0 + j];
                /* GRU adds to its bypass (the CPU's beta = 1); else replaces */
                *d = a.cell == K_CELL_GRU ? *d + out[r * L.nc_pad + j] : out[r * L.nc_pad + j];
            }
        }
        __syncthreads(); /* dh_rec of the block's units written before its next cell reads them */
    }
}

#endif
