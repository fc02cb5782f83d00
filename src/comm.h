/* comm.h — the ranks of a job: who we are, and the few collectives the
 * trainer needs. MPI underneath (comm_mpi.c), or a single process when built
 * without MPI (comm_single.c). Host buffers only. */
#ifndef CHARNN_COMM_H
#define CHARNN_COMM_H

#include <stddef.h>

typedef struct {
    int rank, size;             /* in the job */
    int local_rank, local_size; /* on this node */
} comm_info;

void comm_init(int *argc, char ***argv, comm_info *c);
void comm_finalize(void);

/* In-place sums over all ranks. */
void comm_allreduce_float(float *buf, size_t n);
void comm_allreduce_double(double *buf, size_t n);

/* Collective error agreement: every rank passes whether it failed; returns
 * the lowest failing rank, or -1 when none failed. */
int comm_first_failure(int failed);

/* Bitwise OR of `flags` over all ranks (agreeing on stop / save decisions). */
int comm_or(int flags);

/* Broadcast from root. */
void comm_bcast(void *buf, size_t bytes, int root);

/* Gathers `bytes[r]` bytes from every rank r into recv on root, in rank order. */
void comm_gather(const void *send, void *recv, const size_t *bytes, int root);

/* Ends every rank of the job at once (a failure only one rank sees). */
void comm_abort(int code);

#endif
