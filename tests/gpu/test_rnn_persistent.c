/* test_rnn_persistent.c — the persistent recurrence kernels
 * (backend_cuda_rnn_kernel, kernels/rnn_persistent.cu) against the CPU
 * backend: for LSTM, GRU and RNN at the small, an awkward (hidden 37, 3
 * rows), the notebook (100 x 512, 100 steps) and the Chinese (128 x 512)
 * shapes, in FP32 (relative norm 1e-5, 1e-4 over 100 steps) and TF32
 * (2e-3, 1e-2), the forward's hs / cs / act and every gradient of the
 * backward (dxg, dhg, dw_hh, db_hh, db_ih) from the same state; each GPU window run
 * twice, bitwise the same; the persistent kernel must have run (no silent
 * fallback); then 5 Adam steps of a whole model with it: every loss finite,
 * the parameters moved, and within 1e-3 of the CPU's. --sanitize: the small
 * and awkward shapes only (tests/gpu/check's compute-sanitizer runs).
 * Exits 77 without a GPU, 1 when the driver fails or under
 * CHARNN_REQUIRE_GPU=1 (gpu_skip.h). */
#include "backend.h"
#include "backend_cuda.h"
#include "error.h"
#include "gpu_skip.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const backend *cpu, *gpu;
static int failures, checks;
static uint32_t draws;

static void check(int ok, const char *what, double x)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL persistent %s: %.3g\n", what, x);
    }
}

static real *host(size_t n) { return xcalloc(n ? n : 1, sizeof(real), "test buffer"); }

static real *random_host(size_t n, double lo, double hi)
{
    real *x = host(n);
    uint32_t d = draws++;
    for (size_t i = 0; i < n; i++)
        x[i] = (real)(lo + (hi - lo) * rng_uniform(31, 5, d, 0, (uint32_t)i));
    return x;
}

static real *to_gpu(const real *h, size_t n)
{
    real *d = gpu->alloc(gpu, n * sizeof *d, "test buffer");
    gpu->upload(gpu, d, h, n * sizeof *d);
    return d;
}

static real *from_gpu(const real *d, size_t n)
{
    real *h = host(n);
    gpu->download(gpu, h, d, n * sizeof *h);
    return h;
}

/* ||gpu buffer - host buffer|| / ||host buffer|| <= tol */
static void expect(const char *what, const real *dev, const real *want, size_t n, double tol)
{
    real *got = from_gpu(dev, n);
    double d2 = 0, w2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        d2 += d * d;
        w2 += (double)want[i] * want[i];
    }
    double e = w2 > 0 ? sqrt(d2 / w2) : sqrt(d2);
    check(e <= tol, what, isnan(e) ? INFINITY : e);
    free(got);
}

/* the device buffer equals a second run's, bit for bit */
static void expect_same(const char *what, const real *a, const real *b, size_t n)
{
    real *x = from_gpu(a, n), *y = from_gpu(b, n);
    check(memcmp(x, y, n * sizeof *x) == 0, what, 1);
    free(x);
    free(y);
}

typedef struct {
    size_t m, b, h;
    const char *name;
} shape;

/* one layer's window: forward then backward on both backends, from the same
 * state (the GPU's backward starts from the CPU's forward) */
