/* backend_cpu_rnn.c — the recurrence of a window on the host (backend.h's
 * rnn_fwd / rnn_bwd): one OpenMP parallel region per window, each thread
 * owning a fixed range of hidden units for all rows and all steps. A step is
 * the thread's slice of the gate GEMM (its rows of W_hh, one single-threaded
 * BLAS call per gate) fused with the cell on the same units, then one
 * barrier; no allocation. Each output element is computed by one thread
 * with a fixed call shape, so results depend on the thread count only. The
 * cells are loops the compiler vectorises; the bias gradients are summed by
 * the thread that owns the units, in the backward's step order; the weight
 * gradient is one large GEMM over the window after the region. */
#include "backend_cpu_impl.h"

#include "cell_math.h"
#include "cpu_clones.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <string.h>

/* Units [*u0, *u1) of thread t of n: chunks of a multiple of 16 (a cache
 * line of floats), the last ones possibly short or empty. */
static void unit_range(size_t h, size_t t, size_t n, size_t *u0, size_t *u1)
{
    size_t chunk = (h + n - 1) / n;
    chunk = (chunk + 15) / 16 * 16;
    *u0 = t * chunk < h ? t * chunk : h;
    *u1 = *u0 + chunk < h ? *u0 + chunk : h;
}

/* This thread's index and the team size (0 and 1 outside OpenMP). */
static void team(size_t *t, size_t *n)
{
#ifdef _OPENMP
    *t = (size_t)omp_get_thread_num();
    *n = (size_t)omp_get_num_threads();
#else
    *t = 0;
    *n = 1;
#endif
}

static void barrier(void){
#ifdef _OPENMP
#pragma omp barrier
#endif
}

/* the forward's extra scratch after the stepwise one: W_hh packed per
 * thread (G*H, H) and the GEMM's output in that order (B, G*H) */
static size_t packed_offset(cell_kind cell, size_t rows, size_t hidden)
{
    return rnn_work_stepwise(cell, rows, hidden);
}

size_t cpu_rnn_work(const backend *be, cell_kind cell, size_t rows, size_t hidden)
{
    size_t gh = cell_gates(cell) * hidden;
    return packed_offset(cell, rows, hidden) + gh * hidden + rows * gh;
}

/* This thread's rows of W_hh, gate after gate: (G*nu, H), nu = u1 - u0 */
static real *pack_weights(const rnn_seq *s, size_t u0, size_t u1)
{
    size_t H = s->hidden, G = cell_gates(s->cell), nu = u1 - u0;
    real *wp = s->work + packed_offset(s->cell, s->rows, H) + G * u0 * H;
    for (size_t g = 0; g < G; g++)
        memcpy(wp + g * nu * H, s->w_hh + (g * H + u0) * H, nu * H * sizeof(real));
    return wp;
}

/* hg[:, g*H+u0 .. g*H+u1) = h_prev W_hh[g*H+u0 .. g*H+u1)^T for every gate
 * g: one GEMM on the packed rows wp, then its (B, G*nu) output spread into
 * hg's gate blocks (a copy a thousand times cheaper than the GEMM) */
static void gates_slice(const rnn_seq *s, const real *h_prev, const real *wp, real *hg,
                        size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, G = cell_gates(s->cell), gh = G * H, nu = u1 - u0;
    real *out = s->work + packed_offset(s->cell, B, H) + gh * H + B * G * u0;
    cpu_gemm(NULL, 0, 1, B, G * nu, H, 1, h_prev, H, wp, H, 0, out, G * nu);
    for (size_t r = 0; r < B; r++)
        for (size_t g = 0; g < G; g++)
            memcpy(hg + r * gh + g * H + u0, out + (r * G + g) * nu, nu * sizeof(real));
}

/* The cells of one row for units [u0, u1): loops of inlined cell math with
 * no call (cell_math.h's host exp), so they vectorise (cpu_clones.h). */
CPU_CLONES static void fwd_row(const rnn_seq *s, const real *x, const real *hh, real *a,
                               size_t e0, size_t t, size_t u0, size_t u1)
{
    size_t H = s->hidden, bh = s->rows * H;
    real *h_out = s->hs + (t + 1) * bh + e0;
    if (s->cell == CELL_LSTM) {
        const real *c_prev = s->cs + t * bh + e0;
        real *c_out = s->cs + (t + 1) * bh + e0;
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_lstm_fwd(H, u, x, hh, s->b_hh, c_prev[u], &c_out[u], &h_out[u], a);
    } else if (s->cell == CELL_GRU) {
        const real *h_prev = s->hs + t * bh + e0;
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_gru_fwd(H, u, x, hh, s->b_hh, h_prev[u], &h_out[u], a);
    } else {
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_rnn_fwd(u, x, hh, s->b_hh, &h_out[u], a);
    }
}

