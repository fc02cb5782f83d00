/* backend.c — choosing the backend named by --device. */
#include "backend.h"

#include "error.h"
#ifdef CHARNN_WITH_CUDA
#include "backend_cuda.h"
#include "cuda_probe.h"
#endif

#include <string.h>

#ifndef CHARNN_WITH_CUDA
const backend *backend_cuda_open(int ordinal)
{
    (void)ordinal;
    return NULL;
}
#endif

void backend_release(const backend *be)
{
    if (be)
        be->destroy(be);
}

void backend_set_tf32(const backend *be, int on)
{
    if (backend_on_device(be))
        be->extras->set_tf32(be, on);
}

void backend_set_rnn_kernel(const backend *be, int persistent)
{
    if (backend_on_device(be))
        be->extras->set_rnn_kernel(be, persistent);
}

int backend_select(const char *device, int local_rank, const backend **out)
{
    if (strcmp(device, "cpu") == 0) {
        *out = backend_cpu();
        return 0;
    }
#ifdef CHARNN_WITH_CUDA
    /* a failing driver (e.g. older than the runtime) is an error, not "no GPU" */
    cuda_probe_info probe;
    if (cuda_probe(&probe) < 0)
        return error_set("--device %s: %s; pass --device cpu to train on the CPU", device,
                         probe.why);
#endif
    /* node-local rank modulo the visible GPUs */
    const backend *cuda = backend_cuda_open(local_rank);
    if (strcmp(device, "cuda") == 0 && !cuda) {
#ifdef CHARNN_WITH_CUDA
        return error_set("--device cuda: no CUDA device is visible (%s)", probe.why);
#else
        return error_set("--device cuda: this build has no CUDA backend "
                         "(rebuild with nvcc available, -DCHARNN_CUDA=ON)");
#endif
    }
    *out = cuda ? cuda : backend_cpu(); /* auto */
    return 0;
}
