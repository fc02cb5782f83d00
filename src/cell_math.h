/* cell_math.h — the pointwise math of each cell for one (row, unit): the one
 * definition shared by the CPU backend (a loop over units) and the CUDA
 * kernels (a thread per unit). Pointers are to the row's vectors; layouts and
 * gate orders as atop backend.h. */
#ifndef CHARNN_CELL_MATH_H
#define CHARNN_CELL_MATH_H

#include "real.h"

#include <stddef.h>

#ifdef __CUDACC__
#define CELL_FN static __device__ __forceinline__
#else
#include <math.h>
/* always inlined: the CPU backend's row loops are compiled once per ISA
 * (cpu_clones.h's targets), and GCC inlines a plain function into a
 * function built for another target only when it must */
#define CELL_FN static inline __attribute__((always_inline))
#endif

#ifdef CHARNN_DOUBLE
#define CELL_EXP exp
CELL_FN real cell_tanh(real x) { return tanh(x); }
#else
#ifdef __CUDACC__
#define CELL_EXP expf
#else
#include <stdint.h>
#include <string.h>
/* exp on the host: Cephes' degree-6 polynomial on x - n ln2, scaled by 2^n
 * built in the exponent bits; within 1 ulp of the exact exp over [-87, 88] (x is
 * clamped there, NaN passes through). Plain arithmetic with no call and no
 * float-to-int conversion, so a loop of cells vectorises (glibc's expf is a
 * scalar call). The device keeps CUDA's expf. */
CELL_FN float cell_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float m = x * 1.44269504088896341f + 12582912.0f; /* 1.5 * 2^23: rounds */
    float n = m - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f; /* x - n ln2, ln2 split */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    uint32_t mb, sb;
    memcpy(&mb, &m, sizeof mb);
    sb = (mb - 0x4B400000u + 127u) << 23; /* n sits in m's low mantissa bits */
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}
#define CELL_EXP cell_expf
#endif
/* tanh through exp (glibc's tanhf goes through expm1f, ~4x slower): a few
 * ulp of absolute error, odd; the same formula on both backends. */
CELL_FN float cell_tanh(float x)
{
    float e = CELL_EXP(-2.0f * fabsf(x));
    return copysignf((1.0f - e) / (1.0f + e), x);
}
#endif

CELL_FN real cell_sigm(real x) { return (real)1 / ((real)1 + CELL_EXP(-x)); }

CELL_FN void cell_lstm_fwd(size_t h, size_t u, const real *xg, const real *hg, const real *bh,
                           real c_prev, real *c_out, real *h_out, real *act)
{
    real i = cell_sigm(xg[u] + hg[u] + bh[u]);
    real f = cell_sigm(xg[h + u] + hg[h + u] + bh[h + u]);
    real g = cell_tanh(xg[2 * h + u] + hg[2 * h + u] + bh[2 * h + u]);
    real o = cell_sigm(xg[3 * h + u] + hg[3 * h + u] + bh[3 * h + u]);
    real c = f * c_prev + i * g;
    *c_out = c;
    *h_out = o * cell_tanh(c);
    act[u] = i;
    act[h + u] = f;
    act[2 * h + u] = g;
    act[3 * h + u] = o;
}

CELL_FN void cell_gru_fwd(size_t h, size_t u, const real *xg, const real *hg, const real *bh,
                          real h_prev, real *h_out, real *act)
{
    real r = cell_sigm(xg[u] + hg[u] + bh[u]);
    real z = cell_sigm(xg[h + u] + hg[h + u] + bh[h + u]);
    real hn = hg[2 * h + u] + bh[2 * h + u];
    real n = cell_tanh(xg[2 * h + u] + r * hn);
    *h_out = ((real)1 - z) * n + z * h_prev;
    act[u] = r;
    act[h + u] = z;
    act[2 * h + u] = n;
    act[3 * h + u] = hn;
}

CELL_FN void cell_rnn_fwd(size_t u, const real *xg, const real *hg, const real *bh,
                          real *h_out, real *act)
{
    act[u] = *h_out = cell_tanh(xg[u] + hg[u] + bh[u]);
}

/* Backward: dh = dh_above + *dh_rec reaches h_t; *dh_rec becomes the part
 * of dh_prev that bypasses W_hh; *dc goes from dc_t to dc_prev (LSTM). */
CELL_FN void cell_lstm_bwd(size_t h, size_t u, const real *act, real c_prev, real c,
                           real dh_above, real *dh_rec, real *dc, real *dg)
{
    real i = act[u], f = act[h + u], g = act[2 * h + u], o = act[3 * h + u];
    real tc = cell_tanh(c);
    real dh = dh_above + *dh_rec;
    real dct = *dc + dh * o * ((real)1 - tc * tc);
    dg[u] = dct * g * i * ((real)1 - i);
    dg[h + u] = dct * c_prev * f * ((real)1 - f);
    dg[2 * h + u] = dct * i * ((real)1 - g * g);
    dg[3 * h + u] = dh * tc * o * ((real)1 - o);
    *dc = dct * f;
    *dh_rec = 0;
}

CELL_FN void cell_gru_bwd(size_t h, size_t u, const real *act, real h_prev, real dh_above,
                          real *dh_rec, real *dxg, real *dhg)
{
    real r = act[u], z = act[h + u], n = act[2 * h + u], hn = act[3 * h + u];
    real dh = dh_above + *dh_rec;
    real dn = dh * ((real)1 - z) * ((real)1 - n * n);
    real dz = dh * (h_prev - n) * z * ((real)1 - z);
    real dr = dn * hn * r * ((real)1 - r);
    dxg[u] = dhg[u] = dr;
    dxg[h + u] = dhg[h + u] = dz;
    dxg[2 * h + u] = dn;
    dhg[2 * h + u] = dn * r;
    *dh_rec = dh * z;
}

CELL_FN void cell_rnn_bwd(size_t u, const real *act, real dh_above, real *dh_rec, real *dxg)
{
    real y = act[u];
    dxg[u] = (dh_above + *dh_rec) * ((real)1 - y * y);
    *dh_rec = 0;
}

#endif
