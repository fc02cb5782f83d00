/* backend_cpu_rnn.c — the recurrence of a window on the host (backend.h's
 * rnn_fwd / rnn_bwd): one OpenMP parallel region per window, each thread
 * owning a fixed range of hidden units for all rows and all steps. Each
 * thread lays its slice of W_hh out once per window in cpu_gemm.h's panels
 * (the forward: its rows of each gate; the backward: its columns); a step
 * is the thread's slice of the gate GEMM (cpu_gemm_packed, on the register
 * tile of cpu_isa_current()) writing straight into the gates, then the cell
 * on the same units, then one barrier. Each output element is one chain of
 * multiply-adds in a fixed order (cpu_gemm.h), so results are the same for
 * every thread count on one ISA. The cells are loops the compiler
 * vectorises, one copy per ISA; the bias gradients are summed by the
 * thread that owns the units, in the backward's step order; the weight
 * gradient is one large GEMM over the window after the region. The packed
 * slices live in a buffer of this file, grown (outside the parallel
 * region) when a window needs more, so nothing is allocated per step. */
#include "backend_cpu_impl.h"

#include "cell_math.h"
#include "cpu_clones.h"
#include "cpu_gemm.h"
#include "error.h"

#include <assert.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
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

size_t cpu_rnn_work(const backend *be, cell_kind cell, size_t rows, size_t hidden)
{
    return rnn_work_stepwise(cell, rows, hidden);
}

/* Team size in the coming parallel region. */
static size_t team_size(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_max_threads();
#else
    return 1;
#endif
}

/* elements of thread t's packed slice: G panels of (H, nu) in the forward,
 * one (G*H, nu) in the backward, nu padded to the tile's panel width */
static size_t slice_size(const cpu_gemm_kernel *kern, const rnn_seq *s, size_t t, size_t n)
{
    size_t u0, u1;
    unit_range(s->hidden, t, n, &u0, &u1);
    return cell_gates(s->cell) * cpu_gemm_panels_size(kern, s->hidden, u1 - u0);
}

/* the packed slices of all threads (this file's buffer, grown when needed) */
static real *slices;
static size_t slices_size;

/* thread t's packed slice of n (after slices_reserve for n threads) */
static real *slice_of(const cpu_gemm_kernel *kern, const rnn_seq *s, size_t t, size_t n)
{
    size_t off = 0;
    for (size_t q = 0; q < t; q++)
        off += slice_size(kern, s, q, n);
    return slices + off;
}

/* In the region of nt threads: this thread's units [*u0, *u1) and its
 * packed slice */
static real *my_slice(const cpu_gemm_kernel *kern, const rnn_seq *s, size_t nt, size_t *u0,
                      size_t *u1)
{
    size_t me, n;
    team(&me, &n);
    assert(n == nt);
    unit_range(s->hidden, me, n, u0, u1);
    return slice_of(kern, s, me, n);
}

/* grows the buffer for n threads' slices; outside the parallel region */
static void slices_reserve(const cpu_gemm_kernel *kern, const rnn_seq *s, size_t n)
{
    size_t need = 0;
    for (size_t q = 0; q < n; q++)
        need += slice_size(kern, s, q, n);
    if (need > slices_size) {
        free(slices);
        slices = xmalloc(need * sizeof *slices, "packed recurrent weights");
        slices_size = need;
    }
}

/* The forward's slice: for each gate g, W_hh's rows [g*H+u0, g*H+u1)
 * transposed into panels (k = H, n = nu) */
static void pack_fwd(const cpu_gemm_kernel *kern, const rnn_seq *s, real *wp, size_t u0, size_t u1)
{
    size_t H = s->hidden, per = cpu_gemm_panels_size(kern, H, u1 - u0);
    for (size_t g = 0; g < cell_gates(s->cell); g++)
        cpu_gemm_pack(kern, s->w_hh + (g * H + u0) * H, H, 1, H, u1 - u0, 1, wp + g * per);
}

/* hg[:, g*H+u0 .. g*H+u1) = h_prev W_hh[g*H+u0 .. g*H+u1)^T for every gate g */
static void gates_slice(const cpu_gemm_kernel *kern, const rnn_seq *s, const real *h_prev,
                        const real *wp, real *hg, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, gh = cell_gates(s->cell) * H;
    size_t per = cpu_gemm_panels_size(kern, H, u1 - u0);
    for (size_t g = 0; g < cell_gates(s->cell); g++)
        cpu_gemm_packed(kern, B, u1 - u0, H, h_prev, H, wp + g * per, hg + g * H + u0, gh, 0);
}

/* The cells of one row for units [u0, u1): loops of inlined cell math with
 * no call (cell_math.h's host exp), so they vectorise; one copy per ISA
 * (cell_rows below). */
static inline __attribute__((always_inline)) void
fwd_row_body(const rnn_seq *s, const real *x, const real *hh, real *a, size_t e0, size_t t,
             size_t u0, size_t u1)
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
static inline __attribute__((always_inline)) void
bwd_row_body(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t r, size_t u0, size_t u1)
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

/* the row functions of one ISA */
typedef struct {
    void (*fwd)(const rnn_seq *s, const real *x, const real *hh, real *a, size_t e0, size_t t,
                size_t u0, size_t u1);
    void (*bwd)(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t r, size_t u0, size_t u1);
} cell_rows;

