/* cells.cu — LSTM/GRU/RNN pointwise step, forward and backward, one thread per (row, unit). */
#include "common.cuh"

/* The math of each (row, unit) is src/cell_math.h, shared with the CPU backend. */
#include "cell_math.h"

/* Runs step(r, u, e) for every (row r, unit u) of the step's b x h batch,
 * e = r * h + u; the cell is the same for the whole grid (a uniform branch). */
template <typename Step> __global__ void cells_kernel(Step step)
{
    K_GRID_STRIDE(e, step.b * step.h)
        step(e / step.h, e % step.h, e);
}

template <typename Step> static cudaError_t cells_launch(cudaStream_t s, const Step &step)
{
    if (step.b == 0 || step.h == 0)
        return cudaSuccess;
    cells_kernel<<<k_grid(step.b * step.h), K_BLOCK, 0, s>>>(step);
    return cudaGetLastError();
}

/* k_cell_fwd's arguments; one (row, unit) forward. */
struct cell_fwd_step {
    int cell;
    size_t b, h;
    const float *xg, *hg, *bh, *h_prev, *c_prev;
    float *h_out, *c_out, *act;

    __device__ void operator()(size_t r, size_t u, size_t e) const
    {
        switch (cell) {
        case K_CELL_LSTM:
            cell_lstm_fwd(h, u, xg + r * 4 * h, hg + r * 4 * h, bh, c_prev[e], &c_out[e],
                          &h_out[e], act + r * 4 * h);
            break;
        case K_CELL_GRU:
            cell_gru_fwd(h, u, xg + r * 3 * h, hg + r * 3 * h, bh, h_prev[e], &h_out[e],
                         act + r * 4 * h);
            break;
        default:
            cell_rnn_fwd(u, xg + r * h, hg + r * h, bh, &h_out[e], act + r * h);
        }
    }
};

/* k_cell_bwd's arguments; one (row, unit) backward. */
struct cell_bwd_step {
    int cell;
    size_t b, h;
    const float *act, *h_prev, *c_prev, *c, *dh_above;
    float *dh_rec, *dc, *dxg, *dhg;

    __device__ void operator()(size_t r, size_t u, size_t e) const
    {
        switch (cell) {
        case K_CELL_LSTM:
            cell_lstm_bwd(h, u, act + r * 4 * h, c_prev[e], c[e], dh_above[e], &dh_rec[e], &dc[e],
                          dxg + r * 4 * h);
            break;
        case K_CELL_GRU:
            cell_gru_bwd(h, u, act + r * 4 * h, h_prev[e], dh_above[e], &dh_rec[e],
                         dxg + r * 3 * h, dhg + r * 3 * h);
            break;
        default:
            cell_rnn_bwd(u, act + r * h, dh_above[e], &dh_rec[e], dxg + r * h);
        }
    }
};

extern "C" cudaError_t k_cell_fwd(cudaStream_t s, int cell, size_t b, size_t h,
                                  const float *xg, const float *hg, const float *b_hh,
                                  const float *h_prev, const float *c_prev, float *h_out,
                                  float *c_out, float *act)
{
    return cells_launch(s, cell_fwd_step{cell, b, h, xg, hg, b_hh, h_prev, c_prev, h_out,
                                         c_out, act});
}

extern "C" cudaError_t k_cell_bwd(cudaStream_t s, int cell, size_t b, size_t h,
                                  const float *act, const float *h_prev, const float *c_prev,
                                  const float *c, const float *dh_above, float *dh_rec,
                                  float *dc, float *dxg, float *dhg)
{
    return cells_launch(s, cell_bwd_step{cell, b, h, act, h_prev, c_prev, c, dh_above, dh_rec,
                                         dc, dxg, dhg});
}
