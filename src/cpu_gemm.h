/* cpu_gemm.h — charnn's own GEMM (in real.h's type) on the host: register-tile
 * micro-kernels for each cpu_isa.h instruction set (AVX-512, AVX2+FMA, the
 * baseline), a panel layout for B, and the blocked, threaded product the
 * CPU backend's window-wide GEMMs run (backend.h's gemm).
 *
 * Determinism: every element of C is computed by one thread as one chain
 * of multiply-adds in increasing k (the blocked product adds its k-blocks
 * in order onto C), whatever the thread count and the tile it falls in; so
 * results are bitwise the same for every thread count on one ISA. The ISAs
 * differ in the last bits (the baseline has no FMA). */
#ifndef CHARNN_CPU_GEMM_H
#define CHARNN_CPU_GEMM_H

#include "cpu_isa.h"
#include "real.h"

#include <stddef.h>

/* Panels: B (k, n) laid out as ceil(n / nr) panels of nr columns, panel j
 * holding columns [j*nr, j*nr + nr) as k rows of nr floats (k*nr floats a
 * panel, the columns past n zero). */

/* One ISA's register tile: C[i][j] (i < rows <= mr, j < cols <= nr) =
 * (acc ? C[i][j] : 0) + sum over q < k, in order, of A(i, q) * P[q][j] (one multiply-add each),
 * where A(i, q) = a[i*a_rs + q*a_ks] and P is one panel of width nr. */
typedef struct {
    cpu_isa isa;
    size_t mr, nr;
    void (*tile)(size_t k, const real *a, size_t a_rs, size_t a_ks, const real *panel, real *c,
                 size_t ldc, size_t rows, size_t cols, int acc);
} cpu_gemm_kernel;

extern const cpu_gemm_kernel cpu_gemm_avx512, cpu_gemm_avx2, cpu_gemm_baseline;

/* the kernel of isa / of cpu_isa_current() */
const cpu_gemm_kernel *cpu_gemm_kernel_of(cpu_isa isa);
const cpu_gemm_kernel *cpu_gemm_kernel_now(void);

/* floats of the panels of a (k, n) B for kern */
size_t cpu_gemm_panels_size(const cpu_gemm_kernel *kern, size_t k, size_t n);
/* Packs B into panels at p: B(q, j) = b[q*ldb + j], or b[j*ldb + q] when
 * trans; scaled by alpha. */
void cpu_gemm_pack(const cpu_gemm_kernel *kern, const real *b, size_t ldb, int trans, size_t k,
                   size_t n, real alpha, real *p);
/* Single-threaded: C (m, n) = (acc ? C : 0) + A (m, k) B, A's rows at a
 * with stride lda, B packed by cpu_gemm_pack (the recurrence's steps). */
void cpu_gemm_packed(const cpu_gemm_kernel *kern, size_t m, size_t n, size_t k, const real *a,
                     size_t lda, const real *p, real *c, size_t ldc, int acc);
/* backend.h's gemm (row-major, BLAS semantics) with kern, blocked and
 * threaded with OpenMP (the current team size); called outside a parallel
 * region (it keeps its packing buffers between calls). */
void cpu_gemm_blocked(const cpu_gemm_kernel *kern, int trans_a, int trans_b, size_t m, size_t n,
                      size_t k, real alpha, const real *a, size_t lda, const real *b,
                      size_t ldb, real beta, real *c, size_t ldc);

#endif
