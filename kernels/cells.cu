/* cells.cu — LSTM/GRU/RNN pointwise step, forward and backward, one thread per (row, unit). */
#include "common.cuh"

/* Conventions (gate order, act layout): the comment atop src/backend.h. */

__device__ __forceinline__ float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void lstm_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                                const float *bh, const float *c_prev, float *h_out,
                                float *c_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        const float *x = xg + r * 4 * h, *hh = hg + r * 4 * h;
        float *a = act + r * 4 * h;
        float i = sigm(x[u] + hh[u] + bh[u]);
        float f = sigm(x[h + u] + hh[h + u] + bh[h + u]);
        float g = tanhf(x[2 * h + u] + hh[2 * h + u] + bh[2 * h + u]);
        float o = sigm(x[3 * h + u] + hh[3 * h + u] + bh[3 * h + u]);
        float c = f * c_prev[e] + i * g;
        c_out[e] = c;
        h_out[e] = o * tanhf(c);
        a[u] = i;
        a[h + u] = f;
        a[2 * h + u] = g;
        a[3 * h + u] = o;
    }
}

__global__ void gru_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                               const float *bh, const float *h_prev, float *h_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        const float *x = xg + r * 3 * h, *hh = hg + r * 3 * h;
        float *a = act + r * 4 * h;
        float rg = sigm(x[u] + hh[u] + bh[u]);
        float z = sigm(x[h + u] + hh[h + u] + bh[h + u]);
        float hn = hh[2 * h + u] + bh[2 * h + u];
        float n = tanhf(x[2 * h + u] + rg * hn);
        h_out[e] = (1.0f - z) * n + z * h_prev[e];
        a[u] = rg;
        a[h + u] = z;
        a[2 * h + u] = n;
        a[3 * h + u] = hn;
    }
}

__global__ void rnn_fwd_kernel(size_t b, size_t h, const float *xg, const float *hg,
                               const float *bh, float *h_out, float *act)
{
    K_GRID_STRIDE(e, b * h) {
        float y = tanhf(xg[e] + hg[e] + bh[e % h]);
        act[e] = y;
        h_out[e] = y;
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
        const float *a = act + r * 4 * h;
        float *dg = dxg + r * 4 * h;
        float i = a[u], f = a[h + u], g = a[2 * h + u], o = a[3 * h + u];
        float tc = tanhf(c[e]);
        float dh = dh_above[e] + dh_rec[e];
        float dct = dc[e] + dh * o * (1.0f - tc * tc);
        dg[u] = dct * g * i * (1.0f - i);
        dg[h + u] = dct * c_prev[e] * f * (1.0f - f);
        dg[2 * h + u] = dct * i * (1.0f - g * g);
        dg[3 * h + u] = dh * tc * o * (1.0f - o);
        dc[e] = dct * f;
        dh_rec[e] = 0.0f;
    }
}

__global__ void gru_bwd_kernel(size_t b, size_t h, const float *act, const float *h_prev,
                               const float *dh_above, float *dh_rec, float *dxg, float *dhg)
{
    K_GRID_STRIDE(e, b * h) {
        size_t r = e / h, u = e % h;
        const float *a = act + r * 4 * h;
        float *dx = dxg + r * 3 * h, *dhh = dhg + r * 3 * h;
        float rg = a[u], z = a[h + u], n = a[2 * h + u], hn = a[3 * h + u];
        float dh = dh_above[e] + dh_rec[e];
        float dn = dh * (1.0f - z) * (1.0f - n * n);
        float dz = dh * (h_prev[e] - n) * z * (1.0f - z);
        float dr = dn * hn * rg * (1.0f - rg);
        dx[u] = dhh[u] = dr;
        dx[h + u] = dhh[h + u] = dz;
        dx[2 * h + u] = dn;
        dhh[2 * h + u] = dn * rg;
        dh_rec[e] = dh * z;
    }
}

__global__ void rnn_bwd_kernel(size_t b, size_t h, const float *act, const float *dh_above,
                               float *dh_rec, float *dxg)
{
    K_GRID_STRIDE(e, b * h) {
        float y = act[e];
        dxg[e] = (dh_above[e] + dh_rec[e]) * (1.0f - y * y);
        dh_rec[e] = 0.0f;
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
