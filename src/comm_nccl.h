/* comm_nccl.h — the gradient all-reduce of device buffers over NCCL, one GPU
 * per rank: the unique id is broadcast over MPI, the sum runs on a stream of
 * its own, and a failed or stuck peer ends the job with a clear error
 * (ncclCommGetAsyncError polled, ncclCommAbort after a timeout) instead of a
 * silent hang. Built only with both MPI and CUDA (CHARNN_WITH_NCCL). */
#ifndef CHARNN_COMM_NCCL_H
#define CHARNN_COMM_NCCL_H

#include "comm.h"

#include <stddef.h>

/* Collective over all ranks (after device_agree chose NCCL): 0 on every
 * rank, or -1 on every rank with the same error (a failed unique id, stream
 * or communicator init on any rank; the communicator is created nonblocking
 * and aborted after timeout_s, so a peer that never joins cannot hang the
 * others). `compute_stream`: the backend's cudaStream_t, whose work the
 * all-reduce waits for. */
int comm_nccl_init(const comm_info *c, void *compute_stream, double timeout_s);
/* In-place sum of n floats on the device; -1 with an error (naming the peer
 * failure or the timeout) after aborting the communicator. */
int comm_nccl_allreduce(float *dev, size_t n, double timeout_s);
/* Destroys the communicator, its stream and event (whatever exists); idempotent. */
void comm_nccl_free(void);

#endif
