/* test_cpu_rnn.c — the CPU backend's recurrence primitive (rnn_fwd /
 * rnn_bwd, backend_cpu_rnn.c) against a plain step-by-step reference (naive
 * GEMMs in double + the cell_math.h cells), for every cell, with 1, 2 and 3
 * threads over hidden sizes that split unevenly across them (units are
 * dealt out in chunks of 16), and bitwise the same on a rerun; and
 * cpu_gemm.h's GEMM on every ISA this CPU runs (the forced one alone when
 * CHARNN_CPU_ISA is set) against a naive one in
 * double, over shapes with ragged tiles and several k-blocks, bitwise the
 * same at 1, 2 and 3 threads and between its two entry points. The
 * recurrence runs on the ISA of cpu_isa_current(): ctest runs this binary
 * again with CHARNN_CPU_ISA=avx2 and =baseline (exit 77, skipped, where the
 * CPU cannot run the one named). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cell_math.h"
#include "cpu_gemm.h"
#include "rel_norm.h"
#include "rng.h"

enum { M = 5, B = 3 };

typedef struct {
    cell_kind cell;
    size_t h, gh, aw, bh;
    real *w, *bias, *xg, *hs, *cs, *act, *dy, *dxg, *dhg, *dw, *db, *dbi, *work;
} window;

static real *rnd(size_t n, double lo, double hi, uint32_t a)
{
    real *x = calloc(n ? n : 1, sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (real)(lo + (hi - lo) * rng_uniform(12, 34, a, 0, (uint32_t)i));
    return x;
}

static void window_init(window *w, cell_kind cell, size_t h)
{
    w->cell = cell;
    w->h = h;
    w->gh = cell_gates(cell) * h;
    w->aw = cell_act_width(cell) * h;
    w->bh = B * h;
    double wb = 1.0 / sqrt((double)h);
    w->w = rnd(w->gh * h, -wb, wb, 1);
    w->bias = rnd(w->gh, -wb, wb, 2);
    w->xg = rnd(M * B * w->gh, -1.5, 1.5, 3);
    w->hs = rnd((M + 1) * w->bh, -1, 1, 4);
    w->cs = rnd((M + 1) * w->bh, -2, 2, 5);
    w->act = rnd(M * B * w->aw, 0, 0, 6);
    w->dy = rnd(M * w->bh, -1, 1, 7);
    w->dxg = rnd(M * B * w->gh, 0, 0, 8);
    w->dhg = rnd(M * B * w->gh, 0, 0, 9);
    w->dw = rnd(w->gh * h, -1, 1, 10);
    w->db = rnd(w->gh, -1, 1, 11);
    w->dbi = rnd(w->gh, -1, 1, 13);
    w->work = rnd(backend_cpu()->rnn_work(backend_cpu(), cell, B, h), 0, 0, 12);
}

static void window_free(window *w)
{
    real *all[] = {w->w, w->bias, w->xg, w->hs, w->cs, w->act, w->dy,
                   w->dxg, w->dhg, w->dw, w->db, w->dbi, w->work};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
}

/* the primitive under test, on w */
static void run_backend(window *w)
{
    const backend *be = backend_cpu();
    int lstm = w->cell == CELL_LSTM, gru = w->cell == CELL_GRU;
    rnn_seq s = {w->cell, M, B, w->h, w->w, w->bias, w->xg, w->hs, lstm ? w->cs : NULL,
                 w->act, w->work};
    rnn_seq_grad g = {w->dy, w->dxg, gru ? w->dhg : w->dxg, w->dw, w->db, w->dbi};
    be->rnn_fwd(be, &s);
    be->rnn_bwd(be, &s, &g);
}

/* out (B, n) = a (B, k) b^T, b (n, k), or (trans) a (B, k) b, b (k, n); in double */
static void naive_gemm(const real *a, const real *b, size_t n, size_t k, int trans, real beta,
                       real *out)
{
    for (size_t r = 0; r < B; r++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t q = 0; q < k; q++)
                acc += (double)a[r * k + q] * (trans ? b[q * n + j] : b[j * k + q]);
            out[r * n + j] = (real)acc + beta * out[r * n + j];
        }
}

