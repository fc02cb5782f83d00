/* backend.h — the primitives the model code needs, implemented once per
 * device (backend_cpu.c with CBLAS and loops; the CUDA backend with cuBLAS
 * and kernels/). The model, optimizer, trainer and sampler call only these,
 * so both backends run the same orchestration and can be compared step by
 * step. All pointers of type real/int32_t below are device buffers; all
 * matrices are row-major; activation sequences are time-major (t, row, unit).
 * Every primitive takes the backend itself first: its state is be->ctx (a
 * struct of function pointers plus a context pointer; no file-scope state).
 *
 * Cell conventions (PyTorch's): for a step, xg (B, G*H) = x W_ih^T + b_ih
 * (precomputed for the whole window), hg (B, G*H) = h_prev W_hh^T (no bias),
 * b_hh (G*H) added inside the cell.
 *   LSTM  gates i,f,g,o: c = f*c_prev + i*g, h = o*tanh(c); act = i,f,g,o
 *   GRU   gates r,z,n: n = tanh(xg_n + r*(hg_n + b_hn)), h = (1-z)*n + z*h_prev;
 *         act = r,z,n,(hg_n + b_hn)
 *   RNN   h = tanh(xg + hg + b_hh); act = h
 * act has cell_act_width(cell) * H values per row. */
#ifndef CHARNN_BACKEND_H
#define CHARNN_BACKEND_H

#include "params.h"
#include "real.h"

#include <stddef.h>
#include <stdint.h>

/* Units of `act` per hidden unit: LSTM 4, GRU 4, RNN 1. */
static inline size_t cell_act_width(cell_kind k) { return k == CELL_RNN ? 1 : 4; }

typedef struct {
    double lr, beta1, beta2, eps;
    double bias_corr1, bias_corr2; /* 1 - beta^t */
    double clip;                   /* gradients scaled by clip / max(norm, clip) */
    const double *loss, *sumsq;    /* device: the step's loss sum and ||grad||^2 */
} adam_args;

/* One layer's recurrence over a window of M steps for B rows, time-major;
 * G = cell_gates(cell), A = cell_act_width(cell). */
typedef struct {
    cell_kind cell;
    size_t steps, rows, hidden; /* M, B, H */
    const real *w_hh;           /* (G*H, H) */
    const real *b_hh;           /* (G*H) */
    const real *xg;             /* (M, B, G*H) input projections incl. b_ih */
    real *hs;                   /* (M+1, B, H) slot 0 the carried h, slot t+1 h_t */
    real *cs;                   /* (M+1, B, H) LSTM cell states, else NULL */
    real *act;                  /* (M, B, A*H) cell activations (see above) */
    real *work;                 /* (rnn_work(cell, B, H)) scratch */
} rnn_seq;

/* The gradients of an rnn_seq's backward. */
typedef struct {
    const real *dy; /* (M, B, H) gradient of h_1..h_M from the layer's output */
    real *dxg;      /* (M, B, G*H) out: gradient of the pre-activations via xg */
    real *dhg;      /* (M, B, G*H) out, GRU: the same via hg (reset gate applied);
                     * == dxg for LSTM and RNN */
    real *dw_hh;    /* (G*H, H) += */
    real *db_hh;    /* (G*H) += the sum of dhg over the window */
    real *db_ih;    /* (G*H) += the sum of dxg over the window (b_ih's gradient) */
} rnn_seq_grad;

typedef struct backend backend;

/* What only a device with memory of its own (a GPU) has, reached through
 * the table rather than by the device's own functions, so that the
 * orchestration names no device: every member is set. */
typedef struct {
    /* GEMMs on TF32 tensor cores when on != 0, plain FP32 otherwise */
    void (*set_tf32)(const backend *be, int on);
    /* the recurrence as one persistent kernel per layer and window when
     * persistent != 0, else a GEMM and a cell kernel per step (the default) */
    void (*set_rnn_kernel)(const backend *be, int persistent);
    /* the stream (a cudaStream_t) every primitive queues on, for work that
     * must be ordered with it (the gradient sum over NCCL) */
    void *(*stream)(const backend *be);
    /* the 16-byte UUID of the device the context uses; -1 with an error */
    int (*device_uuid)(const backend *be, unsigned char uuid[16]);
    /* times the host has waited for the device (tests count them) */
    size_t (*host_waits)(const backend *be);
    /* page-locked host memory of `bytes` for staging copies (full-speed
     * transfers), or NULL when it cannot be had (use malloc'ed memory then);
     * host_unpin frees it */
    void *(*host_pin)(const backend *be, size_t bytes);
    void (*host_unpin)(const backend *be, void *p);
} backend_extras;

