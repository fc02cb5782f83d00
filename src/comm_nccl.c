/* comm_nccl.c — NCCL sums of device buffers (see comm_nccl.h). */
#include "comm_nccl.h"

#include "error.h"
#include "osutil.h"

#include <assert.h>
#include <cuda_runtime_api.h>
#include <nccl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct comm_nccl {
    ncclComm_t comm;
    cudaStream_t stream;     /* the sums' own stream */
    cudaStream_t compute;    /* the backend's */
    cudaEvent_t grads_ready; /* on compute: the gradient is complete */
    cudaEvent_t summed;      /* on stream: the sums are complete */
    int has_comm, has_stream, has_ready, has_summed;
};

#define NCCL_TRY(call, what)                                                               \
    do {                                                                                   \
        ncclResult_t r_ = (call);                                                          \
        if (r_ != ncclSuccess && r_ != ncclInProgress)                                     \
            return error_set("NCCL %s failed at %s:%d: %s", what, __FILE__, __LINE__,      \
                             ncclGetErrorString(r_));                                      \
    } while (0)
#define CUDA_TRY(call, what)                                                               \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess)                                                             \
            return error_set("CUDA %s failed at %s:%d: %s", what, __FILE__, __LINE__,      \
                             cudaGetErrorString(e_));                                      \
    } while (0)

/* The communicator's state (ncclCommGetAsyncError, its own return checked):
 * ncclSuccess, ncclInProgress, or the error. */
static ncclResult_t comm_state(const comm_nccl *nc)
{
    ncclResult_t state = ncclSuccess;
    ncclResult_t r = ncclCommGetAsyncError(nc->comm, &state);
    return r != ncclSuccess ? r : state;
}

/* Aborts the communicator (a failed or stuck peer); the caller sets the error. */
static void abort_comm(comm_nccl *nc)
{
    ncclCommAbort(nc->comm);
    nc->has_comm = 0;
}

/* Waits while the communicator is busy with a nonblocking call (its init,
 * or enqueueing a group), or fails; `what` names the call. */
static int wait_settled(comm_nccl *nc, const char *what, double timeout_s)
{
    double t0 = os_now();
    struct timespec pause = {0, 100000}; /* 0.1 ms */
    for (;;) {
        ncclResult_t st = comm_state(nc);
        if (st == ncclSuccess)
            return 0;
        if (st != ncclInProgress) {
            abort_comm(nc);
            return error_set("NCCL %s failed: %s (a peer rank died?)", what,
                             ncclGetErrorString(st));
        }
        if (os_now() - t0 > timeout_s) {
            abort_comm(nc);
            return error_set("NCCL %s did not finish in %.0f s: a peer rank died or hangs; "
                             "ending the job", what, timeout_s);
        }
        nanosleep(&pause, NULL);
    }
}

/* Rank 0's unique id, agreed on: every rank fails when rank 0 could not get one. */
static int share_unique_id(const comm_info *c, ncclUniqueId *id)
{
    int failed = 0;
    memset(id, 0, sizeof *id);
    if (c->rank == 0) {
        ncclResult_t r = ncclGetUniqueId(id);
        if (r != ncclSuccess)
            failed = error_set("NCCL unique id failed: %s", ncclGetErrorString(r)) != 0;
    }
    if (comm_agree_error(failed) != 0)
        return -1;
    comm_bcast(id, sizeof *id, 0);
    return 0;
}

static int create_streams(comm_nccl *nc)
{
    CUDA_TRY(cudaStreamCreateWithFlags(&nc->stream, cudaStreamNonBlocking), "stream");
    nc->has_stream = 1;
    CUDA_TRY(cudaEventCreateWithFlags(&nc->grads_ready, cudaEventDisableTiming), "event");
    nc->has_ready = 1;
    CUDA_TRY(cudaEventCreateWithFlags(&nc->summed, cudaEventDisableTiming), "event");
    nc->has_summed = 1;
    return 0;
}

/* Nonblocking init (a peer that never joins is a timeout, not a hang). */
static int init_comm(comm_nccl *nc, const comm_info *c, ncclUniqueId id, double timeout_s)
{
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    NCCL_TRY(ncclCommInitRankConfig(&nc->comm, c->size, id, c->rank, &config),
             "communicator init");
    nc->has_comm = 1;
    return wait_settled(nc, "communicator init", timeout_s);
}

comm_nccl *comm_nccl_open(const comm_info *c, void *compute_stream, double timeout_s)
{
    ncclUniqueId id;
    if (share_unique_id(c, &id) != 0)
        return NULL;
    comm_nccl *nc = xcalloc(1, sizeof *nc, "NCCL communicator");
    nc->compute = (cudaStream_t)compute_stream;
    if (comm_agree_error(create_streams(nc) != 0) != 0 ||
        comm_agree_error(init_comm(nc, c, id, timeout_s) != 0) != 0) {
        comm_nccl_close(nc);
        return NULL;
    }
    return nc;
}

/* The group of sums, on nc->stream. */
static int enqueue_sums(comm_nccl *nc, float *dev, size_t n, double *loss, double timeout_s)
{
    NCCL_TRY(ncclGroupStart(), "group start");
    NCCL_TRY(ncclAllReduce(dev, dev, n, ncclFloat, ncclSum, nc->comm, nc->stream),
             "all-reduce");
    if (loss)
        NCCL_TRY(ncclAllReduce(loss, loss, 1, ncclDouble, ncclSum, nc->comm, nc->stream),
                 "all-reduce of the loss");
    NCCL_TRY(ncclGroupEnd(), "group end");
    return wait_settled(nc, "all-reduce", timeout_s);
}

int comm_nccl_sum(comm_nccl *nc, float *dev, size_t n, double *loss, double timeout_s)
{
    assert(nc && dev);
    if (!nc->has_comm)
        return error_set("NCCL communicator is not open (aborted after an earlier failure)");
    CUDA_TRY(cudaEventRecord(nc->grads_ready, nc->compute), "event record");
    CUDA_TRY(cudaStreamWaitEvent(nc->stream, nc->grads_ready, 0), "stream wait");
    if (enqueue_sums(nc, dev, n, loss, timeout_s) != 0)
        return -1;
    CUDA_TRY(cudaEventRecord(nc->summed, nc->stream), "event record");
    CUDA_TRY(cudaStreamWaitEvent(nc->compute, nc->summed, 0), "stream wait");
    return 0;
}

int comm_nccl_check(comm_nccl *nc)
{
    assert(nc);
    if (!nc->has_comm)
        return error_set("NCCL communicator is not open (aborted after an earlier failure)");
    ncclResult_t st = comm_state(nc);
    if (st == ncclSuccess || st == ncclInProgress)
        return 0;
    abort_comm(nc);
    return error_set("NCCL all-reduce failed: %s (a peer rank died?)", ncclGetErrorString(st));
}

void comm_nccl_close(comm_nccl *nc)
{
    if (!nc)
        return;
    if (nc->has_comm)
        ncclCommDestroy(nc->comm);
    if (nc->has_summed)
        cudaEventDestroy(nc->summed);
    if (nc->has_ready)
        cudaEventDestroy(nc->grads_ready);
    if (nc->has_stream)
        cudaStreamDestroy(nc->stream);
    free(nc);
}
