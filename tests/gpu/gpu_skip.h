/* gpu_skip.h — what a GPU test does when no GPU is usable: exit 77 (ctest's
 * skip), or, with CHARNN_REQUIRE_GPU=1 (the device check), fail with the
 * CUDA error and the driver and runtime versions (src/cuda_probe.h). */
#ifndef CHARNN_GPU_SKIP_H
#define CHARNN_GPU_SKIP_H

/* Prints why `test` cannot run and returns its exit status: 77, or 1 under
 * CHARNN_REQUIRE_GPU=1. */
int gpu_unavailable(const char *test);

#endif
