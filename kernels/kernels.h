/* kernels.h — C-callable launch wrappers of the CUDA kernels (the .cu files of kernels/). */
#ifndef CHARNN_KERNELS_H
#define CHARNN_KERNELS_H

/* Every pointer is device memory (float: the CUDA backend is single
 * precision), every launch goes to `stream`, and every wrapper returns
 * cudaGetLastError() (cudaSuccess when there was nothing to launch). The
 * semantics are those of the same-named primitive in src/backend.h. */

#include "adam_math.h"
#include "params.h"

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cell kinds: the values of cell_kind in src/params.h (checked below) */
enum { K_CELL_LSTM = 0, K_CELL_GRU = 1, K_CELL_RNN = 2 };
#ifdef __cplusplus
#define K_STATIC_ASSERT static_assert
#else
#define K_STATIC_ASSERT _Static_assert
#endif
K_STATIC_ASSERT(K_CELL_LSTM == (int)CELL_LSTM && K_CELL_GRU == (int)CELL_GRU &&
                    K_CELL_RNN == (int)CELL_RNN,
                "K_CELL_* must be the values of cell_kind (src/params.h)");

/* reduce.cu */
cudaError_t k_fill_rows(cudaStream_t s, float *out, const float *bias, size_t rows,
                        size_t cols);
cudaError_t k_sum_rows(cudaStream_t s, float *out, const float *in, size_t rows, size_t cols);
/* Doubles of scratch k_sumsq needs (per-block partial sums). */
size_t k_sumsq_scratch(size_t n);
/* *out (device) = sum of x[i]^2 in double; partial: k_sumsq_scratch(n) doubles */
cudaError_t k_sumsq(cudaStream_t s, const float *x, size_t n, double *partial, double *out);
/* *out (device) = sum of parts[0..count) in double, one block (deterministic) */
cudaError_t k_sum_doubles(cudaStream_t s, const double *parts, size_t count, double *out);

/* embed.cu: the forward gathers from a transposed copy of w (coalesced)
 * when there are more positions than ids, else straight from w;
 * the backward sorts the ids (stable CUB radix sort) and sums each id's
 * positions in increasing order: deterministic, bitwise the CPU backend's
 * sums. Both take their scratch from the stream-ordered pool
 * (cudaMallocAsync / cudaFreeAsync on `s`), which keeps it between steps
 * once k_pool_keep has raised the default pool's release threshold (by
 * default 0: every synchronisation would hand the memory back). */
cudaError_t k_pool_keep(int device);
cudaError_t k_embed_fwd(cudaStream_t s, float *out, const float *w, const int32_t *idx,
                        size_t n, size_t g, size_t v);
cudaError_t k_embed_bwd(cudaStream_t s, float *dw, const float *dout, const int32_t *idx,
                        size_t n, size_t g, size_t v);

/* cells.cu */
cudaError_t k_cell_fwd(cudaStream_t s, int cell, size_t b, size_t h, const float *xg,
                       const float *hg, const float *b_hh, const float *h_prev,
                       const float *c_prev, float *h_out, float *c_out, float *act);
cudaError_t k_cell_bwd(cudaStream_t s, int cell, size_t b, size_t h, const float *act,
                       const float *h_prev, const float *c_prev, const float *c,
                       const float *dh_above, float *dh_rec, float *dc, float *dxg,
                       float *dhg);

/* rnn_persistent.cu: a layer's window as one cooperative kernel (forward,
 * and backward), its per-step GEMM in FP32 or on TF32 tensor cores: the
 * launch shape for (cell, rows b, hidden h, tf32) on the current device,
 * from the occupancy query */
typedef struct {
    int units;         /* hidden units per block */
    int blocks;        /* ceil(h / units): all co-resident */
    int threads;       /* per block */
    int rows_per_pass; /* rows of the block's GEMM per pass */
    int resident;      /* blocks the device can hold at once with this shape */
    int tf32;          /* the GEMM on TF32 tensor cores (asked for, and compute capability >= 8) */
    size_t smem;       /* dynamic shared memory per block (bytes) */
} k_rnn_plan_t;
/* cudaErrorCooperativeLaunchTooLarge when no grid of this shape can be
 * co-resident (W_hh's slices too large for shared memory), cudaErrorNotSupported
 * when the device has no cooperative launch */
cudaError_t k_rnn_plan(int cell, int backward, int tf32, size_t b, size_t h, k_rnn_plan_t *plan);
/* backend.h's rnn_fwd: hs/cs slots 1..m and act from slot 0 */
cudaError_t k_rnn_fwd_persistent(cudaStream_t s, const k_rnn_plan_t *plan, int cell, size_t m,
                                 size_t b, size_t h, const float *w_hh, const float *b_hh,
                                 const float *xg, float *hs, float *cs, float *act);
/* backend.h's rnn_bwd up to dxg / dhg (dhg == dxg but for GRU); dh_rec and
 * dc (b x h each, dc only for LSTM) are scratch; the weight and bias
 * gradients are the caller's (as on the stepwise path) */
cudaError_t k_rnn_bwd_persistent(cudaStream_t s, const k_rnn_plan_t *plan, int cell, size_t m,
                                 size_t b, size_t h, const float *w_hh, const float *act,
                                 const float *hs, const float *cs, const float *dy,
                                 float *dh_rec, float *dc, float *dxg, float *dhg);

/* dropout.cu: out = in * keep_scale where the uniform of (t, r, u) >= p, else 0;
 * rng_stream is rng_stream(RNG_STREAM_DROPOUT, layer) */
cudaError_t k_dropout(cudaStream_t s, float *out, const float *in, size_t m, size_t b,
                      size_t h, float p, float keep_scale, uint64_t seed, uint32_t rng_stream,
                      uint32_t step, size_t row0);

/* xent.cu: row_loss (n doubles of scratch) gets each row's loss, *out (device)
 * their sum in row order; logits become the gradient when grad_scale != 0 */
cudaError_t k_xent(cudaStream_t s, float *logits, const int32_t *targets, size_t n, size_t v,
                   float grad_scale, double *row_loss, double *out);

/* adam.cu: adam_math.h's step with the constants c (adam_consts_of); the
 * clip factor from the device's scalars, nothing changes unless *loss and
 * the norm sqrt(*sumsq) are finite */
cudaError_t k_adam(cudaStream_t s, float *p, const float *g, float *m, float *v, size_t n,
                   adam_consts c, const double *loss, const double *sumsq);

/* sample.cu: the k largest of v logits, descending, ties by lower index:
 * idx_out[q] their indices and val_out[q] their logits (k device slots each) */
cudaError_t k_topk(cudaStream_t s, const float *logits, size_t v, size_t k, int32_t *idx_out,
                   float *val_out);

#ifdef __cplusplus
}
#endif

#endif
