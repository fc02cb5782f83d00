/* device_agree.c — the collective agreement on device kind and NCCL (see device_agree.h). */
#include "device_agree.h"

#include "comm_grads.h"
#include "error.h"
#include "gpu_fake.h"

#include <stdlib.h>
#include <string.h>

enum { UUID_BYTES = 16 };

/* This rank's view: whether it computes on a GPU, and that GPU's UUID
 * (the backend's, through its extras). */
static int my_view(const comm_info *c, const char *device, const backend *be, int *on_gpu,
                   unsigned char uuid[UUID_BYTES], int *fake)
{
    gpu_fake_view v;
    int f = gpu_fake_get(c->rank, c->size, c->local_rank, &v);
    memset(uuid, 0, UUID_BYTES);
    if (f < 0)
        return -1;
    *fake = f;
    if (f) {
        if (strcmp(device, "cuda") == 0 && v.count == 0)
            return error_set("--device cuda: no CUDA device is visible to rank %d "
                             "(CHARNN_FAKE_GPUS)",
                             c->rank);
        *on_gpu = v.count > 0 && strcmp(device, "cpu") != 0;
        memcpy(uuid, v.uuid, UUID_BYTES);
        return 0;
    }
    if (*on_gpu)
        return be->extras->device_uuid(be, uuid);
    return 0;
}

/* Collective over the node: whether two of its ranks use the same GPU; the
 * node's local rank 0 warns when they do. */
static int node_shares_gpu(const comm_info *c, const unsigned char uuid[UUID_BYTES])
{
    size_t n = (size_t)c->local_size;
    unsigned char *all = xmalloc(n * UUID_BYTES, "GPU UUIDs");
    comm_local_allgather(uuid, all, UUID_BYTES);
    int shared = 0;
    for (size_t i = 0; i < n && !shared; i++)
        for (size_t j = i + 1; j < n && !shared; j++)
            if (memcmp(all + i * UUID_BYTES, all + j * UUID_BYTES, UUID_BYTES) == 0) {
                shared = 1;
                if (c->local_rank == 0)
                    warn_print("local ranks %zu and %zu of rank %d's node use the same GPU: "
                               "gradients are summed through host memory over MPI (slower "
                               "than NCCL)",
                               i, j, c->rank);
            }
    free(all);
    return shared;
}

int device_agree(const comm_info *c, const char *device, const backend *be, device_plan *out)
{
    unsigned char uuid[UUID_BYTES];
    int gpu = backend_on_device(be), fake = 0;
    memset(out, 0, sizeof *out);
    if (comm_agree_error(my_view(c, device, be, &gpu, uuid, &fake) != 0) != 0)
        return -1;
    out->fake = comm_or(fake) != 0;
    int kinds = comm_or(gpu ? 2 : 1);
    if (kinds == 3) {
        int cpu_rank = comm_first_failure(!gpu);
        return error_set("ranks disagree on the device: rank %d has no usable GPU while other "
                         "ranks train on GPUs (--device %s); give every rank a GPU, or pass "
                         "--device cpu",
                         cpu_rank, device);
    }
    out->gpu = kinds == 2;
    if (!out->gpu || c->size == 1)
        return 0;
    int shared = comm_or(node_shares_gpu(c, uuid));
    int have_nccl = comm_grads_have_nccl() || out->fake;
    if (!comm_grads_have_nccl() && !shared && c->rank == 0)
        warn_print("built without NCCL: GPU gradients are summed through host memory over MPI");
    out->nccl = !shared && have_nccl;
    return 0;
}

const char *device_plan_name(const device_plan *p)
{
    return !p->gpu ? "cpu" : p->nccl ? "gpu, NCCL" : "gpu, host MPI";
}
