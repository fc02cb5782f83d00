/* cuda_probe.h — what the CUDA runtime can see, told apart from why it
 * cannot: "no GPU here" (no driver installed, or no device visible) is an
 * answer, while a driver that fails (e.g. older than the runtime,
 * cudaErrorInsufficientDriver) is an error naming the CUDA error and the
 * driver and runtime versions. Defined only in builds with CHARNN_WITH_CUDA. */
#ifndef CHARNN_CUDA_PROBE_H
#define CHARNN_CUDA_PROBE_H

#include <stddef.h>

typedef struct {
    int count;           /* visible devices (0 when none or on error) */
    int failed;          /* 1: the runtime failed; `why` says how */
    int driver_version;  /* cudaDriverGetVersion (0: no driver installed) */
    int runtime_version; /* cudaRuntimeGetVersion */
    char why[256];       /* "CUDA <error> (driver X.Y, runtime A.B)"; also set
                            when count is 0 without failure ("no device ...") */
} cuda_probe_info;

/* Asks the runtime (cudaGetDeviceCount) and fills *out; clears the runtime's
 * sticky last error. Returns out->count, or -1 when out->failed. */
int cuda_probe(cuda_probe_info *out);

/* The 16-byte UUID of the current device (cudaGetDevice); -1 with an error. */
int cuda_probe_uuid(unsigned char uuid[16]);

#endif
