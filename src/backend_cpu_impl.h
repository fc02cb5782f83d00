/* backend_cpu_impl.h — what the CPU backend's files share: the BLAS call,
 * the recurrence (backend_cpu_rnn.c) and the embedding (cpu_embed.c)
 * primitives. Host memory only. */
#ifndef CHARNN_BACKEND_CPU_IMPL_H
#define CHARNN_BACKEND_CPU_IMPL_H

#include "backend.h"

/* backend.h's gemm: cpu_gemm.h's blocked product on the AVX-512 path
 * (threaded; call it outside a parallel region), CBLAS on the others
 * (CHARNN_CPU_GEMM=blas|own forces one). */
void cpu_gemm(const backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k, real alpha,
              const real *a, size_t lda, const real *b, size_t ldb, real beta, real *c, size_t ldc);
/* backend.h's sum_rows: out[j] += sum_i in[i][j], rows in order */
void cpu_sum_rows(const backend *be, real *out, const real *in, size_t rows, size_t cols);

/* In a parallel region: [*j0, *j1), this thread's run of [0, n) (even
 * runs in thread order; all of it outside a region). */
void cpu_thread_run(size_t n, size_t *j0, size_t *j1);

/* backend.h's embed_fwd / embed_bwd on the host (cpu_embed.c) */
void cpu_embed_fwd(const backend *be, real *out, const real *w, const int32_t *idx, size_t n,
                   size_t g, size_t v);
void cpu_embed_bwd(const backend *be, real *dw, const real *dout, const int32_t *idx, size_t n,
                   size_t g, size_t v);

/* backend.h's rnn_fwd / rnn_bwd / rnn_work on the host */
void cpu_rnn_fwd(const backend *be, const rnn_seq *s);
void cpu_rnn_bwd(const backend *be, const rnn_seq *s, const rnn_seq_grad *g);
size_t cpu_rnn_work(const backend *be, cell_kind cell, size_t rows, size_t hidden);

#endif
