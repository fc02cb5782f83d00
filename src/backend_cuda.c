/* backend_cuda.c — the backend primitives on an NVIDIA GPU: cuBLAS for the
 * GEMMs, kernels/ for the rest, all on one stream of a context (cuda_ctx)
 * that backend_cuda_open creates and destroy frees. Nothing here waits for
 * the GPU except download, sync and topk (each a documented read-back),
 * the staging ring when it wraps, and the scratch when it grows; the step's
 * scalars (loss, gradient norm, clip factor, finite check) stay on the
 * device. */
#include "backend.h"
#include "backend_cuda.h"

#include "cuda_probe.h"
#include "error.h"
#include "kernels.h"
#include "rng.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CHARNN_DOUBLE
#error "the CUDA backend is single precision (real == float)"
#endif

/* End the job (error_fatal) with file:line on any CUDA / cuBLAS failure. */
#define cudaCheck(call) cuda_check((call), #call, __FILE__, __LINE__)
#define cublasCheck(call) cublas_check((call), #call, __FILE__, __LINE__)

static void cuda_check(cudaError_t err, const char *call, const char *file, int line)
{
    if (err == cudaSuccess)
        return;
    error_fatal("CUDA: %s at %s:%d (%s)", cudaGetErrorString(err), file, line, call);
}

static void cublas_check(cublasStatus_t st, const char *call, const char *file, int line)
{
    if (st == CUBLAS_STATUS_SUCCESS)
        return;
    error_fatal("cuBLAS: %s at %s:%d (%s)", cublasGetStatusString(st), file, line, call);
}

/* Uploads bigger than this go straight from pageable memory (synchronously):
 * only setup and resume move that much. */
enum { STAGING_MAX = 64u << 20, STAGING_ALIGN = 256 };

/* a shape's persistent-kernel plan (or that it has none: ok == 0) */
typedef struct {
    int cell, backward, tf32, ok;
    size_t rows, hidden;
    k_rnn_plan_t plan;
} rnn_plan_slot;
enum { RNN_PLAN_SLOTS = 8 };

typedef struct {
    int tf32;            /* backend_cuda_tf32 */
    int persistent;      /* backend_cuda_rnn_kernel */
    rnn_plan_slot plans[RNN_PLAN_SLOTS];
    int n_plans;
    size_t persistent_runs; /* windows (forward or backward) the persistent kernel ran */
    int say_stepwise;       /* backend_cuda_rnn_kernel(0) was called: say it once */
    cudaStream_t stream; /* every launch and copy */
    cublasHandle_t blas; /* on `stream` */
    void *scratch;       /* reductions' partial sums, top-k candidates */
    size_t scratch_bytes;
    unsigned char *staging; /* pinned host ring the uploads are copied through */
    size_t staging_bytes, staging_used;
    cudaEvent_t staged; /* recorded after the latest copy out of `staging` */
    size_t host_waits;  /* times the host waited for the GPU (backend_cuda_host_waits) */
    backend be;         /* the table handed out, be.ctx == this */
} cuda_ctx;

#define CTX(be) ((cuda_ctx *)(be)->ctx)

/* ---- memory ---- */

static void *device_malloc(size_t bytes, const char *what)
{
    void *p = NULL;
    cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
    if (err == cudaErrorMemoryAllocation)
        error_fatal("out of GPU memory allocating %zu bytes for %s", bytes, what);
    cudaCheck(err);
    return p;
}

static void *cuda_alloc(const backend *be, size_t bytes, const char *what)
{
    void *p = device_malloc(bytes, what);
    if (bytes)
        cudaCheck(cudaMemsetAsync(p, 0, bytes, CTX(be)->stream));
    return p;
}

static void cuda_free(const backend *be, void *p)
{
    if (p)
        cudaCheck(cudaFree(p));
}

/* At least `bytes` of device scratch, valid until the next call. */
static void *scratch(cuda_ctx *c, size_t bytes)
{
    if (bytes > c->scratch_bytes) {
        size_t want = c->scratch_bytes ? c->scratch_bytes : 4096;
        while (want < bytes)
            want *= 2;
        if (c->scratch) {
            c->host_waits++;
            cudaCheck(cudaFree(c->scratch)); /* waits for the kernels using it */
        }
        c->scratch = device_malloc(want, "GPU scratch");
        c->scratch_bytes = want;
    }
    return c->scratch;
}

