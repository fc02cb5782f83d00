/* fake_old_driver.c — test-only LD_PRELOAD shim: a CUDA driver that is
 * installed (version 12.4) but older than the runtime, as the CUDA runtime
 * reports one (cudaErrorInsufficientDriver). old_driver.sh runs the real
 * binaries under it. */
#include <cuda_runtime_api.h>

cudaError_t cudaDriverGetVersion(int *version)
{
    *version = 12040;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceCount(int *count)
{
    *count = 0;
    return cudaErrorInsufficientDriver;
}
