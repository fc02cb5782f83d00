/* device_agree.h — the ranks agree, collectively and before any NCCL call,
 * on the device kind and on how the gradients are summed:
 *  - every rank on a GPU, or every rank on the CPU: mixed ranks (e.g. --device
 *    auto on an allocation where some ranks see no GPU) are one clear error
 *    on every rank, never a hang;
 *  - NCCL when, on every node, the GPU ranks use distinct GPUs, told by the
 *    GPUs' UUIDs gathered over the node-local communicator (so ranks bound to
 *    one GPU each, e.g. Slurm --gpus-per-task=1, which see one device apiece,
 *    do use NCCL); otherwise (ranks sharing a GPU, or a build without NCCL)
 *    the host MPI all-reduce, with a warning.
 * CHARNN_FAKE_GPUS (gpu_fake.h) replaces each rank's view for tests. */
#ifndef CHARNN_DEVICE_AGREE_H
#define CHARNN_DEVICE_AGREE_H

#include "backend.h"
#include "comm.h"

typedef struct {
    int gpu;  /* every rank computes on a GPU (else every rank on the CPU) */
    int nccl; /* gradients over NCCL (GPU ranks, more than one, no GPU shared) */
    int fake; /* CHARNN_FAKE_GPUS was set: the plan is what such GPUs would
                 give (NCCL counted as built); the computation stays on the CPU */
} device_plan;

/* Collective over all ranks, after backend_select: `device` is the --device
 * option, `be` this rank's backend (on a GPU when backend_on_device; the
 * GPU's UUID from its extras). 0 with *out filled, the same on every rank;
 * -1 on every rank with the same error. */
int device_agree(const comm_info *c, const char *device, const backend *be, device_plan *out);

/* "cpu", "gpu, NCCL" or "gpu, host MPI" (for messages). */
const char *device_plan_name(const device_plan *p);

#endif