/* Everything queued has finished: the staging ring is free again. */
static void stream_wait(cuda_ctx *c)
{
    c->host_waits++;
    cudaCheck(cudaStreamSynchronize(c->stream));
    c->staging_used = 0;
}

static void cuda_sync(const backend *be) { stream_wait(CTX(be)); }

/* `bytes` (<= STAGING_MAX) of the pinned ring, free of pending copies: waits
 * for the copies out of it only when the ring wraps (or grows). */
static unsigned char *staging_slot(cuda_ctx *c, size_t bytes)
{
    size_t need = (bytes + STAGING_ALIGN - 1) / STAGING_ALIGN * STAGING_ALIGN;
    if (c->staging_used + need > c->staging_bytes) {
        c->host_waits++;
        cudaCheck(cudaEventSynchronize(c->staged));
        c->staging_used = 0;
    }
    if (need > c->staging_bytes) {
        size_t want = c->staging_bytes ? 2 * c->staging_bytes : 1u << 20;
        while (want < need)
            want *= 2;
        if (c->staging) {
            c->host_waits++; /* cudaFreeHost waits for the device */
            cudaCheck(cudaFreeHost(c->staging));
        }
        cudaCheck(cudaHostAlloc((void **)&c->staging, want, cudaHostAllocDefault));
        c->staging_bytes = want;
    }
    unsigned char *slot = c->staging + c->staging_used;
    c->staging_used += need;
    return slot;
}

/* through the pinned ring, queued without a sync (host_src reusable at once) */
static void cuda_upload(const backend *be, void *dst, const void *host_src, size_t bytes)
{
    cuda_ctx *c = CTX(be);
    if (!bytes)
        return;
    if (bytes > STAGING_MAX) { /* setup-sized: pageable, synchronous */
        cudaCheck(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, c->stream));
        stream_wait(c);
        return;
    }
    unsigned char *slot = staging_slot(c, bytes);
    memcpy(slot, host_src, bytes);
    cudaCheck(cudaMemcpyAsync(dst, slot, bytes, cudaMemcpyHostToDevice, c->stream));
    cudaCheck(cudaEventRecord(c->staged, c->stream));
}

static void cuda_download(const backend *be, void *host_dst, const void *src, size_t bytes)
{
    cuda_ctx *c = CTX(be);
    if (!bytes)
        return;
    cudaCheck(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    stream_wait(c);
}

/* memmove semantics, like the CPU backend's copy */
static void cuda_copy(const backend *be, void *dst, const void *src, size_t bytes)
{
    if (!bytes || dst == src)
        return;
    const char *d = dst, *s = src;
    if (d < s + bytes && s < d + bytes) { /* overlapping: through the scratch */
        void *tmp = scratch(CTX(be), bytes);
        cudaCheck(cudaMemcpyAsync(tmp, src, bytes, cudaMemcpyDeviceToDevice, CTX(be)->stream));
        src = tmp;
    }
    cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, CTX(be)->stream));
}

static void cuda_zero(const backend *be, void *p, size_t bytes)
{
    if (bytes)
        cudaCheck(cudaMemsetAsync(p, 0, bytes, CTX(be)->stream));
}

/* ---- GEMM: row-major C = A B is column-major C^T = B^T A^T ---- */

static int as_int(size_t x, const char *what)
{
    if (x > (size_t)INT_MAX)
        error_fatal("GEMM %s %zu exceeds cuBLAS's int range", what, x);
    return (int)x;
}

static void cuda_gemm(const backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                      real alpha, const real *a, size_t lda, const real *b, size_t ldb, real beta,
                      real *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasCheck(cublasSgemm(CTX(be)->blas, op_b, op_a, as_int(n, "n"), as_int(m, "m"),
                            as_int(k, "k"), &alpha, b, as_int(ldb, "ldb"), a, as_int(lda, "lda"),
                            &beta, c, as_int(ldc, "ldc")));
}

/* ---- pointwise and reductions ---- */

static void cuda_fill_rows(const backend *be, real *out, const real *bias, size_t rows, size_t cols)
{
    cudaCheck(k_fill_rows(CTX(be)->stream, out, bias, rows, cols));
}

static void cuda_sum_rows(const backend *be, real *out, const real *in, size_t rows, size_t cols)
{
    cudaCheck(k_sum_rows(CTX(be)->stream, out, in, rows, cols));
}

