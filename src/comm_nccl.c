/* comm_nccl.c — NCCL sums of device buffers (see comm_nccl.h). A watchdog
 * thread per communicator bounds a sum without the step waiting for it:
 * once a second it asks whether the latest sum's event has completed, and
 * aborts the communicator (which ends its kernels, so the step's read-back
 * returns) when one has been pending longer than the timeout; the next
 * comm_nccl_check then fails. */
#include "comm_nccl.h"

#include "error.h"
#include "osutil.h"

#include <assert.h>
#include <cuda_runtime_api.h>
#include <nccl.h>
#include <pthread.h>
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
    int device;              /* the GPU (the watchdog's current device) */
    double timeout_s;
    /* the watchdog; `mu` guards comm, pending_since, timed_out and stop */
    pthread_t watch;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int has_watch, stop, timed_out;
    double pending_since; /* when the latest sum was queued; 0: none pending */
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

/* The watchdog's look at the latest sum (mu held): done, or pending past
 * the timeout, when the communicator is aborted. */
static void watch_once(comm_nccl *nc)
{
    if (nc->pending_since <= 0 || !nc->has_comm)
        return;
    cudaError_t q = cudaEventQuery(nc->summed);
    if (q == cudaSuccess) {
        nc->pending_since = 0;
        return;
    }
    if (q == cudaErrorNotReady && os_now() - nc->pending_since <= nc->timeout_s)
        return;
    ncclCommAbort(nc->comm); /* its kernels end: the step's read-back returns */
    nc->has_comm = 0;
    nc->timed_out = 1;
}

static void *watchdog(void *arg)
{
    comm_nccl *nc = arg;
    cudaSetDevice(nc->device);
    pthread_mutex_lock(&nc->mu);
    while (!nc->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&nc->wake, &nc->mu, &until);
        if (!nc->stop)
            watch_once(nc);
    }
    pthread_mutex_unlock(&nc->mu);
    return NULL;
}

static int start_watchdog(comm_nccl *nc)
{
    CUDA_TRY(cudaGetDevice(&nc->device), "current device");
    if (pthread_create(&nc->watch, NULL, watchdog, nc) != 0)
        return error_set("NCCL watchdog thread: cannot start it");
    nc->has_watch = 1;
    return 0;
}

comm_nccl *comm_nccl_open(const comm_info *c, void *compute_stream, double timeout_s)
{
    ncclUniqueId id;
    if (share_unique_id(c, &id) != 0)
        return NULL;
    comm_nccl *nc = xcalloc(1, sizeof *nc, "NCCL communicator");
    nc->compute = (cudaStream_t)compute_stream;
    nc->timeout_s = timeout_s;
    pthread_mutex_init(&nc->mu, NULL);
    pthread_cond_init(&nc->wake, NULL);
    if (comm_agree_error(create_streams(nc) != 0) != 0 ||
        comm_agree_error(init_comm(nc, c, id, timeout_s) != 0) != 0 ||
        comm_agree_error(start_watchdog(nc) != 0) != 0) {
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

/* The sums queued between the two streams' events (mu held). */
static int queue_sums(comm_nccl *nc, float *dev, size_t n, double *loss, double timeout_s)
{
    if (!nc->has_comm)
        return error_set("NCCL communicator is not open (aborted after an earlier failure)");
    CUDA_TRY(cudaEventRecord(nc->grads_ready, nc->compute), "event record");
    CUDA_TRY(cudaStreamWaitEvent(nc->stream, nc->grads_ready, 0), "stream wait");
    if (enqueue_sums(nc, dev, n, loss, timeout_s) != 0)
        return -1;
    CUDA_TRY(cudaEventRecord(nc->summed, nc->stream), "event record");
    CUDA_TRY(cudaStreamWaitEvent(nc->compute, nc->summed, 0), "stream wait");
    nc->pending_since = os_now(); /* the watchdog's from here */
    return 0;
}

int comm_nccl_sum(comm_nccl *nc, float *dev, size_t n, double *loss, double timeout_s)
{
    assert(nc && dev);
    pthread_mutex_lock(&nc->mu);
    int rc = queue_sums(nc, dev, n, loss, timeout_s);
    pthread_mutex_unlock(&nc->mu);
    return rc;
}

/* comm_nccl_check with mu held. */
static int check_locked(comm_nccl *nc)
{
    if (nc->timed_out)
        return error_set("NCCL all-reduce did not finish in %.0f s: a peer rank died or hangs; "
                         "ending the job", nc->timeout_s);
    if (!nc->has_comm)
        return error_set("NCCL communicator is not open (aborted after an earlier failure)");
    ncclResult_t st = comm_state(nc);
    if (st == ncclSuccess || st == ncclInProgress)
        return 0;
    abort_comm(nc);
    return error_set("NCCL all-reduce failed: %s (a peer rank died?)", ncclGetErrorString(st));
}

int comm_nccl_check(comm_nccl *nc)
{
    assert(nc);
    pthread_mutex_lock(&nc->mu);
    int rc = check_locked(nc);
    pthread_mutex_unlock(&nc->mu);
    return rc;
}

void comm_nccl_close(comm_nccl *nc)
{
    if (!nc)
        return;
    if (nc->has_watch) {
        pthread_mutex_lock(&nc->mu);
        nc->stop = 1;
        pthread_cond_signal(&nc->wake);
        pthread_mutex_unlock(&nc->mu);
        pthread_join(nc->watch, NULL);
    }
    pthread_cond_destroy(&nc->wake);
    pthread_mutex_destroy(&nc->mu);
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
