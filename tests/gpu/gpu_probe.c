/* gpu_probe.c — for the GPU shell tests: exits 0 and names the GPUs when one
 * is usable, else as gpu_skip.h says (77, or 1 under CHARNN_REQUIRE_GPU=1). */
#include "cuda_probe.h"
#include "gpu_skip.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    cuda_probe_info p;
    if (cuda_probe(&p) <= 0)
        return gpu_unavailable(argc > 1 ? argv[1] : "gpu test");
    printf("gpu: %d device(s), driver %d, runtime %d\n", p.count, p.driver_version,
           p.runtime_version);
    return 0;
}