/* A new primitive goes in BACKEND_PRIMITIVES (below) too, so that every
 * backend's table must define it. */
struct backend {
    const char *name; /* "cpu", "cuda" */
    void *ctx;        /* the backend's state (stream, handles, scratch); NULL on the CPU */
    /* NULL: the buffers are host memory (the CPU backend), which host MPI
     * may sum in place; else the device's extras (above) */
    const backend_extras *extras;

    /* Waits until all work queued so far has finished (a no-op on the CPU):
     * for wall-clock timing of phases (--profile). */
    void (*sync)(const backend *be);
    /* Frees the context and everything it holds (a no-op on the CPU, whose
     * backend is static); call through backend_release. */
    void (*destroy)(const backend *be);

    /* memory: alloc returns zeroed memory; on failure it exits with an error
     * naming `what` and the bytes asked for */
    void *(*alloc)(const backend *be, size_t bytes, const char *what);
    void (*free)(const backend *be, void *p);
    /* upload: host_src may be reused as soon as it returns, but the copy
     * itself may still be queued (CUDA: through pinned staging, no sync);
     * download waits for the work queued before it (the one host sync) */
    void (*upload)(const backend *be, void *dst, const void *host_src, size_t bytes);
    void (*download)(const backend *be, void *host_dst, const void *src, size_t bytes);
    void (*copy)(const backend *be, void *dst, const void *src, size_t bytes);
    void (*zero)(const backend *be, void *p, size_t bytes);

    /* c (m, n) = alpha op(a) op(b) + beta c; op(a) is (m, k), op(b) (k, n) */
    void (*gemm)(const backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                 real alpha, const real *a, size_t lda, const real *b, size_t ldb, real beta,
                 real *c, size_t ldc);
    /* out[i][j] = bias[j] for i < rows, j < cols */
    void (*fill_rows)(const backend *be, real *out, const real *bias, size_t rows, size_t cols);
    /* out[j] += sum_i in[i][j] */
    void (*sum_rows)(const backend *be, real *out, const real *in, size_t rows, size_t cols);

    /* one-hot input as a gather: out[p][g] += w[g][idx[p]], w (G, V);
     * and its backward scatter-add: dw[g][idx[p]] += dout[p][g] */
    void (*embed_fwd)(const backend *be, real *out, const real *w, const int32_t *idx, size_t n,
                      size_t g, size_t v);
    void (*embed_bwd)(const backend *be, real *dw, const real *dout, const int32_t *idx, size_t n,
                      size_t g, size_t v);

    /* The recurrence of one layer over a window (rnn_seq below): M steps of
     * hg = h_{t-1} W_hh^T and the cell, from hs slot 0 (and cs slot 0);
     * writes hs/cs slots 1..M and act. s->work: rnn_work(...) reals of
     * scratch owned by the caller, the backend's between the calls. */
    void (*rnn_fwd)(const backend *be, const rnn_seq *s);
    /* Its backward, from what rnn_fwd stored in s (s->xg unused): g->dy the
     * gradient reaching h_1..h_M from above (read only); writes g->dxg and
     * (GRU) g->dhg for all M steps and adds the window's gradients to
     * g->dw_hh, g->db_hh and g->db_ih. The gradient reaching the carried-in state is
     * dropped (truncated BPTT). */
    void (*rnn_bwd)(const backend *be, const rnn_seq *s, const rnn_seq_grad *g);
    /* Reals of scratch rnn_fwd / rnn_bwd need for (cell, rows, hidden). */
    size_t (*rnn_work)(const backend *be, cell_kind cell, size_t rows, size_t hidden);

    /* out = in * mask / (1 - p), in (M, B, H) time-major; mask bit of
     * (t, r, u) = rng_uniform(seed, rng_stream(DROPOUT, layer), step,
     * row0 + r, t*H + u) >= p. The same call is its own backward. */
    void (*dropout)(const backend *be, real *out, const real *in, size_t m, size_t b, size_t h,
                    real p, uint64_t seed, uint32_t step, uint32_t layer, size_t row0);