static void cuda_embed_fwd(const backend *be, real *out, const real *w, const int32_t *idx,
                           size_t n, size_t gw, size_t v)
{
    cudaCheck(k_embed_fwd(CTX(be)->stream, out, w, idx, n, gw, v));
}

static void cuda_embed_bwd(const backend *be, real *dw, const real *dout, const int32_t *idx,
                           size_t n, size_t gw, size_t v)
{
    cudaCheck(k_embed_bwd(CTX(be)->stream, dw, dout, idx, n, gw, v));
}

/* ---- the recurrence of a window: a cuBLAS GEMM and a cell kernel per step,
 * all queued on the stream (no host sync), or, with backend_cuda_rnn_kernel,
 * one persistent cooperative kernel per window (kernels/rnn_persistent.cu);
 * the weight and bias gradients after the window are the same for both ---- */

static size_t cuda_rnn_work(const backend *be, cell_kind cell, size_t rows, size_t hidden)
{
    return rnn_work_stepwise(cell, rows, hidden);
}

/* The persistent kernel's plan for this shape, or NULL (stepwise): not
 * asked for, or its grid cannot be co-resident. The first window of each
 * shape says on stderr which ran (stepwise when not asked for: once, after
 * backend_cuda_rnn_kernel; a context that never chose, e.g. the sampler's,
 * says nothing). */
static const k_rnn_plan_t *persistent_plan(cuda_ctx *c, cell_kind cell, int backward,
                                           size_t rows, size_t hidden)
{
    if (!c->persistent) {
        if (c->say_stepwise)
            fprintf(stderr, "cuda: recurrence: stepwise (a cuBLAS GEMM and a cell kernel per step)\n");
        c->say_stepwise = 0;
        return NULL;
    }
    for (int i = 0; i < c->n_plans; i++) {
        rnn_plan_slot *p = &c->plans[i];
        if (p->cell == (int)cell && p->backward == backward && p->tf32 == c->tf32 &&
            p->rows == rows && p->hidden == hidden)
            return p->ok ? &p->plan : NULL;
    }
    rnn_plan_slot slot = {(int)cell, backward, c->tf32, 0, rows, hidden, {0}};
    cudaError_t err = k_rnn_plan((int)cell, backward, c->tf32, rows, hidden, &slot.plan);
    const char *dir = backward ? "backward" : "forward";
    if (err == cudaSuccess) {
        slot.ok = 1;
        fprintf(stderr,
                "cuda: recurrence: persistent (%s %s, %s, %zu rows, hidden %zu: %d blocks of %d "
                "threads, %d units each, %zu bytes of shared memory; %d could be resident)\n",
                cell_name(cell), dir, slot.plan.tf32 ? "TF32" : "FP32", rows, hidden,
                slot.plan.blocks, slot.plan.threads,
                slot.plan.units, slot.plan.smem, slot.plan.resident);
    } else if (err == cudaErrorCooperativeLaunchTooLarge || err == cudaErrorNotSupported) {
        cudaGetLastError(); /* not sticky: clear it */
        fprintf(stderr,
                "cuda: recurrence: stepwise (%s %s, %zu rows, hidden %zu: the persistent "
                "kernel cannot run: %s)\n",
                cell_name(cell), dir, rows, hidden, cudaGetErrorString(err));
    } else {
        cudaCheck(err);
    }
    int i = c->n_plans < RNN_PLAN_SLOTS ? c->n_plans++ : RNN_PLAN_SLOTS - 1; /* full: the last */
    c->plans[i] = slot;
    return slot.ok ? &c->plans[i].plan : NULL;
}

static void cuda_rnn_fwd(const backend *be, const rnn_seq *s)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    const k_rnn_plan_t *plan = persistent_plan(CTX(be), s->cell, 0, B, H);
    if (plan) {
        CTX(be)->persistent_runs++;
        cudaCheck(k_rnn_fwd_persistent(CTX(be)->stream, plan, (int)s->cell, s->steps, B, H,
                                       s->w_hh, s->b_hh, s->xg, s->hs, s->cs, s->act));
        return;
    }
    for (size_t t = 0; t < s->steps; t++) {
        const real *h_prev = s->hs + t * bh;
        cuda_gemm(be, 0, 1, B, gh, H, 1, h_prev, H, s->w_hh, H, 0, s->work, gh);
        cudaCheck(k_cell_fwd(CTX(be)->stream, (int)s->cell, B, H, s->xg + t * B * gh, s->work,
                             s->b_hh, h_prev, s->cs ? s->cs + t * bh : NULL, s->hs + (t + 1) * bh,
                             s->cs ? s->cs + (t + 1) * bh : NULL, s->act + t * B * aw));
    }
}

