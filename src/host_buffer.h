/* host_buffer.h — a long-lived host buffer for device<->host staging (the
 * gradient all-reduce through host MPI): page-locked (cudaMallocHost) in
 * builds with CUDA, so the copies run at full speed, plain malloc otherwise
 * or when pinning fails. Allocate once, reuse every step. */
#ifndef CHARNN_HOST_BUFFER_H
#define CHARNN_HOST_BUFFER_H

#include <stddef.h>

typedef struct {
    void *p;
    size_t bytes;
    int pinned;
} host_buffer;

/* Exits with an error naming `what` when even malloc fails. */
void host_buffer_alloc(host_buffer *b, size_t bytes, const char *what);
void host_buffer_free(host_buffer *b);

#endif
