/* cuda_probe.c — the CUDA runtime's device count, its failure and versions (see cuda_probe.h). */
#include "cuda_probe.h"

#include "error.h"

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <string.h>

/* "13.0" from CUDA's 13000 */
static void version_text(int v, char *buf, size_t size)
{
    if (v <= 0)
        snprintf(buf, size, "none");
    else
        snprintf(buf, size, "%d.%d", v / 1000, (v % 1000) / 10);
}

int cuda_probe(cuda_probe_info *out)
{
    char drv[16], rt[16];
    memset(out, 0, sizeof *out);
    cudaDriverGetVersion(&out->driver_version); /* 0 when no driver is installed */
    cudaRuntimeGetVersion(&out->runtime_version);
    cudaGetLastError();
    version_text(out->driver_version, drv, sizeof drv);
    version_text(out->runtime_version, rt, sizeof rt);
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    cudaGetLastError(); /* later calls must not see it */
    if (err == cudaSuccess && count > 0) {
        out->count = count;
        return count;
    }
    /* no driver at all (a CPU machine), or none visible: no GPU, not a failure */
    out->failed = err != cudaSuccess && err != cudaErrorNoDevice && out->driver_version > 0;
    snprintf(out->why, sizeof out->why, "CUDA %s: %s (driver %s, runtime %s)",
             err == cudaSuccess ? "cudaSuccess" : cudaGetErrorName(err),
             err == cudaSuccess ? "no device" : cudaGetErrorString(err), drv, rt);
    return out->failed ? -1 : 0;
}

int cuda_probe_uuid(unsigned char uuid[16])
{
    int dev = 0;
    struct cudaDeviceProp p;
    cudaError_t err = cudaGetDevice(&dev);
    if (err == cudaSuccess)
        err = cudaGetDeviceProperties(&p, dev);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return error_set("CUDA: cannot read the GPU's UUID: %s", cudaGetErrorString(err));
    }
    memcpy(uuid, p.uuid.bytes, 16);
    return 0;
}