#define CELL_ROWS_COPY(isa, attr)                                                                  \
    attr static void fwd_row_##isa(const rnn_seq *s, const real *x, const real *hh, real *a,      \
                                   size_t e0, size_t t, size_t u0, size_t u1)                     \
    {                                                                                              \
        fwd_row_body(s, x, hh, a, e0, t, u0, u1);                                                  \
    }                                                                                              \
    attr static void bwd_row_##isa(const rnn_seq *s, const rnn_seq_grad *g, size_t t, size_t r,   \
                                   size_t u0, size_t u1)                                           \
    {                                                                                              \
        bwd_row_body(s, g, t, r, u0, u1);                                                          \
    }
CELL_ROWS_COPY(baseline, )
CELL_ROWS_COPY(avx2, CPU_TARGET_AVX2)
CELL_ROWS_COPY(avx512, CPU_TARGET_AVX512)

static const cell_rows rows_of[CPU_ISA_COUNT] = {
    [CPU_ISA_BASELINE] = {fwd_row_baseline, bwd_row_baseline},
    [CPU_ISA_AVX2] = {fwd_row_avx2, bwd_row_avx2},
    [CPU_ISA_AVX512] = {fwd_row_avx512, bwd_row_avx512},
};

/* step t of the forward for units [u0, u1) of every row */
static void fwd_step(const cpu_gemm_kernel *kern, const cell_rows *cr, const rnn_seq *s,
                     const real *wp, size_t t, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    const real *xg = s->xg + t * B * gh;
    real *act = s->act + t * B * aw, *hg = s->work;
    gates_slice(kern, s, s->hs + t * bh, wp, hg, u0, u1);
    for (size_t r = 0; r < B; r++)
        cr->fwd(s, xg + r * gh, hg + r * gh, act + r * aw, r * H, t, u0, u1);
}

/* one thread's part of a window: units [u0, u1) (maybe empty), its packed
 * slice wp; g is NULL in the forward */
typedef void (*thread_part)(const cpu_gemm_kernel *kern, const cell_rows *cr, const rnn_seq *s,
                            const rnn_seq_grad *g, real *wp, size_t u0, size_t u1);

/* the window's parallel region: each thread runs part on its units */
static void run_region(const rnn_seq *s, const rnn_seq_grad *g, thread_part part)
{
    const cpu_gemm_kernel *kern = cpu_gemm_kernel_now();
    const cell_rows *cr = &rows_of[kern->isa];
    size_t nt = team_size();
    slices_reserve(kern, s, nt);
#pragma omp parallel num_threads(nt)
    {
        size_t u0, u1;
        real *wp = my_slice(kern, s, nt, &u0, &u1);
        part(kern, cr, s, g, wp, u0, u1);
    }
}

static void fwd_part(const cpu_gemm_kernel *kern, const cell_rows *cr, const rnn_seq *s,
                     const rnn_seq_grad *g, real *wp, size_t u0, size_t u1)
{
    if (u0 < u1)
        pack_fwd(kern, s, wp, u0, u1);
    for (size_t t = 0; t < s->steps; t++) {
        if (u0 < u1) /* reads all of h_{t-1}, writes its units of h_t */
            fwd_step(kern, cr, s, wp, t, u0, u1);
        barrier();
    }
}

void cpu_rnn_fwd(const backend *be, const rnn_seq *s) { run_region(s, NULL, fwd_part); }

/* the cell's backward at step t for units [u0, u1) of every row */
static void bwd_cell(const cell_rows *cr, const rnn_seq *s, const rnn_seq_grad *g, size_t t,
                     size_t u0, size_t u1)
{
    for (size_t r = 0; r < s->rows; r++)
        cr->bwd(s, g, t, r, u0, u1);
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

static void bwd_part(const cpu_gemm_kernel *kern, const cell_rows *cr, const rnn_seq *s,
                     const rnn_seq_grad *g, real *wp, size_t u0, size_t u1)
{
    size_t B = s->rows, H = s->hidden, gh = cell_gates(s->cell) * H;
    if (u0 < u1) /* W_hh's columns [u0, u1): (G*H, nu) */
        cpu_gemm_pack(kern, s->w_hh + u0, H, 0, gh, u1 - u0, 1, wp);
    bwd_clear(s, u0, u1);
    for (size_t t = s->steps; t-- > 0;) {
        if (u0 < u1)
            bwd_cell(cr, s, g, t, u0, u1); /* its units of dxg_t / dhg_t */
        barrier();
        /* its units of dh_{t-1} from all of dhg_t; GRU adds to its bypass */
        if (t > 0 && u0 < u1)
            cpu_gemm_packed(kern, B, u1 - u0, gh, g->dhg + t * B * gh, gh, wp, s->work + u0, H,
                            s->cell == CELL_GRU);
    }
}

void cpu_rnn_bwd(const backend *be, const rnn_seq *s, const rnn_seq_grad *g)
{
    size_t gh = cell_gates(s->cell) * s->hidden;
    run_region(s, g, bwd_part);
    cpu_gemm(be, 1, 0, gh, s->hidden, s->steps * s->rows, 1, g->dhg, gh, s->hs, s->hidden, 1,
             g->dw_hh, s->hidden);
}
