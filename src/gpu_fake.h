/* gpu_fake.h — test-only: CHARNN_FAKE_GPUS fakes the GPUs each rank sees,
 * so that the ranks' agreement on the device kind and on NCCL
 * (device_agree.h) can be tested on a machine without a GPU, as
 * CHARNN_FAULT_INJECT does for faults. The computation itself stays on the
 * CPU backend; only the agreement's inputs are faked.
 *
 * Format: one entry per rank, in world-rank order, separated by '/'; an
 * entry lists the UUIDs (any names, 1 to 16 characters) of the GPUs that
 * rank sees, separated by ',', or is '-' for none. A rank uses its
 * (local_rank mod count)-th GPU, as the CUDA backend does. Examples, three
 * ranks on one node: "a,b,c/a,b,c/a,b,c" (three GPUs, one each),
 * "a/b/c" (each rank bound to its own GPU: Slurm --gpus-per-task=1),
 * "a/a/a" (all on one GPU), "a,b/a,b/-" (rank 2 has none). */
#ifndef CHARNN_GPU_FAKE_H
#define CHARNN_GPU_FAKE_H

typedef struct {
    int count;              /* GPUs this rank sees */
    unsigned char uuid[16]; /* the one it uses (zeros when count is 0) */
} gpu_fake_view;

/* 0 when CHARNN_FAKE_GPUS is unset or empty; 1 with *out filled for this
 * rank; -1 with an error when it is malformed or has fewer entries than
 * `size` ranks. */
int gpu_fake_get(int rank, int size, int local_rank, gpu_fake_view *out);

#endif
