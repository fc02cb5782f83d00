/* rnn_persistent.cu — the launch side of the persistent recurrence kernels
 * (rnn_persistent.cuh): the plan from the occupancy query, the cooperative
 * launches (kernels.h). */
#include "common.cuh"
#include "rnn_persistent.cuh"

#include <string.h>

/* ---- the plan: units per block and shared memory, from the occupancy query ---- */

static const void *kernel_of(int backward, int tf32)
{
    if (backward)
        return tf32 ? (const void *)rnn_bwd_persistent<1> : (const void *)rnn_bwd_persistent<0>;
    return tf32 ? (const void *)rnn_fwd_persistent<1> : (const void *)rnn_fwd_persistent<0>;
}

/* the device's multiprocessors, shared memory per block (opt-in) and
 * compute capability; cudaErrorNotSupported without cooperative launch */
static cudaError_t device_limits(int *sms, int *optin, int *major)
{
    int dev, coop = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, dev);
    return err != cudaSuccess ? err : coop ? cudaSuccess : cudaErrorNotSupported;
}

extern "C" cudaError_t k_rnn_plan(int cell, int backward, int tf32, size_t b, size_t h,
                                  k_rnn_plan_t *p)
{
    memset(p, 0, sizeof *p);
    if (b == 0 || h == 0 || h > (1u << 20) || b > (1u << 24))
        return cudaErrorInvalidValue;
    int sms, optin, major;
    cudaError_t err = device_limits(&sms, &optin, &major);
    if (err != cudaSuccess)
        return err;
    tf32 = tf32 && major >= 8; /* tensor-core TF32 from Ampere on */
    int G = gates_of(cell), H = (int)h;
    const void *fn = kernel_of(backward, tf32);
    /* the fewest units per block whose grid can be co-resident (one grid
     * barrier per step wants as many blocks as there are multiprocessors) */
    for (int nu = (H + sms - 1) / sms; nu <= H; nu++) {
        int nc = backward ? nu : G * nu;
        if (nc > P_THREADS)
            break;
        int rp = gemm_rows_per_pass(tf32, nc, (int)b);
        size_t smem = sizeof(float) * gemm_smem_floats(rnn_layout(tf32, backward, cell, nu, H, rp));
        if (smem > (size_t)optin)
            break;
        int blocks = (H + nu - 1) / nu, per_sm = 0;
        err = cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (err == cudaSuccess)
            err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fn, P_THREADS, smem);
        if (err != cudaSuccess)
            return err;
        if ((long)per_sm * sms >= blocks) {
            p->units = nu;
            p->blocks = blocks;
            p->threads = P_THREADS;
            p->rows_per_pass = rp;
            p->smem = smem;
            p->resident = per_sm * sms;
            p->tf32 = tf32;
            return cudaSuccess;
        }
    }
    return cudaErrorCooperativeLaunchTooLarge;
}

static cudaError_t launch(cudaStream_t s, const k_rnn_plan_t *p, int backward, rnn_args a)
{
    a.nu = p->units;
    a.rp = p->rows_per_pass;
    const void *fn = kernel_of(backward, p->tf32);
    cudaError_t err = cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           (int)p->smem);
    if (err != cudaSuccess)
        return err;
    void *args[] = {&a};
    err = cudaLaunchCooperativeKernel(fn, dim3((unsigned)p->blocks), dim3((unsigned)p->threads),
                                      args, p->smem, s);
    return err != cudaSuccess ? err : cudaGetLastError();
}

/* the arguments both directions share */
static rnn_args args_of(int cell, size_t m, size_t b, size_t h, const float *w_hh)
{
    rnn_args a = {};
    a.cell = cell;
    a.m = (int)m;
    a.b = (int)b;
    a.h = (int)h;
    a.w_hh = w_hh;
    return a;
}

extern "C" cudaError_t k_rnn_fwd_persistent(cudaStream_t s, const k_rnn_plan_t *p, int cell,
                                            size_t m, size_t b, size_t h, const float *w_hh,
                                            const float *b_hh, const float *xg, float *hs,
                                            float *cs, float *act)
{
    if (m == 0)
        return cudaSuccess;
    rnn_args a = args_of(cell, m, b, h, w_hh);
    a.b_hh = b_hh;
    a.xg = xg;
    a.hs = hs;
    a.cs = cs;
    a.act = act;
    return launch(s, p, 0, a);
}

extern "C" cudaError_t k_rnn_bwd_persistent(cudaStream_t s, const k_rnn_plan_t *p, int cell,
                                            size_t m, size_t b, size_t h, const float *w_hh,
                                            const float *act, const float *hs, const float *cs,
                                            const float *dy, float *dh_rec, float *dc,
                                            float *dxg, float *dhg)
{
    if (m == 0)
        return cudaSuccess;
    rnn_args a = args_of(cell, m, b, h, w_hh);
    a.act = (float *)act; /* read only in the backward */
    a.hs = (float *)hs;
    a.cs = (float *)cs;
    a.dy = dy;
    a.dh_rec = dh_rec;
    a.dc = cs ? dc : NULL;
    a.dxg = dxg;
    a.dhg = dhg;
    return launch(s, p, 1, a);
}