static void window_case(cell_kind cell, const shape *s, int tf32)
{
    size_t G = cell_gates(cell), A = cell_act_width(cell), gh = G * s->h, bh = s->b * s->h;
    size_t nw = gh * s->h, nx = s->m * s->b * gh, nhs = (s->m + 1) * bh, na = s->m * s->b * A * s->h;
    int lstm = cell == CELL_LSTM, gru = cell == CELL_GRU;
    double wb = 1.0 / sqrt((double)s->h), tol = s->m > 20 ? 1e-4 : 1e-5;
    if (tf32) /* 10-bit mantissas into the GEMMs (the emulator saw ~4e-5 on short windows) */
        tol = s->m > 20 ? 1e-2 : 2e-3;
    real *w = random_host(nw, -wb, wb), *bias = random_host(gh, -wb, wb);
    real *xg = random_host(nx, -1.5, 1.5), *hs = random_host(nhs, -1, 1);
    real *cs = random_host(nhs, -2, 2), *act = host(na), *dy = random_host(s->m * bh, -1, 1);
    real *dxg = host(nx), *dhg = host(nx), *dw = random_host(nw, -1, 1);
    real *db = random_host(gh, -1, 1), *dbi = random_host(gh, -1, 1);
    real *work_c = host(cpu->rnn_work(cpu, cell, s->b, s->h));
    real *d_w = to_gpu(w, nw), *d_b = to_gpu(bias, gh), *d_xg = to_gpu(xg, nx);
    real *d_hs[2] = {to_gpu(hs, nhs), to_gpu(hs, nhs)}, *d_cs[2] = {to_gpu(cs, nhs), to_gpu(cs, nhs)};
    real *d_act[2] = {to_gpu(act, na), to_gpu(act, na)};
    real *d_work = gpu->alloc(gpu, gpu->rnn_work(gpu, cell, s->b, s->h) * sizeof(real), "work");
    rnn_seq c = {cell, s->m, s->b, s->h, w, bias, xg, hs, lstm ? cs : NULL, act, work_c};
    size_t runs = backend_cuda_persistent_runs(gpu);
    for (int k = 0; k < 2; k++) {
        rnn_seq g = {cell,     s->m,  s->b, s->h, d_w, d_b, d_xg, d_hs[k], lstm ? d_cs[k] : NULL,
                     d_act[k], d_work};
        gpu->rnn_fwd(gpu, &g);
    }
    cpu->rnn_fwd(cpu, &c);
    char what[128];
#define WHAT(part) (snprintf(what, sizeof what, "%s %s %s m=%zu b=%zu h=%zu: %s", \
                             tf32 ? "TF32" : "FP32", cell_name(cell), s->name, s->m, s->b, s->h, \
                             part), what)
    expect(WHAT("forward hs"), d_hs[0], hs, nhs, tol);
    expect(WHAT("forward act"), d_act[0], act, na, tol);
    if (lstm)
        expect(WHAT("forward cs"), d_cs[0], cs, nhs, tol);
    expect_same(WHAT("forward hs, a second run"), d_hs[0], d_hs[1], nhs);
    expect_same(WHAT("forward act, a second run"), d_act[0], d_act[1], na);
    /* the backward from the CPU's forward state */
    gpu->upload(gpu, d_hs[0], hs, nhs * sizeof *hs);
    gpu->upload(gpu, d_cs[0], cs, nhs * sizeof *cs);
    gpu->upload(gpu, d_act[0], act, na * sizeof *act);
    real *d_dy = to_gpu(dy, s->m * bh), *d_dxg[2], *d_dhg[2], *d_dw[2], *d_db[2], *d_dbi[2];
    for (int k = 0; k < 2; k++) {
        d_dxg[k] = to_gpu(dxg, nx);
        d_dhg[k] = gru ? to_gpu(dhg, nx) : d_dxg[k];
        d_dw[k] = to_gpu(dw, nw);
        d_db[k] = to_gpu(db, gh);
        d_dbi[k] = to_gpu(dbi, gh);
        rnn_seq g = {cell,     s->m,  s->b, s->h, d_w, d_b, d_xg, d_hs[0], lstm ? d_cs[0] : NULL,
                     d_act[0], d_work};
        rnn_seq_grad gg = {d_dy, d_dxg[k], d_dhg[k], d_dw[k], d_db[k], d_dbi[k]};
        gpu->rnn_bwd(gpu, &g, &gg);
    }
    rnn_seq_grad gc = {dy, dxg, gru ? dhg : dxg, dw, db, dbi};
    cpu->rnn_bwd(cpu, &c, &gc);
    check(backend_cuda_persistent_runs(gpu) == runs + 4, WHAT("persistent windows run (of 4)"),
          (double)(backend_cuda_persistent_runs(gpu) - runs));
    const char *names[] = {"dxg", "dhg", "dw_hh", "db_hh", "db_ih"};
    real *want[] = {dxg, gru ? dhg : dxg, dw, db, dbi};
    real **got[] = {d_dxg, d_dhg, d_dw, d_db, d_dbi};
    size_t len[] = {nx, nx, nw, gh, gh};
    for (int i = 0; i < 5; i++) {
        expect(WHAT(names[i]), got[i][0], want[i], len[i], tol);
        expect_same(WHAT(names[i]), got[i][0], got[i][1], len[i]);
    }
    for (int k = 0; k < 2; k++) {
        real *f[] = {d_hs[k], d_cs[k], d_act[k], d_dxg[k], gru ? d_dhg[k] : NULL, d_dw[k],
                     d_db[k], d_dbi[k]};
        for (size_t i = 0; i < sizeof f / sizeof *f; i++)
            gpu->free(gpu, f[i]);
    }
    real *f[] = {d_w, d_b, d_xg, d_dy, d_work};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        gpu->free(gpu, f[i]);
    real *hf[] = {w, bias, xg, hs, cs, act, dy, dxg, dhg, dw, db, dbi, work_c};
    for (size_t i = 0; i < sizeof hf / sizeof *hf; i++)
        free(hf[i]);
}

