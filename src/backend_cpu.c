/* backend_cpu.c — the backend primitives on the host: the matrix products
 * on cpu_gemm.h's blocked product (AVX-512) or CBLAS (OpenBLAS, BLIS, ...:
 * the other paths; see gemm_choose), plain loops (OpenMP across rows) for
 * the rest; the recurrence is backend_cpu_rnn.c. */
#include "backend_cpu_impl.h"

#include "adam_math.h"
#include "blas_threads.h"
#include "cpu_clones.h"
#include "cpu_gemm.h"
#include "error.h"
#include "rng.h"
#include "xent_math.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef CHARNN_DOUBLE
#define cpu_gemm_blas cblas_dgemm
#else
#define cpu_gemm_blas cblas_sgemm
#endif

void backend_cpu_threads(size_t n)
{
    if (n > 0)
        blas_set_threads((int)n);
#ifdef _OPENMP
    if (n > 0)
        omp_set_num_threads((int)n);
#endif
}

static void *cpu_alloc(const backend *be, size_t bytes, const char *what)
{
    return xcalloc(1, bytes, what);
}
static void cpu_free(const backend *be, void *p) { free(p); }
static void cpu_copy(const backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes)
        memmove(dst, src, bytes);
}
/* host memory: an upload or a download is a copy */
static void cpu_upload(const backend *be, void *dst, const void *src, size_t bytes)
{
    cpu_copy(be, dst, src, bytes);
}
static void cpu_download(const backend *be, void *dst, const void *src, size_t bytes)
{
    cpu_copy(be, dst, src, bytes);
}
static void cpu_zero(const backend *be, void *p, size_t bytes)
{
    if (bytes)
        memset(p, 0, bytes);
}

/* Where the window-wide products run (chosen once): charnn's blocked
 * product on AVX-512, CBLAS on the other paths (measured: charnn's AVX2 tile
 * is slower than OpenBLAS's AVX2 kernels on these products, faster on the
 * recurrence's steps; docs/benchmarks.md). CHARNN_CPU_GEMM=blas or =own
 * forces one (for comparisons). */
static int gemm_on_blas;
static pthread_once_t gemm_once = PTHREAD_ONCE_INIT;

static void gemm_choose(void)
{
    const char *env = getenv("CHARNN_CPU_GEMM");
    if (env != NULL && strcmp(env, "blas") == 0)
        gemm_on_blas = 1;
    else if (env != NULL && strcmp(env, "own") == 0)
        gemm_on_blas = 0;
    else
        gemm_on_blas = cpu_isa_current() != CPU_ISA_AVX512;
}

