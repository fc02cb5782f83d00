/* comm_mpi.c — comm.h over MPI (host buffers; counts above INT_MAX chunked). */
#include "comm.h"

#include "error.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define mpiCheck(call)                                                                     \
    do {                                                                                   \
        int mpi_rc_ = (call);                                                              \
        if (mpi_rc_ != MPI_SUCCESS) {                                                      \
            char msg_[MPI_MAX_ERROR_STRING];                                               \
            int len_ = 0;                                                                  \
            MPI_Error_string(mpi_rc_, msg_, &len_);                                        \
            error_fatal("MPI failure at %s:%d: %s", __FILE__, __LINE__, msg_);             \
        }                                                                                  \
    } while (0)

enum { COMM_CHUNK = INT_MAX / 2 };

void comm_init(int *argc, char ***argv, comm_info *c)
{
    MPI_Comm local;
    mpiCheck(MPI_Init(argc, argv));
    error_on_fatal(comm_abort); /* from now on a fatal error ends every rank */
    mpiCheck(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    mpiCheck(MPI_Comm_rank(MPI_COMM_WORLD, &c->rank));
    mpiCheck(MPI_Comm_size(MPI_COMM_WORLD, &c->size));
    mpiCheck(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank,
                                 MPI_INFO_NULL, &local));
    mpiCheck(MPI_Comm_rank(local, &c->local_rank));
    mpiCheck(MPI_Comm_size(local, &c->local_size));
    mpiCheck(MPI_Comm_free(&local));
}

void comm_finalize(void)
{
    error_on_fatal(NULL);
    MPI_Finalize();
}

static void allreduce(void *buf, size_t n, size_t elem, MPI_Datatype type)
{
    for (size_t off = 0; off < n; off += COMM_CHUNK) {
        size_t cnt = n - off < COMM_CHUNK ? n - off : COMM_CHUNK;
        mpiCheck(MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * elem, (int)cnt, type, MPI_SUM,
                               MPI_COMM_WORLD));
    }
}

void comm_allreduce_float(float *buf, size_t n) { allreduce(buf, n, sizeof *buf, MPI_FLOAT); }

void comm_allreduce_double(double *buf, size_t n)
{
    allreduce(buf, n, sizeof *buf, MPI_DOUBLE);
}

int comm_first_failure(int failed)
{
    int size, rank, mine, first;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    mine = failed ? rank : size;
    mpiCheck(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
    return first < size ? first : -1;
}

int comm_or(int flags)
{
    int all = 0;
    mpiCheck(MPI_Allreduce(&flags, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD));
    return all;
}

void comm_bcast(void *buf, size_t bytes, int root)
{
    for (size_t off = 0; off < bytes; off += COMM_CHUNK) {
        size_t cnt = bytes - off < COMM_CHUNK ? bytes - off : COMM_CHUNK;
        mpiCheck(MPI_Bcast((char *)buf + off, (int)cnt, MPI_BYTE, root, MPI_COMM_WORLD));
    }
}

void comm_gather(const void *send, void *recv, const size_t *bytes, int root)
{
    int size, rank;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int *counts = xcalloc((size_t)size, sizeof *counts, "gather counts");
    int *displs = xcalloc((size_t)size, sizeof *displs, "gather displacements");
    size_t off = 0;
    for (int r = 0; r < size; r++) {
        if (bytes[r] > INT_MAX || off > INT_MAX)
            error_fatal("state gather too large (%zu bytes)", off + bytes[r]);
        counts[r] = (int)bytes[r];
        displs[r] = (int)off;
        off += bytes[r];
    }
    mpiCheck(MPI_Gatherv(send, counts[rank], MPI_BYTE, recv, counts, displs, MPI_BYTE, root,
                         MPI_COMM_WORLD));
    free(counts);
    free(displs);
}

void comm_local_allgather(const void *send, void *recv, size_t bytes)
{
    MPI_Comm local;
    int rank;
    if (bytes > INT_MAX)
        error_fatal("node-local gather too large (%zu bytes)", bytes);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    mpiCheck(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL,
                                 &local));
    mpiCheck(MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, local));
    mpiCheck(MPI_Comm_free(&local));
}

void comm_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
