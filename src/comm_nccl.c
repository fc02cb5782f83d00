/* comm_nccl.c — NCCL all-reduce of the flat gradient buffer (see comm_nccl.h). */
#include "comm_nccl.h"

#include "error.h"
#include "osutil.h"

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <time.h>

static struct {
    ncclComm_t comm;
    cudaStream_t stream;  /* the all-reduce's own stream */
    cudaStream_t compute; /* the backend's */
    cudaEvent_t grads_ready;
    int open;
} nc;

#define NCCL_TRY(call, what)                                                               \
    do {                                                                                   \
        ncclResult_t r_ = (call);                                                          \
        if (r_ != ncclSuccess)                                                             \
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

int comm_nccl_init(const comm_info *c, void *compute_stream)
{
    ncclUniqueId id;
    if (c->rank == 0)
        NCCL_TRY(ncclGetUniqueId(&id), "unique id");
    comm_bcast(&id, sizeof id, 0);
    nc.compute = (cudaStream_t)compute_stream;
    CUDA_TRY(cudaStreamCreateWithFlags(&nc.stream, cudaStreamNonBlocking), "stream");
    CUDA_TRY(cudaEventCreateWithFlags(&nc.grads_ready, cudaEventDisableTiming), "event");
    NCCL_TRY(ncclCommInitRank(&nc.comm, c->size, id, c->rank), "communicator init");
    nc.open = 1;
    return 0;
}

/* Waits for the all-reduce, watching for a failed peer and the timeout. */
static int nccl_wait(double timeout_s)
{
    double t0 = os_now();
    struct timespec pause = {0, 100000}; /* 0.1 ms */
    for (;;) {
        cudaError_t q = cudaStreamQuery(nc.stream);
        if (q == cudaSuccess)
            return 0;
        if (q != cudaErrorNotReady)
            CUDA_TRY(q, "all-reduce stream");
        ncclResult_t async = ncclSuccess;
        ncclCommGetAsyncError(nc.comm, &async);
        if (async != ncclSuccess) {
            ncclCommAbort(nc.comm);
            nc.open = 0;
            return error_set("NCCL all-reduce failed: %s (a peer rank died?)",
                             ncclGetErrorString(async));
        }
        if (os_now() - t0 > timeout_s) {
            ncclCommAbort(nc.comm);
            nc.open = 0;
            return error_set("NCCL all-reduce did not finish in %.0f s: a peer rank died or "
                             "hangs; ending the job",
                             timeout_s);
        }
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
    if (nc.open)
        ncclCommDestroy(nc.comm);
    nc.open = 0;
}