void cpu_gemm(const backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k, real alpha,
              const real *a, size_t lda, const real *b, size_t ldb, real beta, real *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    pthread_once(&gemm_once, gemm_choose);
    if (!gemm_on_blas) {
        cpu_gemm_blocked(cpu_gemm_kernel_now(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                         beta, c, ldc);
        return;
    }
    cpu_gemm_blas(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                  trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a,
                  (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

static void cpu_fill_rows(const backend *be, real *out, const real *bias, size_t rows, size_t cols)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < rows; i++)
        memcpy(out + i * cols, bias, cols * sizeof *out);
}

/* [*i0, *i1): run k of [0, n) cut in `parts` runs of ceil(n / parts) (the
 * last ones short or empty) */
static void run_of(size_t k, size_t parts, size_t n, size_t *i0, size_t *i1)
{
    size_t per = (n + parts - 1) / parts;
    *i0 = k * per < n ? k * per : n;
    *i1 = *i0 + per < n ? *i0 + per : n;
}

void cpu_thread_run(size_t n, size_t *j0, size_t *j1)
{
    size_t t = 0, nt = 1;
#ifdef _OPENMP
    t = (size_t)omp_get_thread_num();
    nt = (size_t)omp_get_num_threads();
#endif
    run_of(t, nt, n, j0, j1);
}

/* one run of columns a thread (each row read once, in order); each column
 * summed in row order */
void cpu_sum_rows(const backend *be, real *out, const real *in, size_t rows, size_t cols)
{
#pragma omp parallel
    {
        size_t j0, j1;
        cpu_thread_run(cols, &j0, &j1);
        for (size_t i = 0; i < rows; i++) {
            const real *row = in + i * cols;
            for (size_t j = j0; j < j1; j++)
                out[j] += row[j];
        }
    }
}

/* dropout: uniforms drawn a chunk at a time into a stack buffer (no
 * allocation); a multiple of 4, so chunks start on Philox blocks */
enum { DROPOUT_CHUNK = 256 };

static void cpu_dropout(const backend *be, real *out, const real *in, size_t m, size_t b,
                        size_t h, real p, uint64_t seed, uint32_t step, uint32_t layer,
                        size_t row0)
{
    real keep_scale = (real)1 / ((real)1 - p);
    uint32_t stream = rng_stream(RNG_STREAM_DROPOUT, layer);
#pragma omp parallel for schedule(static)
    for (size_t tr = 0; tr < m * b; tr++) {
        size_t t = tr / b, r = tr % b;
        float u[DROPOUT_CHUNK];
        const real *x = in + tr * h;
        real *y = out + tr * h;
        for (size_t j0 = 0; j0 < h; j0 += DROPOUT_CHUNK) {
            size_t len = h - j0 < DROPOUT_CHUNK ? h - j0 : DROPOUT_CHUNK;
            rng_uniform_fill(seed, stream, step, (uint32_t)(row0 + r), (uint32_t)(t * h + j0),
                             (uint32_t)len, u);
            for (size_t j = 0; j < len; j++) { /* x read either way: the select vectorises */
                real xj = x[j0 + j];
                y[j0 + j] = u[j] >= (float)p ? xj * keep_scale : (real)0;
            }
        }
    }
}

/* One row; e: v doubles of scratch, where each xent_exp is kept between
 * the sum and the gradient (one exp an element, not two). The exps and
 * the gradient are loops the compiler vectorises (xent_math.h's host exp),
 * the sum runs in element order; one copy per ISA (xent_row_of). */
static inline __attribute__((always_inline)) double
xent_row_body(real *z, int32_t target, size_t v, real grad_scale, double *e)
{
    real mx = z[0];
    for (size_t j = 1; j < v; j++)
        mx = z[j] > mx ? z[j] : mx;
    for (size_t j = 0; j < v; j++)
        e[j] = xent_exp(z[j], mx);
    double sum = 0;
    for (size_t j = 0; j < v; j++)
        sum += e[j];
    double loss = xent_loss(sum, z[target], mx);
    if (grad_scale != 0) {
        double inv = 1.0 / sum;
        for (size_t j = 0; j < v; j++)
            z[j] = xent_grad_of(e[j], inv, grad_scale);
        z[target] -= grad_scale;
    }
    return loss;
}

typedef double (*xent_row_fn)(real *z, int32_t target, size_t v, real grad_scale, double *e);
#define XENT_ROW_COPY(isa, attr)                                                                   \
    attr static double xent_row_##isa(real *z, int32_t target, size_t v, real grad_scale,          \
                                      double *e)                                                   \
    {                                                                                              \
        return xent_row_body(z, target, v, grad_scale, e);                                         \
    }
XENT_ROW_COPY(baseline, )
XENT_ROW_COPY(avx2, CPU_TARGET_AVX2)
XENT_ROW_COPY(avx512, CPU_TARGET_AVX512)

static const xent_row_fn xent_row_of[CPU_ISA_COUNT] = {
    [CPU_ISA_BASELINE] = xent_row_baseline,
    [CPU_ISA_AVX2] = xent_row_avx2,
    [CPU_ISA_AVX512] = xent_row_avx512,
};

/* The rows' losses are summed in XENT_PARTS runs of consecutive rows (a
 * split fixed by n alone), each in row order, then the runs in order: the
 * same bits for every thread count. */
enum { XENT_PARTS = 64 };

/* xent_row's scratch: v doubles a thread (grown, never shrunk) */
static double *xent_scratch(size_t doubles)
{
    static void *buf;
    static size_t bytes;
    return xgrow(&buf, &bytes, doubles * sizeof(double), "softmax scratch");
}

static void cpu_xent(const backend *be, real *logits, const int32_t *targets, size_t n, size_t v,
                     real grad_scale, double *loss)
{
    double part[XENT_PARTS];
#ifdef _OPENMP
    size_t nt = (size_t)omp_get_max_threads();
#else
    size_t nt = 1;
#endif
    double *scratch = xent_scratch(nt * v);
    xent_row_fn xent_row = xent_row_of[cpu_isa_current()];
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        double *e = scratch + (size_t)omp_get_thread_num() * v;
#else
        double *e = scratch;
#endif
#pragma omp for schedule(static)
        for (size_t q = 0; q < XENT_PARTS; q++) {
            size_t i0, i1;
            run_of(q, XENT_PARTS, n, &i0, &i1);
            double s = 0;
            for (size_t i = i0; i < i1; i++)
                s += xent_row(logits + i * v, targets[i], v, grad_scale, e);
            part[q] = s;
        }
    }
    double total = 0;
    for (size_t q = 0; q < XENT_PARTS; q++)
        total += part[q];
    *loss = total;
}