/* the steps of the backward, stepwise: the cell, then dh_{t-1} by cuBLAS */
static void rnn_bwd_stepwise(const backend *be, const rnn_seq *s, const rnn_seq_grad *gr)
{
    size_t B = s->rows, H = s->hidden, bh = B * H, gh = cell_gates(s->cell) * H;
    size_t aw = cell_act_width(s->cell) * H;
    int gru = s->cell == CELL_GRU;
    real *dh_rec = s->work, *dc = s->work + bh;
    cuda_zero(be, s->work, 2 * bh * sizeof(real));
    for (size_t t = s->steps; t-- > 0;) {
        real *dhg_t = gr->dhg + t * B * gh;
        const real *c_prev = s->cs ? s->cs + t * bh : NULL, *c = s->cs ? c_prev + bh : NULL;
        cudaCheck(k_cell_bwd(CTX(be)->stream, (int)s->cell, B, H, s->act + t * B * aw,
                             s->hs + t * bh, c_prev, c, gr->dy + t * bh, dh_rec, dc,
                             gr->dxg + t * B * gh, gru ? dhg_t : NULL));
        if (t > 0)
            cuda_gemm(be, 0, 0, B, H, gh, 1, dhg_t, gh, s->w_hh, H, gru ? 1 : 0, dh_rec, H);
    }
}

static void cuda_rnn_bwd(const backend *be, const rnn_seq *s, const rnn_seq_grad *gr)
{
    size_t B = s->rows, H = s->hidden, gh = cell_gates(s->cell) * H, n = s->steps * B;
    const k_rnn_plan_t *plan = persistent_plan(CTX(be), s->cell, 1, B, H);
    if (plan) {
        CTX(be)->persistent_runs++;
        cudaCheck(k_rnn_bwd_persistent(CTX(be)->stream, plan, (int)s->cell, s->steps, B, H,
                                       s->w_hh, s->act, s->hs, s->cs, gr->dy, s->work,
                                       s->work + B * H, gr->dxg, gr->dhg));
    } else
        rnn_bwd_stepwise(be, s, gr);
    cuda_gemm(be, 1, 0, gh, H, n, 1, gr->dhg, gh, s->hs, H, 1, gr->dw_hh, H);
    cudaCheck(k_sum_rows(CTX(be)->stream, gr->db_hh, gr->dhg, n, gh));
    cudaCheck(k_sum_rows(CTX(be)->stream, gr->db_ih, gr->dxg, n, gh));
}

static void cuda_dropout(const backend *be, real *out, const real *in, size_t m, size_t b, size_t h,
                         real p, uint64_t seed, uint32_t step, uint32_t layer, size_t row0)
{
    real keep_scale = (real)1 / ((real)1 - p); /* as cpu_dropout */
    cudaCheck(k_dropout(CTX(be)->stream, out, in, m, b, h, p, keep_scale, seed,
                        rng_stream(RNG_STREAM_DROPOUT, layer), step, row0));
}

/* the per-row losses in the scratch, their sum into *loss (device) */
static void cuda_xent(const backend *be, real *logits, const int32_t *targets, size_t n, size_t v,
                      real grad_scale, double *loss)
{
    double *rows = scratch(CTX(be), n * sizeof(double)); /* per-row losses */
    cudaCheck(k_xent(CTX(be)->stream, logits, targets, n, v, grad_scale, rows, loss));
}

static void cuda_sumsq(const backend *be, const real *x, size_t n, double *out)
{
    double *parts = scratch(CTX(be), k_sumsq_scratch(n) * sizeof(double));
    cudaCheck(k_sumsq(CTX(be)->stream, x, n, parts, out));
}

static void cuda_adam(const backend *be, real *p, const real *gr, real *m, real *v, size_t n,
                      const adam_args *a)
{
    adam_consts c = adam_consts_of(a->lr, a->beta1, a->beta2, a->eps, a->bias_corr1,
                                   a->bias_corr2, a->clip);
    cudaCheck(k_adam(CTX(be)->stream, p, gr, m, v, n, c, a->loss, a->sumsq));
}

