/* gpu_skip.c — skip or fail when no GPU is usable (see gpu_skip.h). */
#include "gpu_skip.h"

#include "cuda_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gpu_unavailable(const char *test)
{
    cuda_probe_info p;
    cuda_probe(&p);
    const char *req = getenv("CHARNN_REQUIRE_GPU");
    if (p.failed) { /* a driver that fails (e.g. older than the runtime) is no "no GPU" */
        printf("FAIL %s: the CUDA driver fails: %s\n", test, p.why);
        return 1;
    }
    if (req && strcmp(req, "1") == 0) {
        printf("FAIL %s: CHARNN_REQUIRE_GPU=1 but no usable GPU: %s\n", test, p.why);
        return 1;
    }
    printf("skipped %s: no usable GPU: %s\n", test, p.why);
    return 77;
}
