/* backend_cuda.h — the CUDA backend's own controls (defined only in builds with CHARNN_WITH_CUDA). */
#ifndef CHARNN_BACKEND_CUDA_H
#define CHARNN_BACKEND_CUDA_H

/* GEMMs on TF32 tensor cores (CUBLAS_TF32_TENSOR_OP_MATH) when on != 0, in
 * plain FP32 (the default) otherwise; before or after backend_cuda(). */
void backend_cuda_tf32(int on);

/* The GPU the backend opens: ordinal modulo the number of visible devices
 * (so a rank can pass its node-local rank). Takes effect only before the
 * first backend_cuda() call; the default is device 0. */
void backend_cuda_set_device(int ordinal);

/* Visible CUDA devices; 0 when there is none or the driver fails. */
int backend_cuda_device_count(void);

/* The backend's stream (a cudaStream_t) for work that must be ordered with
 * it, e.g. NCCL collectives on device buffers; NULL before backend_cuda(). */
void *backend_cuda_stream(void);

#endif
