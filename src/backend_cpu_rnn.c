/* backend_cpu_rnn.c — the recurrence of a window on the host (backend.h's
 * rnn_fwd / rnn_bwd): one OpenMP parallel region per window, each thread
 * owning a fixed range of hidden units for all rows and all steps. A step is
 * the thread's slice of the gate GEMM (its rows of W_hh, one single-threaded
 * BLAS call per gate) fused with the cell on the same units, then one
 * barrier; no allocation. Each output element is computed by one thread
 * with a fixed call shape, so results depend on the thread count only. The
 * weight gradient is one large GEMM over the window after the region. */
#include "backend_cpu_impl.h"

#include "cell_math.h"

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

/* step t of the forward for units [u0, u1) of every row */
static void fwd_step(const rnn_seq *s, const real *wp, size_t t, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    const real *h_prev = s->hs + t * bh, *xg = s->xg + t * B * gh;
    real *h_out = s->hs + (t + 1) * bh, *act = s->act + t * B * aw, *hg = s->work;
    const real *c_prev = s->cs ? s->cs + t * bh : NULL;
    real *c_out = s->cs ? s->cs + (t + 1) * bh : NULL;
    gates_slice(s, h_prev, wp, hg, u0, u1);
    for (size_t r = 0; r < B; r++) {
        const real *x = xg + r * gh, *hh = hg + r * gh;
        real *a = act + r * aw;
        for (size_t u = u0, e = r * H + u0; u < u1; u++, e++) {
            if (s->cell == CELL_LSTM)
                cell_lstm_fwd(H, u, x, hh, s->b_hh, c_prev[e], &c_out[e], &h_out[e], a);
            else if (s->cell == CELL_GRU)
                cell_gru_fwd(H, u, x, hh, s->b_hh, h_prev[e], &h_out[e], a);
            else
                cell_rnn_fwd(u, x, hh, s->b_hh, &h_out[e], a);
        }
    }
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

/* the cell's backward at step t for units [u0, u1) of every row */
static void bwd_cell(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    real *dh_rec = s->work, *dc = s->work + bh;
    const real *act = s->act + t * B * aw, *h_prev = s->hs + t * bh, *dy = g->dy + t * bh;
    const real *c_prev = s->cs ? s->cs + t * bh : NULL, *c = s->cs ? s->cs + (t + 1) * bh : NULL;
    real *dxg = g->dxg + t * B * gh, *dhg = g->dhg + t * B * gh;
    for (size_t r = 0; r < B; r++) {
        const real *a = act + r * aw;
        real *dx = dxg + r * gh;
        for (size_t u = u0, e = r * H + u0; u < u1; u++, e++) {
            if (s->cell == CELL_LSTM)
                cell_lstm_bwd(H, u, a, c_prev[e], c[e], dy[e], &dh_rec[e], &dc[e], dx);
            else if (s->cell == CELL_GRU)
                cell_gru_bwd(H, u, a, h_prev[e], dy[e], &dh_rec[e], dx, dhg + r * gh);
            else
                cell_rnn_bwd(u, a, dy[e], &dh_rec[e], dx);
        }
    }
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
    cpu_sum_rows(NULL, g->db_hh, g->dhg, n, gh);
}
