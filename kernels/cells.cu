/* cells.cu — LSTM/GRU/RNN pointwise step, forward and backward, one thread per (row, unit). */
#include "common.cuh"

/* The math of each (row, unit) is src/cell_math.h, shared with the CPU backend. */
#include "cell_math.h"

__global__ void lstm_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                                const float *bh, const float *c_prev, float *h_out,
                                float *c_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_lstm_fwd(h, u, xg + r * 4 * h, hg + r * 4 * h, bh, c_prev[e], &c_out[e],
                      &h_out[e], act + r * 4 * h);
    }
}

__global__ void gru_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                               const float *bh, const float *h_prev, float *h_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_gru_fwd(h, u, xg + r * 3 * h, hg + r * 3 * h, bh, h_prev[e], &h_out[e],
                     act + r * 4 * h);
    }
}

__global__ void rnn_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                               const float *bh, float *h_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_rnn_fwd(u, xg + r * h, hg + r * h, bh, &h_out[e], act + r * h);
    }
}

extern "C" cudaError_t k_cell_fwd(cudaStream_t s, int cell, size_t b, size_t h,
                                  const float *xg, const float *hg, const float *b_hh,
                                  const float *h_prev, const float *c_prev, float *h_out,
                                  float *c_out, float *act)
{
    if (b == 0 || h == 0)
        return cudaSuccess;
    unsigned grid = k_grid(b * h);
    if (cell == K_CELL_LSTM)
        lstm_fwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, xg, hg, b_hh, c_prev, h_out, c_out,
                                                 act);
    else if (cell == K_CELL_GRU)
        gru_fwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, xg, hg, b_hh, h_prev, h_out, act);
    else
        rnn_fwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, xg, hg, b_hh, h_out, act);
    return cudaGetLastError();
}

__global__ void lstm_bwd_kernel(size_t b, size_t h, const float *act, const float *c_prev,
                                const float *c, const float *dh_above, float *dh_rec,
                                float *dc, float *dxg)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_lstm_bwd(h, u, act + r * 4 * h, c_prev[e], c[e], dh_above[e], &dh_rec[e], &dc[e],
                      dxg + r * 4 * h);
    }
}

__global__ void gru_bwd_kernel(size_t b, size_t h, const float *act, const float *h_prev,
                               const float *dh_above, float *dh_rec, float *dxg, float *dhg)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_gru_bwd(h, u, act + r * 4 * h, h_prev[e], dh_above[e], &dh_rec[e], dxg + r * 3 * h,
                     dhg + r * 3 * h);
    }
}

__global__ void rnn_bwd_kernel(size_t b, size_t h, const float *act, const float *dh_above,
                               float *dh_rec, float *dxg)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        cell_rnn_bwd(u, act + r * h, dh_above[e], &dh_rec[e], dxg + r * h);
    }
}

extern "C" cudaError_t k_cell_bwd(cudaStream_t s, int cell, size_t b, size_t h,
                                  const float *act, const float *h_prev, const float *c_prev,
                                  const float *c, const float *dh_above, float *dh_rec,
                                  float *dc, float *dxg, float *dhg)
{
    if (b == 0 || h == 0)
        return cudaSuccess;
    unsigned grid = k_grid(b * h);
    if (cell == K_CELL_LSTM)
        lstm_bwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, act, c_prev, c, dh_above, dh_rec, dc,
                                                 dxg);
    else if (cell == K_CELL_GRU)
        gru_bwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, act, h_prev, dh_above, dh_rec, dxg, dhg);
    else
        rnn_bwd_kernel<<<grid, K_BLOCK, 0, s>>>(b, h, act, dh_above, dh_rec, dxg);
    return cudaGetLastError();
}
