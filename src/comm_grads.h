/* comm_grads.h — the step's gradient sum over the ranks, one object chosen
 * once at setup with its own state, as nccl-tests keeps a table of its
 * collectives. The strategies (comm_grads_open picks one):
 *   single  one rank: nothing to sum, no wait;
 *   host    the backend's buffers are host memory (the CPU): MPI in place;
 *   staged  device buffers without NCCL (ranks sharing a GPU, or a build
 *           without NCCL): through one pinned host buffer and MPI;
 *   nccl    device buffers over NCCL (comm_nccl.h), ordered with the
 *           backend's stream by events: the loss and the gradient stay on
 *           the device, and nothing waits for the sum.
 * Each also sums the step's loss (one device double): the finite check of
 * the summed loss then agrees on every rank (optim.h). */
#ifndef CHARNN_COMM_GRADS_H
#define CHARNN_COMM_GRADS_H

#include "backend.h"
#include "comm.h"
#include "device_agree.h"

#include <stddef.h>

typedef struct comm_grads comm_grads;

/* One strategy: what it does at each point of a run. */
typedef struct {
    const char *name;
    /* collective, once: 0, or -1 on every rank with the same error */
    int (*open)(comm_grads *g);
    /* queues the sums of grads (g->n reals) and *loss, in place */
    void (*sum)(comm_grads *g, real *grads, double *loss);
    /* after the step's read-back: ends the job on a failure the sum left */
    void (*check)(comm_grads *g);
    void (*close)(comm_grads *g);
} comm_grads_ops;

struct comm_grads {
    const comm_grads_ops *ops; /* NULL until opened */
    const backend *be;
    const comm_info *comm;
    size_t n;                  /* reals of the gradient */
    void *state;               /* the strategy's own (host buffer, communicator) */
};

/* Collective, after device_agree: the strategy for this backend and plan,
 * opened, for gradients of n reals. 0, or -1 on every rank with the same
 * error (g is then closed). */
int comm_grads_open(comm_grads *g, const comm_info *c, const backend *be,
                    const device_plan *plan, size_t n);
/* The strategy's name ("single", "host", "staged", "nccl"). */
const char *comm_grads_name(const comm_grads *g);
/* Queues the in-place sums over the ranks of grads (g->n reals) and of
 * *loss (one double), both the backend's buffers; waits for nothing the
 * backend queued (single, nccl), or once (host, staged: MPI needs the
 * values). A failure of NCCL to enqueue ends the job (error_fatal). */
void comm_grads_sum(comm_grads *g, real *grads, double *loss);
/* After a read-back that waited for the sums: a failure NCCL reported
 * since (a peer died) ends the job; nothing for the others. */
void comm_grads_check(comm_grads *g);
/* Frees the strategy's state; a zeroed or closed g is a no-op. */
void comm_grads_close(comm_grads *g);

/* 1 when this build sums device buffers over NCCL (MPI and CUDA). */
int comm_grads_have_nccl(void);

#endif
