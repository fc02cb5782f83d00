/* cpu_gemm.c — the packing and the blocked, threaded product of cpu_gemm.h
 * around one ISA's register tile. */
#include "cpu_gemm.h"

#include "error.h"

#include <assert.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The blocked product's blocks (measured on 10000 x 2048 x 512, 10000 x
 * 512 x 2048 and 2048 x 512 x 10000, a training step's products):
 * - KC rows of B a block: 512 loads each C tile half as often as 256 and
 *   was faster on all three, though a 512 x 32 panel is more than an L1;
 * - MC rows of A a block (in L2);
 * - NC columns of C at a time within a block of A (a multiple of every
 *   tile's nr): each micro-panel of A runs across the NC columns' panels
 *   (in L2) before the next, so C is walked along its rows, where the
 *   hardware prefetches it, not down its columns (a cold line a row);
 * - PACK_AHEAD: packing A transposed, the source row that far ahead is
 *   prefetched (each row is another page: the hardware does not). */
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC 192
#endif
#ifndef GEMM_NC
#define GEMM_NC 256
#endif
#ifndef PACK_AHEAD
#define PACK_AHEAD 4
#endif

const cpu_gemm_kernel *cpu_gemm_kernel_of(cpu_isa isa)
{
    switch (isa) {
    case CPU_ISA_AVX512:
        return &cpu_gemm_avx512;
    case CPU_ISA_AVX2:
        return &cpu_gemm_avx2;
    default:
        return &cpu_gemm_baseline;
    }
}

const cpu_gemm_kernel *cpu_gemm_kernel_now(void) { return cpu_gemm_kernel_of(cpu_isa_current()); }

size_t cpu_gemm_panels_size(const cpu_gemm_kernel *kern, size_t k, size_t n)
{
    return (n + kern->nr - 1) / kern->nr * kern->nr * k;
}

/* panel j of B (columns [j*nr, j*nr + nr)) into p: k rows of nr */
static void pack_panel(const cpu_gemm_kernel *kern, const real *b, size_t ldb, int trans,
                       size_t k, size_t n, real alpha, size_t j, real *p)
{
    size_t nr = kern->nr, j0 = j * nr, w = n - j0 < nr ? n - j0 : nr;
    for (size_t q = 0; q < k; q++) {
        real *row = p + q * nr;
        if (trans)
            for (size_t c = 0; c < w; c++)
                row[c] = alpha * b[(j0 + c) * ldb + q];
        else
            for (size_t c = 0; c < w; c++)
                row[c] = alpha * b[q * ldb + j0 + c];
        for (size_t c = w; c < nr; c++)
            row[c] = 0;
    }
}

void cpu_gemm_pack(const cpu_gemm_kernel *kern, const real *b, size_t ldb, int trans, size_t k,
                   size_t n, real alpha, real *p)
{
    size_t panels = (n + kern->nr - 1) / kern->nr;
    for (size_t j = 0; j < panels; j++)
        pack_panel(kern, b, ldb, trans, k, n, alpha, j, p + j * k * kern->nr);
}

void cpu_gemm_packed(const cpu_gemm_kernel *kern, size_t m, size_t n, size_t k, const real *a,
                     size_t lda, const real *p, real *c, size_t ldc, int acc)
{
    size_t mr = kern->mr, nr = kern->nr;
    for (size_t j0 = 0; j0 < n; j0 += nr)
        for (size_t i0 = 0; i0 < m; i0 += mr)
            kern->tile(k, a + i0 * lda, lda, 1, p + j0 * k, c + i0 * ldc + j0, ldc,
                       m - i0 < mr ? m - i0 : mr, n - j0 < nr ? n - j0 : nr, acc);
}

/* rows [i0, i0 + mc) x k-block [q0, q0 + kc) of A into micro-panels of mr
 * rows, each kc columns of mr (the rows past m zero). A transposed: each
 * source row (one q) read once, in order, into every micro-panel; else
 * micro-panel by micro-panel, its mr source rows read side by side. Either
 * way every source row is a run of addresses (one page, not one per q). */
static void pack_a(const cpu_gemm_kernel *kern, const real *a, size_t lda, int trans, size_t i0,
                   size_t mc, size_t q0, size_t kc, real *ap)
{
    size_t mr = kern->mr;
    if (trans)
        for (size_t q = 0; q < kc; q++) {
            const real *src = a + (q0 + q) * lda + i0;
            if (q + PACK_AHEAD < kc)
                for (size_t b = 0; b < mc; b += 64 / sizeof(real))
                    __builtin_prefetch(src + PACK_AHEAD * lda + b, 0, 3);
            for (size_t r0 = 0; r0 < mc; r0 += mr) {
                size_t h = mc - r0 < mr ? mc - r0 : mr;
                real *dst = ap + r0 * kc + q * mr;
                for (size_t i = 0; i < h; i++)
                    dst[i] = src[r0 + i];
            }
        }
    else
        for (size_t r0 = 0; r0 < mc; r0 += mr) {
            size_t h = mc - r0 < mr ? mc - r0 : mr;
            const real *src = a + (i0 + r0) * lda + q0;
            real *dst = ap + r0 * kc;
            for (size_t q = 0; q < kc; q++)
                for (size_t i = 0; i < h; i++)
                    dst[q * mr + i] = src[i * lda + q];
        }
    size_t tail = mc % mr; /* the last micro-panel's rows past mc */
    if (tail)
        for (size_t q = 0; q < kc; q++)
            for (size_t i = tail; i < mr; i++)
                ap[(mc - tail) * kc + q * mr + i] = 0;
}

/* the blocked product's buffers: B's block of panels (shared), A's blocks
 * (one per thread); grown, never shrunk */
static void *buf;
static size_t buf_bytes;

static real *buffers(size_t floats)
{
    return xgrow(&buf, &buf_bytes, floats * sizeof(real), "GEMM packing buffers");
}

/* C = beta C for beta other than 0 and 1 (then added onto) */
static void scale_c(size_t m, size_t n, real beta, real *c, size_t ldc)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

/* one MC block of rows [i0, i0 + mc) x columns [j0, j1) (whole panels but
 * for n) for the k-block at q0 against B's packed block bp (kc rows of
 * every panel), A's block packed at ap (by the caller); NC columns at a
 * time, micro-panel by micro-panel of A */
static void block_rows(const cpu_gemm_kernel *kern, size_t j0, size_t j1, size_t n, size_t i0,
                       size_t mc, size_t kc, const real *bp, const real *ap, real *c, size_t ldc,
                       int acc)
{
    size_t mr = kern->mr, nr = kern->nr;
    for (size_t g0 = j0; g0 < j1; g0 += GEMM_NC) {
        size_t g1 = g0 + GEMM_NC < j1 ? g0 + GEMM_NC : j1;
        for (size_t r0 = 0; r0 < mc; r0 += mr)
            for (size_t j = g0; j < g1; j += nr)
                kern->tile(kc, ap + r0 * kc, 1, mr, bp + j * kc, c + (i0 + r0) * ldc + j, ldc,
                           mc - r0 < mr ? mc - r0 : mr, n - j < nr ? n - j : nr, acc);
    }
}

void cpu_gemm_blocked(const cpu_gemm_kernel *kern, int trans_a, int trans_b, size_t m, size_t n,
                      size_t k, real alpha, const real *a, size_t lda, const real *b,
                      size_t ldb, real beta, real *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (beta != 1 && (beta != 0 || k == 0 || alpha == 0))
        scale_c(m, n, beta, c, ldc);
    if (k == 0 || alpha == 0)
        return;
    int acc0 = beta != 0;
#ifdef _OPENMP
    assert(!omp_in_parallel());
    size_t nt = (size_t)omp_get_max_threads();
#else
    size_t nt = 1;
#endif
    size_t kc_max = k < GEMM_KC ? k : GEMM_KC, mc_max = (GEMM_MC + kern->mr - 1) / kern->mr * kern->mr;
    size_t bsz = cpu_gemm_panels_size(kern, kc_max, n), asz = mc_max * kc_max;
    real *bp = buffers(bsz + nt * asz);
    size_t panels = (n + kern->nr - 1) / kern->nr, mblocks = (m + mc_max - 1) / mc_max;
    /* work units: an MC block x a run of panels, at least ~8 a thread */
    size_t runs = mblocks >= 8 * nt ? 1 : (8 * nt + mblocks - 1) / mblocks;
    runs = runs < panels ? runs : panels;
    size_t per = (panels + runs - 1) / runs * kern->nr;
#pragma omp parallel
    {
#ifdef _OPENMP
        real *ap = bp + bsz + (size_t)omp_get_thread_num() * asz;
#else
        real *ap = bp + bsz;
#endif
        size_t packed = SIZE_MAX; /* the row block of A in ap, if any */
        for (size_t q0 = 0; q0 < k; q0 += kc_max) {
            size_t kc = k - q0 < kc_max ? k - q0 : kc_max;
            const real *bq = trans_b ? b + q0 : b + q0 * ldb;
#pragma omp for schedule(static)
            for (size_t j = 0; j < panels; j++)
                pack_panel(kern, bq, ldb, trans_b, kc, n, alpha, j, bp + j * kc * kern->nr);
#pragma omp for schedule(static)
            for (size_t u = 0; u < mblocks * runs; u++) {
                size_t i0 = u / runs * mc_max, mc = m - i0 < mc_max ? m - i0 : mc_max;
                size_t j0 = u % runs * per, j1 = j0 + per < n ? j0 + per : n;
                if (i0 != packed) /* a thread's units come in order: each block once */
                    pack_a(kern, a, lda, trans_a, i0, mc, q0, kc, ap);
                packed = i0;
                block_rows(kern, j0, j1, n, i0, mc, kc, bp, ap, c, ldc, acc0 || q0 > 0);
            }
            packed = SIZE_MAX;
        }
    }
}