/* ---- top-k on the device (the draw is the sampler's, on the host) ---- */

static void cuda_topk(const backend *be, const real *logits, size_t v, size_t k, int *idx,
                      real *val)
{
    int32_t *d_idx = scratch(CTX(be), k * (sizeof(int32_t) + sizeof(float)));
    float *d_val = (float *)(d_idx + k);
    cudaCheck(k_topk(CTX(be)->stream, logits, v, k, d_idx, d_val));
    int32_t *tmp = xmalloc(k * sizeof *tmp, "top-k indices");
    cuda_download(be, tmp, d_idx, k * sizeof *tmp);
    cuda_download(be, val, d_val, k * sizeof *val);
    for (size_t q = 0; q < k; q++)
        idx[q] = tmp[q];
    free(tmp);
}

/* ---- the context ---- */

static void cuda_destroy(const backend *be)
{
    cuda_ctx *c = CTX(be);
    stream_wait(c);
    if (c->scratch)
        cudaCheck(cudaFree(c->scratch));
    if (c->staging)
        cudaCheck(cudaFreeHost(c->staging));
    cudaCheck(cudaEventDestroy(c->staged));
    cublasCheck(cublasDestroy(c->blas));
    cudaCheck(cudaStreamDestroy(c->stream));
    free(c);
}

static const backend cuda_table = BACKEND_TABLE(cuda, "cuda");

static void apply_math_mode(cuda_ctx *c)
{
    cublasCheck(
        cublasSetMathMode(c->blas, c->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

int backend_cuda_device_count(void)
{
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError(); /* clear it: later calls must not see it */
        return 0;
    }
    return count;
}

const backend *backend_cuda_open(int ordinal)
{
    int count = backend_cuda_device_count();
    if (count <= 0)
        return NULL;
    int dev = ordinal % count;
    dev = dev < 0 ? dev + count : dev;
    cudaCheck(cudaSetDevice(dev));
    cudaCheck(k_pool_keep(dev)); /* the embedding's scratch stays pooled between steps */
    cuda_ctx *c = xcalloc(1, sizeof *c, "CUDA backend context");
    cudaCheck(cudaStreamCreate(&c->stream));
    cudaCheck(cudaEventCreateWithFlags(&c->staged, cudaEventDisableTiming));
    cublasCheck(cublasCreate(&c->blas));
    cublasCheck(cublasSetStream(c->blas, c->stream));
    apply_math_mode(c);
    c->be = cuda_table;
    c->be.ctx = c;
    c->be.extras = &backend_cuda_extras;
    return &c->be;
}

void backend_cuda_tf32(const backend *be, int on)
{
    CTX(be)->tf32 = on != 0;
    apply_math_mode(CTX(be));
}

void backend_cuda_rnn_kernel(const backend *be, int persistent)
{
    CTX(be)->persistent = persistent != 0;
    CTX(be)->say_stepwise = !persistent;
}

void *backend_cuda_stream(const backend *be) { return (void *)CTX(be)->stream; }

size_t backend_cuda_host_waits(const backend *be) { return CTX(be)->host_waits; }

size_t backend_cuda_persistent_runs(const backend *be) { return CTX(be)->persistent_runs; }

static int cuda_device_uuid(const backend *be, unsigned char uuid[16])
{
    (void)be; /* backend_cuda_open made its device the current one */
    return cuda_probe_uuid(uuid);
}

static void *cuda_host_pin(const backend *be, size_t bytes)
{
    void *p = NULL;
    (void)be;
    if (cudaMallocHost(&p, bytes ? bytes : 1) == cudaSuccess)
        return p;
    cudaGetLastError(); /* not sticky: the caller falls back to pageable memory */
    return NULL;
}

static void cuda_host_unpin(const backend *be, void *p)
{
    (void)be;
    if (p)
        cudaCheck(cudaFreeHost(p));
}

/* The extras (backend.h), reached through the table by the orchestration. */
const backend_extras backend_cuda_extras = {
    .set_tf32 = backend_cuda_tf32,
    .set_rnn_kernel = backend_cuda_rnn_kernel,
    .stream = backend_cuda_stream,
    .device_uuid = cuda_device_uuid,
    .host_waits = backend_cuda_host_waits,
    .host_pin = cuda_host_pin,
    .host_unpin = cuda_host_unpin,
};