/* x split in SUMSQ_PARTS runs (fixed by n alone), each summed in SUMSQ_LANES
 * interleaved partial sums (a vector of them), the lanes then the runs
 * added in order: the same bits for every thread count */
enum { SUMSQ_PARTS = 64, SUMSQ_LANES = 8 };

static double sumsq_run(const real *x, size_t n)
{
    double lane[SUMSQ_LANES] = {0};
    size_t i = 0;
    for (; i + SUMSQ_LANES <= n; i += SUMSQ_LANES)
        for (size_t l = 0; l < SUMSQ_LANES; l++)
            lane[l] += (double)x[i + l] * (double)x[i + l];
    for (size_t l = 0; i < n; i++, l++)
        lane[l] += (double)x[i] * (double)x[i];
    double s = 0;
    for (size_t l = 0; l < SUMSQ_LANES; l++)
        s += lane[l];
    return s;
}

static void cpu_sumsq(const backend *be, const real *x, size_t n, double *out)
{
    double part[SUMSQ_PARTS];
#pragma omp parallel for schedule(static)
    for (size_t q = 0; q < SUMSQ_PARTS; q++) {
        size_t i0, i1;
        run_of(q, SUMSQ_PARTS, n, &i0, &i1);
        part[q] = sumsq_run(x + i0, i1 - i0);
    }
    double s = 0;
    for (size_t q = 0; q < SUMSQ_PARTS; q++)
        s += part[q];
    *out = s;
}

/* Adam over one run of elements, one copy per ISA (adam_run_of) */
typedef void (*adam_run_fn)(real *p, const real *g, real *m, real *v, size_t n, real scale,
                            const adam_consts *c);
#define ADAM_RUN_COPY(isa, attr)                                                                   \
    attr static void adam_run_##isa(real *p, const real *g, real *m, real *v, size_t n,            \
                                    real scale, const adam_consts *c)                              \
    {                                                                                              \
        adam_consts k = *c;                                                                        \
        for (size_t i = 0; i < n; i++)                                                             \
            adam_update(&p[i], &m[i], &v[i], g[i], scale, k);                                      \
    }
ADAM_RUN_COPY(baseline, )
ADAM_RUN_COPY(avx2, CPU_TARGET_AVX2)
ADAM_RUN_COPY(avx512, CPU_TARGET_AVX512)

static const adam_run_fn adam_run_of[CPU_ISA_COUNT] = {
    [CPU_ISA_BASELINE] = adam_run_baseline,
    [CPU_ISA_AVX2] = adam_run_avx2,
    [CPU_ISA_AVX512] = adam_run_avx512,
};

static void cpu_adam(const backend *be, real *p, const real *g, real *m, real *v, size_t n,
                     const adam_args *a)
{
    real scale;
    if (!adam_scale(*a->loss, *a->sumsq, a->clip, &scale))
        return;
    adam_consts c = adam_consts_of(a->lr, a->beta1, a->beta2, a->eps, a->bias_corr1,
                                   a->bias_corr2, a->clip);
    adam_run_fn run = adam_run_of[cpu_isa_current()];
#pragma omp parallel
    {
        size_t i0, i1;
        cpu_thread_run(n, &i0, &i1);
        run(p + i0, g + i0, m + i0, v + i0, i1 - i0, scale, &c);
    }
}

/* a logit's rank key: NaN counts as -inf (it never wins a top-k slot) */
static real topk_key(real x) { return isnan(x) ? (real)-INFINITY : x; }

/* top-k candidates: indices of the k largest logits, descending, ties by index */
static void topk_select(const real *z, size_t v, size_t k, int *idx)
{
    size_t have = 0;
    for (size_t j = 0; j < v; j++) {
        size_t pos = have < k ? have : k;
        while (pos > 0 && topk_key(z[idx[pos - 1]]) < topk_key(z[j]))
            pos--;
        if (pos >= k)
            continue;
        size_t last = have < k ? have : k - 1;
        for (size_t q = last; q > pos; q--)
            idx[q] = idx[q - 1];
        idx[pos] = (int)j;
        if (have < k)
            have++;
    }
}

static void cpu_topk(const backend *be, const real *logits, size_t v, size_t k, int *idx, real *val)
{
    topk_select(logits, v, k, idx);
    for (size_t q = 0; q < k; q++)
        val[q] = topk_key(logits[idx[q]]);
}

static void cpu_sync(const backend *be) { (void)be; }
static void cpu_destroy(const backend *be) { (void)be; } /* static: nothing to free */

static const backend cpu_backend = BACKEND_TABLE(cpu, "cpu");

const backend *backend_cpu(void) { return &cpu_backend; }

const char *backend_cpu_isa(const backend *be)
{
    return be == &cpu_backend ? cpu_isa_name(cpu_isa_current()) : NULL;
}
