/* backend_cuda.h — the CUDA backend's own controls (defined only in builds
 * with CHARNN_WITH_CUDA). The orchestration reaches them through the
 * table (be->extras, backend.h); tests of the backend may call them. */
#ifndef CHARNN_BACKEND_CUDA_H
#define CHARNN_BACKEND_CUDA_H

#include "backend.h"

/* be: a backend from backend_cuda_open (backend.h). */

/* GEMMs on TF32 tensor cores (CUBLAS_TF32_TENSOR_OP_MATH) when on != 0, in
 * plain FP32 (the default) otherwise. */
void backend_cuda_tf32(const backend *be, int on);

/* The recurrence (rnn_fwd / rnn_bwd): persistent != 0, one cooperative
 * kernel per layer and window (kernels/rnn_persistent.cu), where the
 * occupancy query says its grid can be co-resident, else (and by default)
 * a cuBLAS GEMM and a cell kernel per step. The persistent kernel's GEMMs
 * run on TF32 tensor cores when backend_cuda_tf32 is on (and the GPU has
 * them: compute capability 8.0 or later), in FP32 otherwise. After this
 * call the recurrence says on stderr which runs ("cuda: recurrence:
 * stepwise ..." once; "cuda: recurrence: persistent|stepwise (...)" for each
 * shape when persistent was asked for); without it, nothing. */
void backend_cuda_rnn_kernel(const backend *be, int persistent);
/* Windows (rnn_fwd or rnn_bwd calls) the persistent kernel has run. */
size_t backend_cuda_persistent_runs(const backend *be);

/* Visible CUDA devices; 0 when there is none or the driver fails. */
int backend_cuda_device_count(void);

/* The context's stream (a cudaStream_t) for work that must be ordered with
 * it, e.g. NCCL collectives on device buffers. */
void *backend_cuda_stream(const backend *be);

/* How many times the context has made the host wait for the GPU (stream
 * syncs of download / sync / topk, the staging ring wrapping or growing,
 * the scratch growing): what tests count to prove a training step waits
 * once. */
size_t backend_cuda_host_waits(const backend *be);

/* The table of the above that backend_cuda_open puts in be->extras. */
extern const backend_extras backend_cuda_extras;

#endif