    /* softmax cross-entropy over n rows of v logits: *loss (one device
     * double) = the sum over rows of -log softmax(logits)[target]
     * (accumulated in double, in an order fixed by n, not by the thread
     * count); when grad_scale != 0,
     * overwrites logits with (softmax - onehot) * grad_scale. No wait. */
    void (*xent)(const backend *be, real *logits, const int32_t *targets, size_t n, size_t v,
                 real grad_scale, double *loss);

    /* *out (one device double) = sum of squares (double accumulation) */
    void (*sumsq)(const backend *be, const real *x, size_t n, double *out);
    /* Adam (PyTorch's) on the device's scalars, no wait: with norm =
     * sqrt(*a->sumsq), does nothing unless *a->loss and norm are finite;
     * else the gradient is multiplied by a->clip / max(norm, a->clip) (in
     * double, then rounded) first */
    void (*adam)(const backend *be, real *p, const real *g, real *m, real *v, size_t n,
                 const adam_args *a);

    /* the k (1 <= k <= v) largest of v logits, descending (ties: lower
     * index first; a NaN logit ranks as -inf and its val is -inf), into
     * host arrays idx (k) and val (k); the sampler draws from them on the
     * host (sampler_pick) */
    void (*topk)(const backend *be, const real *logits, size_t v, size_t k, int *idx, real *val);
};

/* Every function pointer of struct backend, in its order: X(arg, primitive). */
#define BACKEND_PRIMITIVES(X, arg)                                                         \
    X(arg, sync) X(arg, destroy) X(arg, alloc) X(arg, free) X(arg, upload)                \
    X(arg, download) X(arg, copy) X(arg, zero) X(arg, gemm) X(arg, fill_rows)             \
    X(arg, sum_rows) X(arg, embed_fwd) X(arg, embed_bwd) X(arg, rnn_fwd) X(arg, rnn_bwd)  \
    X(arg, rnn_work) X(arg, dropout) X(arg, xent) X(arg, sumsq) X(arg, adam) X(arg, topk)

#define BACKEND_SLOT_(prefix, primitive) .primitive = prefix##_##primitive,

/* A backend's table: name `label`, every primitive P taken from the
 * function prefix_P (e.g. BACKEND_TABLE(cpu, "cpu") sets .gemm = cpu_gemm),
 * so a backend that lacks one does not compile; ctx and extras stay NULL. */
#define BACKEND_TABLE(prefix, label)                                                       \
    {.name = (label), BACKEND_PRIMITIVES(BACKEND_SLOT_, prefix)}

/* The CPU backend (static: no context). */
const backend *backend_cpu(void);
/* A new CUDA backend context on GPU `ordinal` modulo the visible devices,
 * or NULL when built without CUDA / no GPU is visible; backend_release it. */
const backend *backend_cuda_open(int ordinal);

/* The backend for --device auto|cpu|cuda (auto: CUDA when available), on
 * GPU (local_rank modulo the visible devices); -1 with an error when cuda is
 * asked for and unavailable, or when the CUDA driver fails (cuda_probe.h:
 * e.g. older than the runtime) under auto or cuda. Release it with
 * backend_release. */
int backend_select(const char *device, int local_rank, const backend **out);
/* Destroys a backend's context (none for the CPU); NULL is a no-op. */
void backend_release(const backend *be);

/* 1 when be's buffers are device memory (be->extras set), 0 for host memory. */
static inline int backend_on_device(const backend *be) { return be->extras != NULL; }
/* --tf32 through the extras; nothing on a host backend. */
void backend_set_tf32(const backend *be, int on);
/* --rnn-kernel through the extras (persistent != 0: the persistent kernel);
 * nothing on a host backend, whose recurrence has one form. */
void backend_set_rnn_kernel(const backend *be, int persistent);

/* Reals of rnn_work scratch of a recurrence run step by step: hg (B, G*H)
 * forward; dh_rec and dc (B, H) backward. */
static inline size_t rnn_work_stepwise(cell_kind cell, size_t rows, size_t hidden)
{
    size_t gh = cell_gates(cell) * hidden, bh = rows * hidden;
    return rows * gh > 2 * bh ? rows * gh : 2 * bh;
}

/* Threads for the CPU backend (OpenBLAS and the pointwise loops). */
void backend_cpu_threads(size_t n);
/* The instruction set the CPU backend's kernels run ("avx512", "avx2",
 * "baseline": cpu_isa.h) when be is the CPU backend, else NULL. */
const char *backend_cpu_isa(const backend *be);

#endif