static void reference_fwd(window *w, real *hg)
{
    size_t h = w->h, gh = w->gh, bh = w->bh;
    for (size_t t = 0; t < M; t++) {
        const real *hp = w->hs + t * bh, *cp = w->cs + t * bh;
        naive_gemm(hp, w->w, gh, h, 0, 0, hg);
        for (size_t r = 0; r < B; r++)
            for (size_t u = 0; u < h; u++) {
                const real *x = w->xg + (t * B + r) * gh, *hh = hg + r * gh;
                real *a = w->act + (t * B + r) * w->aw, *ho = w->hs + (t + 1) * bh + r * h;
                size_t e = r * h + u;
                if (w->cell == CELL_LSTM)
                    cell_lstm_fwd(h, u, x, hh, w->bias, cp[e], &w->cs[(t + 1) * bh + e],
                                  &ho[u], a);
                else if (w->cell == CELL_GRU)
                    cell_gru_fwd(h, u, x, hh, w->bias, hp[e], &ho[u], a);
                else
                    cell_rnn_fwd(u, x, hh, w->bias, &ho[u], a);
            }
    }
}

static void reference_bwd(window *w, real *dh_rec, real *dc)
{
    size_t h = w->h, gh = w->gh, bh = w->bh;
    int gru = w->cell == CELL_GRU;
    real *dhg = gru ? w->dhg : w->dxg;
    memset(dh_rec, 0, bh * sizeof *dh_rec);
    memset(dc, 0, bh * sizeof *dc);
    for (size_t t = M; t-- > 0;) {
        for (size_t r = 0; r < B; r++)
            for (size_t u = 0; u < h; u++) {
                size_t e = r * h + u, row = t * B + r;
                const real *a = w->act + row * w->aw;
                real *dx = w->dxg + row * gh, dyv = w->dy[t * bh + e];
                if (w->cell == CELL_LSTM)
                    cell_lstm_bwd(h, u, a, w->cs[t * bh + e], w->cs[(t + 1) * bh + e], dyv,
                                  &dh_rec[e], &dc[e], dx);
                else if (gru)
                    cell_gru_bwd(h, u, a, w->hs[t * bh + e], dyv, &dh_rec[e], dx,
                                 w->dhg + row * gh);
                else
                    cell_rnn_bwd(u, a, dyv, &dh_rec[e], dx);
            }
        if (t > 0)
            naive_gemm(dhg + t * B * gh, w->w, h, gh, 1, gru ? 1 : 0, dh_rec);
    }
    for (size_t i = 0; i < gh; i++)
        for (size_t q = 0; q < M * B; q++) {
            w->db[i] += dhg[q * gh + i];
            w->dbi[i] += w->dxg[q * gh + i];
            for (size_t j = 0; j < h; j++)
                w->dw[i * h + j] += dhg[q * gh + i] * w->hs[q * h + j];
        }
}

static void expect_near(const real *got, const real *want, size_t n, const char *what)
{
    double rel = rel_norm(got, want, n);
    if (!(rel <= 2e-5))
        fail_msg("%s: relative error %.3g", what, rel);
}

static void check_case(cell_kind cell, size_t h, size_t threads)
{
    window got, want;
    window_init(&got, cell, h);
    window_init(&want, cell, h);
    backend_cpu_threads(threads);
    run_backend(&got);
    reference_fwd(&want, want.work);
    real *dh_rec = calloc(want.bh, sizeof(real)), *dc = calloc(want.bh, sizeof(real));
    reference_bwd(&want, dh_rec, dc);
    struct {
        const char *name;
        real *g, *w;
        size_t n;
    } outs[] = {{"hs", got.hs, want.hs, (M + 1) * got.bh},
                {"cs", got.cs, want.cs, cell == CELL_LSTM ? (M + 1) * got.bh : 0},
                {"act", got.act, want.act, M * B * got.aw},
                {"dxg", got.dxg, want.dxg, M * B * got.gh},
                {"dhg", got.dhg, want.dhg, cell == CELL_GRU ? M * B * got.gh : 0},
                {"dw_hh", got.dw, want.dw, got.gh * h},
                {"db_hh", got.db, want.db, got.gh},
                {"db_ih", got.dbi, want.dbi, got.gh}};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        char what[96];
        snprintf(what, sizeof what, "%s h=%zu threads=%zu: %s", cell_name(cell), h, threads,
                 outs[i].name);
        expect_near(outs[i].g, outs[i].w, outs[i].n, what);
    }
    window again;
    window_init(&again, cell, h);
    run_backend(&again);
    assert_memory_equal(again.hs, got.hs, (M + 1) * got.bh * sizeof(real));
    assert_memory_equal(again.dw, got.dw, got.gh * h * sizeof(real));
    window_free(&again);
    free(dh_rec);
    free(dc);
    window_free(&got);
    window_free(&want);
}

