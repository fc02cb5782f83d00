/* gpu_skip.h — what a GPU test does when no GPU is usable: exit 77 (ctest's
 * skip) where there is no GPU (no NVIDIA driver, or no device visible); a
 * failure where the driver is there but fails (e.g. older than the CUDA
 * runtime), and, with CHARNN_REQUIRE_GPU=1 (the device check), in every
 * case; a failure names the CUDA error and the driver and runtime versions
 * (src/cuda_probe.h). */
#ifndef CHARNN_GPU_SKIP_H
#define CHARNN_GPU_SKIP_H

/* Prints why `test` cannot run and returns its exit status: 77 or 1 (above). */
int gpu_unavailable(const char *test);

#endif
