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

/* Every rank of this node (the node-local communicator, MPI_Comm_split_type
 * SHARED) gives `bytes` bytes; recv gets local_size * bytes, in local-rank order. */
void comm_local_allgather(const void *send, void *recv, size_t bytes);

/* Collective error agreement that keeps the message: when any rank passes
 * failed != 0, every rank returns -1 with the lowest failing rank's error
 * message (error_message) set; 0 when none failed (comm_agree.c). */
int comm_agree_error(int failed);

/* Ends every rank of the job at once (a failure only one rank sees). */
void comm_abort(int code);

#endif