/* step t of the forward for units [u0, u1) of every row */
static void fwd_step(const rnn_seq *s, const real *wp, size_t t, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    const real *xg = s->xg + t * B * gh;
    real *act = s->act + t * B * aw, *hg = s->work;
    gates_slice(s, s->hs + t * bh, wp, hg, u0, u1);
    for (size_t r = 0; r < B; r++)
        fwd_row(s, xg + r * gh, hg + r * gh, act + r * aw, r * H, t, u0, u1);
}

void cpu_rnn_fwd(const backend *be, const rnn_seq *s)
{
#pragma omp parallel
    {
        size_t me, n, u0, u1;
        team(&me, &n);
        unit_range(s->hidden, me, n, &u0, &u1);
        const real *wp = u0 < u1 ? pack_weights(s, u0, u1) : NULL;
        for (size_t t = 0; t < s->steps; t++) {
            if (u0 < u1)
                fwd_step(s, wp, t, u0, u1); /* reads all of h_{t-1}, writes its units of h_t */
            barrier();
        }
    }
}

/* the bias gradients of units [u0, u1) of one row (t descending, rows
 * ascending: one order for every thread count) */
static inline void bias_sums(const rnn_seq *s, const rnn_seq_grad *g, const real *dx,
                             const real *dh, size_t u0, size_t u1)
{
    size_t H = s->hidden;
    for (size_t q = 0; q < cell_gates(s->cell); q++) {
        real *bi = g->db_ih + q * H, *bh = g->db_hh + q * H;
        const real *x = dx + q * H, *h = dh + q * H;
#pragma omp simd
        for (size_t u = u0; u < u1; u++) {
            bi[u] += x[u];
            bh[u] += h[u];
        }
    }
}

/* the cell's backward for one row, units [u0, u1) (vectorised as fwd_row),
 * and its share of the bias gradients */
CPU_CLONES static void bwd_row(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t r,
                               size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H, e0 = r * H;
    const real *a = s->act + (t * B + r) * cell_act_width(s->cell) * H;
    const real *dy = g->dy + t * bh + e0;
    real *dh_rec = s->work + e0, *dx = g->dxg + (t * B + r) * gh;
    real *dhg = g->dhg + (t * B + r) * gh;
    if (s->cell == CELL_LSTM) {
        const real *c_prev = s->cs + t * bh + e0, *c = s->cs + (t + 1) * bh + e0;
        real *dc = s->work + bh + e0;
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_lstm_bwd(H, u, a, c_prev[u], c[u], dy[u], &dh_rec[u], &dc[u], dx);
    } else if (s->cell == CELL_GRU) {
        const real *h_prev = s->hs + t * bh + e0;
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_gru_bwd(H, u, a, h_prev[u], dy[u], &dh_rec[u], dx, dhg);
    } else {
#pragma omp simd
        for (size_t u = u0; u < u1; u++)
            cell_rnn_bwd(u, a, dy[u], &dh_rec[u], dx);
    }
    bias_sums(s, g, dx, dhg, u0, u1);
}

/* the cell's backward at step t for units [u0, u1) of every row */
static void bwd_cell(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t u0, size_t u1)
{
    for (size_t r = 0; r < s->rows; r++)
        bwd_row(s, g, t, r, u0, u1);
}

/* zero this thread's units of dh_rec and dc */
static void bwd_clear(const rnn_seq *s, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden;
    for (size_t r = 0; r < B && u0 < u1; r++) {
        memset(s->work + r * H + u0, 0, (u1 - u0) * sizeof(real));
        memset(s->work + B * H + r * H + u0, 0, (u1 - u0) * sizeof(real));
    }
}

void cpu_rnn_bwd(const backend *be, const rnn_seq *s, const rnn_seq_grad *g)
{
    size_t B = s->rows, H = s->hidden, gh = cell_gates(s->cell) * H;
    int gru = s->cell == CELL_GRU;
#pragma omp parallel
    {
        size_t me, n, u0, u1;
        team(&me, &n);
        unit_range(H, me, n, &u0, &u1);
        bwd_clear(s, u0, u1);
        for (size_t t = s->steps; t-- > 0;) {
            if (u0 < u1)
                bwd_cell(s, g, t, u0, u1); /* its units of dxg_t / dhg_t */
            barrier();
            /* its units of dh_{t-1} from all of dhg_t; GRU adds to its bypass */
            if (t > 0 && u0 < u1)
                cpu_gemm(NULL, 0, 0, B, u1 - u0, gh, 1, g->dhg + t * B * gh, gh, s->w_hh + u0, H,
                         gru ? 1 : 0, s->work + u0, H);
        }
    }
    size_t n = s->steps * B;
    cpu_gemm(NULL, 1, 0, gh, H, n, 1, g->dhg, gh, s->hs, H, 1, g->dw_hh, H);
}
