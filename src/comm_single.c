/* comm_single.c — comm.h for a build without MPI: one rank, no-op collectives. */
#include "comm.h"

#include <stdlib.h>
#include <string.h>

void comm_init(int *argc, char ***argv, comm_info *c)
{
    (void)argc;
    (void)argv;
    c->rank = c->local_rank = 0;
    c->size = c->local_size = 1;
}

void comm_finalize(void) {}
void comm_allreduce_float(float *buf, size_t n) { (void)buf, (void)n; }
void comm_allreduce_double(double *buf, size_t n) { (void)buf, (void)n; }
int comm_first_failure(int failed) { return failed ? 0 : -1; }
int comm_or(int flags) { return flags; }
void comm_bcast(void *buf, size_t bytes, int root) { (void)buf, (void)bytes, (void)root; }

void comm_gather(const void *send, void *recv, const size_t *bytes, int root)
{
    (void)root;
    if (bytes[0])
        memmove(recv, send, bytes[0]);
}

void comm_local_allgather(const void *send, void *recv, size_t bytes)
{
    if (bytes)
        memmove(recv, send, bytes);
}

void comm_abort(int code) { exit(code); }
