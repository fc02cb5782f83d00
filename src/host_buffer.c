/* host_buffer.c — pinned (CUDA) or plain host staging buffers (see host_buffer.h). */
#include "host_buffer.h"

#include "error.h"
#ifdef CHARNN_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

#include <stdlib.h>

void host_buffer_alloc(host_buffer *b, size_t bytes, const char *what)
{
    b->bytes = bytes;
    b->pinned = 0;
#ifdef CHARNN_WITH_CUDA
    if (cudaMallocHost(&b->p, bytes ? bytes : 1) == cudaSuccess) {
        b->pinned = 1;
        return;
    }
    cudaGetLastError(); /* not sticky: fall back to pageable memory */
#endif
    b->p = xmalloc(bytes ? bytes : 1, what);
}

void host_buffer_free(host_buffer *b)
{
    if (!b->p)
        return;
#ifdef CHARNN_WITH_CUDA
    if (b->pinned)
        cudaFreeHost(b->p);
    else
        free(b->p);
#else
    free(b->p);
#endif
    b->p = NULL;
    b->bytes = 0;
}