/* 5 Adam steps of a whole model on `be`: its final parameters; each
 * step's loss finite */
static real *train(const backend *be, cell_kind cell, real **init)
{
    const size_t V = 65, H = 96, L = 2, B = 16, M = 40, n = B * M;
    model m;
    model_work w;
    optim o;
    model_init(&m, be, cell, V, H, L);
    model_init_params(&m, 3);
    model_work_init(&w, &m, B, M, 1);
    optim_init(&o, be, m.layout.n_params, 3e-3, 5.0);
    size_t np = m.layout.n_params;
    if (init) {
        *init = host(np);
        be->download(be, *init, m.params, np * sizeof **init);
    }
    int32_t *x = xcalloc(n, sizeof *x, "ids"), *y = xcalloc(n, sizeof *y, "ids");
    for (uint32_t k = 0; k < 5; k++) {
        for (size_t i = 0; i < n; i++) {
            x[i] = (int32_t)(rng_bits(9, 1, k, 0, (uint32_t)i) % V);
            y[i] = (int32_t)(rng_bits(9, 2, k, 0, (uint32_t)i) % V);
        }
        model_pass pass = {.dropout = 0.1, .seed = 4, .step = k, .grad_scale = 1.0 / n};
        pass.loss_out = optim_loss_slot(&o);
        double loss;
        model_run(&m, &w, M, x, y, &pass);
        optim_queue(&o, m.params, m.grads);
        optim_finish(&o, &loss);
        check(isfinite(loss) && loss > 0, "model training: a step's loss", loss);
    }
    real *p = host(np);
    be->download(be, p, m.params, np * sizeof *p);
    free(x);
    free(y);
    optim_free(&o);
    model_work_free(&w, &m);
    model_free(&m);
    return p;
}

static void model_case(cell_kind cell)
{
    model probe;
    model_init(&probe, cpu, cell, 65, 96, 2);
    size_t np = probe.layout.n_params;
    model_free(&probe);
    size_t runs = backend_cuda_persistent_runs(gpu);
    real *init = NULL, *g = train(gpu, cell, &init), *c = train(cpu, cell, NULL);
    char what[80];
    snprintf(what, sizeof what, "%s model: persistent windows run", cell_name(cell));
    check(backend_cuda_persistent_runs(gpu) > runs, what, 0);
    size_t moved = 0;
    double d2 = 0, w2 = 0;
    for (size_t i = 0; i < np; i++) {
        moved += g[i] != init[i];
        d2 += ((double)g[i] - c[i]) * ((double)g[i] - c[i]);
        w2 += (double)c[i] * c[i];
    }
    snprintf(what, sizeof what, "%s model: fraction of the parameters moved", cell_name(cell));
    check(moved >= np / 2, what, (double)moved / np);
    snprintf(what, sizeof what, "%s model: 5 steps vs the CPU, relative norm", cell_name(cell));
    check(sqrt(d2 / w2) <= 1e-3, what, sqrt(d2 / w2));
    free(init);
    free(g);
    free(c);
}

int main(int argc, char **argv)
{
    int sanitize = argc > 1 && strcmp(argv[1], "--sanitize") == 0;
    cpu = backend_cpu();
    gpu = backend_cuda_open(0);
    if (!gpu)
        return gpu_unavailable("gpu.rnn_persistent");
    backend_cuda_rnn_kernel(gpu, 1);
    const shape shapes[] = {{9, 5, 48, "small"},
                            {7, 3, 37, "awkward"},
                            {100, 100, 512, "notebook"},
                            {100, 128, 512, "chinese"}};
    size_t n_shapes = sanitize ? 2 : sizeof shapes / sizeof *shapes;
    for (int cell = 0; cell < 3; cell++) {
        for (int tf32 = 0; tf32 < 2; tf32++) {
            backend_cuda_tf32(gpu, tf32); /* the persistent GEMMs follow it (and cuBLAS's dw_hh) */
            for (size_t i = 0; i < n_shapes; i++)
                window_case((cell_kind)cell, &shapes[i], tf32);
        }
        backend_cuda_tf32(gpu, 0);
        if (!sanitize)
            model_case((cell_kind)cell);
        printf("persistent %-4s %s (%d checks so far, %d failed)\n", cell_name((cell_kind)cell),
               failures ? "FAILED" : "ok", checks, failures);
        fflush(stdout);
    }
    printf("%d of %d checks failed\n", failures, checks);
    backend_release(gpu);
    return failures ? 1 : 0;
}
