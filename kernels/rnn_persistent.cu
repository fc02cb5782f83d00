/* rnn_persistent.cu — the launch side of the persistent recurrence kernels
 * (rnn_persistent.cuh): the plan from the occupancy query, the cooperative
 * launches (kernels.h). */
#include "common.cuh"
#include "rnn_persistent.cuh"

#include <string.h>

/* ---- the plan: units per block and shared memory, from the occupancy query ---- */

static void *kernel_of(int backward)
{
    return backward ? (void *)rnn_bwd_persistent : (void *)rnn_fwd_persistent;
}

extern "C" cudaError_t k_rnn_plan(int cell, int backward, size_t b, size_t h, k_rnn_plan_t *p)
{
    memset(p, 0, sizeof *p);
    if (b == 0 || h == 0 || h > (1u << 20) || b > (1u << 24))
        return cudaErrorInvalidValue;
    int dev, sms, optin;
    cudaError_t err = cudaGetDevice(&dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
    int coop = 0;
    if (err == cudaSuccess)
        err = cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, dev);
    if (err != cudaSuccess)
        return err;
    if (!coop)
        return cudaErrorNotSupported;
    int G = gates_of(cell), H = (int)h, k = backward ? G * H : H;
    const void *fn = kernel_of(backward);
    /* the fewest units per block whose grid can be co-resident (one grid
     * barrier per step wants as many blocks as there are multiprocessors) */
    for (int nu = (H + sms - 1) / sms; nu <= H; nu++) {
        int nc = backward ? nu : G * nu;
        if (nc > P_THREADS)
            break;
        int lanes = P_THREADS / nc;
        int rp = (int)b < lanes * P_RPT ? (int)b : lanes * P_RPT;
        size_t smem = smem_bytes(nc, k, rp);
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
            return cudaSuccess;
        }
    }
    return cudaErrorCooperativeLaunchTooLarge;
}

static cudaError_t launch(cudaStream_t s, const k_rnn_plan_t *p, int backward, rnn_args a)
{
    a.nu = p->units;
    a.rp = p->rows_per_pass;
    const void *fn = kernel_of(backward);
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
