/* comm_nccl.c — NCCL all-reduce of the flat gradient buffer (see comm_nccl.h). */
#include "comm_nccl.h"

#include "error.h"
#include "osutil.h"

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <string.h>
#include <time.h>

static struct {
    ncclComm_t comm;
    cudaStream_t stream;  /* the all-reduce's own stream */
    cudaStream_t compute; /* the backend's */
    cudaEvent_t grads_ready;
    int has_comm, has_stream, has_event;
    int open;
} nc;

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
static ncclResult_t comm_state(void)
{
    ncclResult_t state = ncclSuccess;
    ncclResult_t r = ncclCommGetAsyncError(nc.comm, &state);
    return r != ncclSuccess ? r : state;
}

/* Aborts the communicator (a failed or stuck peer) and sets the error. */
static int abort_with(const char *fmt, const char *detail, double seconds)
{
    ncclCommAbort(nc.comm);
    nc.has_comm = nc.open = 0;
    if (detail)
        return error_set(fmt, detail);
    return error_set(fmt, seconds);
}

/* Waits until the communicator is ready (nonblocking init), or fails. */
static int wait_ready(double timeout_s)
{
    double t0 = os_now();
    struct timespec pause = {0, 1000000}; /* 1 ms */
    for (;;) {
        ncclResult_t st = comm_state();
        if (st == ncclSuccess)
            return 0;
        if (st != ncclInProgress)
            return abort_with("NCCL communicator init failed: %s", ncclGetErrorString(st), 0);
        if (os_now() - t0 > timeout_s)
            return abort_with("NCCL communicator init did not finish in %.0f s", NULL,
                              timeout_s);
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

static int create_streams(void)
{
    CUDA_TRY(cudaStreamCreateWithFlags(&nc.stream, cudaStreamNonBlocking), "stream");
    nc.has_stream = 1;
    CUDA_TRY(cudaEventCreateWithFlags(&nc.grads_ready, cudaEventDisableTiming), "event");
    nc.has_event = 1;
    return 0;
}

/* Nonblocking init (a peer that never joins is a timeout, not a hang). */
static int init_comm(const comm_info *c, ncclUniqueId id, double timeout_s)
{
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    NCCL_TRY(ncclCommInitRankConfig(&nc.comm, c->size, id, c->rank, &config),
             "communicator init");
    nc.has_comm = 1;
    return wait_ready(timeout_s);
}

int comm_nccl_init(const comm_info *c, void *compute_stream, double timeout_s)
{
    ncclUniqueId id;
    if (share_unique_id(c, &id) != 0)
        return -1;
    nc.compute = (cudaStream_t)compute_stream;
    if (comm_agree_error(create_streams() != 0) != 0 ||
        comm_agree_error(init_comm(c, id, timeout_s) != 0) != 0) {
        comm_nccl_free();
        return -1;
    }
    nc.open = 1;
    return 0;
}

/* Waits for the all-reduce, watching for a failed peer and the timeout. */
static int nccl_wait(double timeout_s)
{
    double t0 = os_now();
    struct timespec pause = {0, 100000}; /* 0.1 ms */
    for (;;) {
        ncclResult_t st = comm_state();
        if (st != ncclSuccess && st != ncclInProgress)
            return abort_with("NCCL all-reduce failed: %s (a peer rank died?)",
                              ncclGetErrorString(st), 0);
        cudaError_t q = cudaStreamQuery(nc.stream);
        if (q == cudaSuccess && st == ncclSuccess)
            return 0;
        if (q != cudaSuccess && q != cudaErrorNotReady)
            CUDA_TRY(q, "all-reduce stream");
        if (os_now() - t0 > timeout_s)
            return abort_with("NCCL all-reduce did not finish in %.0f s: a peer rank died or "
                              "hangs; ending the job",
                              NULL, timeout_s);
        nanosleep(&pause, NULL);
    }
}

int comm_nccl_allreduce(float *dev, size_t n, double timeout_s)
{
    if (!nc.open)
        return error_set("NCCL communicator is not open");
    CUDA_TRY(cudaEventRecord(nc.grads_ready, nc.compute), "event record");
    CUDA_TRY(cudaStreamWaitEvent(nc.stream, nc.grads_ready, 0), "stream wait");
    NCCL_TRY(ncclAllReduce(dev, dev, n, ncclFloat, ncclSum, nc.comm, nc.stream), "all-reduce");
    return nccl_wait(timeout_s);
}

void comm_nccl_free(void)
{
    if (nc.has_comm)
        ncclCommDestroy(nc.comm);
    if (nc.has_event)
        cudaEventDestroy(nc.grads_ready);
    if (nc.has_stream)
        cudaStreamDestroy(nc.stream);
    nc.has_comm = nc.has_event = nc.has_stream = nc.open = 0;
}
