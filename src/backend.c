/* backend.c — choosing the backend named by --device. */
#include "backend.h"

#include "error.h"

#include <string.h>

#ifndef CHARNN_WITH_CUDA
const backend *backend_cuda(void) { return NULL; }
#endif

int backend_select(const char *device, const backend **out)
{
    if (strcmp(device, "cpu") == 0) {
        *out = backend_cpu();
        return 0;
    }
    const backend *cuda = backend_cuda();
    if (strcmp(device, "cuda") == 0 && !cuda) {
#ifdef CHARNN_WITH_CUDA
        return error_set("--device cuda: no CUDA device is visible");
#else
        return error_set("--device cuda: this build has no CUDA backend "
                         "(rebuild with nvcc available, -DCHARNN_CUDA=ON)");
#endif
    }
    *out = cuda ? cuda : backend_cpu(); /* auto */
    return 0;
}