static void test_against_reference(void **state)
{
    (void)state;
    const size_t hidden[] = {1, 5, 37, 70}, threads[] = {1, 2, 3};
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
            for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
                check_case((cell_kind)c, hidden[i], threads[t]);
}

/* C (m, n) = alpha op(A) op(B) + beta C in double, BLAS semantics */
static void naive_full_gemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                            const real *a, size_t lda, const real *b, size_t ldb, double beta,
                            real *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t q = 0; q < k; q++)
                acc += (double)(ta ? a[q * lda + i] : a[i * lda + q]) *
                       (tb ? b[j * ldb + q] : b[q * ldb + j]);
            c[i * ldc + j] = (real)(alpha * acc + (beta == 0 ? 0 : beta * c[i * ldc + j]));
        }
}

/* one shape on one kernel: near the reference; bitwise the same at 1, 2
 * and 3 threads; with alpha 1 and beta 0, bitwise cpu_gemm_packed's */
static void check_gemm(const cpu_gemm_kernel *kern, int ta, int tb, size_t m, size_t n, size_t k,
                       real alpha, real beta)
{
    size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    real *a = rnd((ta ? k : m) * lda, -1, 1, 21), *b = rnd((tb ? n : k) * ldb, -1, 1, 22);
    real *c0 = rnd(m * ldc, -1, 1, 23), *want = rnd(m * ldc, -1, 1, 23);
    real *got[3];
    naive_full_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
    char what[128];
    snprintf(what, sizeof what, "gemm %s ta=%d tb=%d %zux%zux%zu alpha=%g beta=%g",
             cpu_isa_name(kern->isa), ta, tb, m, n, k, (double)alpha, (double)beta);
    for (size_t t = 0; t < 3; t++) {
        got[t] = rnd(m * ldc, -1, 1, 23);
        backend_cpu_threads(t + 1);
        cpu_gemm_blocked(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got[t], ldc);
        expect_near(got[t], want, m * ldc, what);
        if (t > 0 && memcmp(got[t], got[0], m * ldc * sizeof(real)) != 0)
            fail_msg("%s: %zu threads differ from 1", what, t + 1);
    }
    if (alpha == 1 && beta == 0 && !ta) {
        real *p = calloc(cpu_gemm_panels_size(kern, k, n) + 1, sizeof(real));
        cpu_gemm_pack(kern, b, ldb, tb, k, n, 1, p);
        cpu_gemm_packed(kern, m, n, k, a, lda, p, c0, ldc, 0);
        for (size_t i = 0; i < m; i++)
            if (memcmp(c0 + i * ldc, got[0] + i * ldc, n * sizeof(real)) != 0)
                fail_msg("%s: cpu_gemm_packed differs from cpu_gemm_blocked", what);
        free(p);
    }
    for (size_t t = 0; t < 3; t++)
        free(got[t]);
    free(a);
    free(b);
    free(c0);
    free(want);
}

static void test_gemm_every_isa(void **state)
{
    (void)state;
    const size_t dims[][3] = {{1, 1, 1},     {13, 37, 5}, {25, 33, 300},
                              {200, 70, 520}, {7, 129, 64}, {29, 555, 40}}; /* 555: 3 NC groups */
    const real scal[][2] = {{1, 0}, {1, 1}, {(real)0.5, (real)-0.75}};
    const char *forced = getenv("CHARNN_CPU_ISA"); /* then that one alone */
    for (int isa = 0; isa < CPU_ISA_COUNT; isa++) {
        if (!cpu_isa_supported((cpu_isa)isa) || (forced && *forced && isa != (int)cpu_isa_current()))
            continue;
        for (size_t d = 0; d < sizeof dims / sizeof *dims; d++)
            for (int tr = 0; tr < 4; tr++)
                for (size_t s = 0; s < sizeof scal / sizeof *scal; s++)
                    check_gemm(cpu_gemm_kernel_of((cpu_isa)isa), tr & 1, tr >> 1, dims[d][0],
                               dims[d][1], dims[d][2], scal[s][0], scal[s][1]);
    }
}

int main(void)
{
    const char *forced = getenv("CHARNN_CPU_ISA");
    cpu_isa isa;
    if (forced && *forced && cpu_isa_parse(forced, &isa) != 0) {
        printf("skipped: CHARNN_CPU_ISA=%s: this CPU cannot run it\n", forced);
        return 77;
    }
    printf("recurrence on %s\n", cpu_isa_name(cpu_isa_current()));
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_reference),
                                       cmocka_unit_test(test_gemm_every_isa)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
