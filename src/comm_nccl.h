/* comm_nccl.h — sums of device buffers over NCCL, one GPU per rank: the
 * unique id is broadcast over MPI, the sums run on a stream of their own,
 * ordered with the backend's stream by events (no host wait for their
 * completion), and a failed or stuck peer is an error naming it instead of
 * a silent hang: a watchdog thread of the communicator aborts it when a sum
 * is still pending after timeout_s (the step's read-back then returns, and
 * comm_nccl_check fails). Each communicator is an object of its own (no
 * file-scope state).
 * Built only with both MPI and CUDA (CHARNN_WITH_NCCL); the trainer reaches
 * it through comm_grads.h. */
#ifndef CHARNN_COMM_NCCL_H
#define CHARNN_COMM_NCCL_H

#include "comm.h"

#include <stddef.h>

typedef struct comm_nccl comm_nccl;

/* Collective over all ranks (after device_agree chose NCCL): a new
 * communicator on every rank, or NULL on every rank with the same error (a
 * failed unique id, stream or communicator init on any rank; the
 * communicator is created nonblocking and aborted after timeout_s, so a
 * peer that never joins cannot hang the others). `compute_stream`: the
 * backend's cudaStream_t (be->extras->stream), which the sums are ordered
 * with. */
comm_nccl *comm_nccl_open(const comm_info *c, void *compute_stream, double timeout_s);

/* Queues the in-place sums over the ranks of `n` floats at `dev` and, when
 * `loss` is not NULL, of the one double at `loss` (both device memory), as
 * one NCCL group: after all the work queued on the compute stream before
 * the call, and before all the work queued there after it. The host waits
 * only while NCCL enqueues (a nonblocking communicator), at most
 * timeout_s; never for the sums themselves. -1 with an error after aborting
 * the communicator (a failed peer, or the enqueue timed out). */
int comm_nccl_sum(comm_nccl *nc, float *dev, size_t n, double *loss, double timeout_s);

/* The communicator's asynchronous error, checked once without waiting (call
 * it after a read-back that waited for the sums): 0, or -1 with an error
 * naming the failure (a peer's error, or the watchdog's timeout) after
 * aborting the communicator. */
int comm_nccl_check(comm_nccl *nc);

/* Stops the watchdog, destroys the communicator, its stream and events;
 * NULL is a no-op. */
void comm_nccl_close(comm_nccl *nc);

#endif
