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
#include "rel_norm.h"
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
    double e = rel_norm(got, want, n);
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

/* one layer's window on the host: inputs, and the CPU backend's forward
 * and backward from them (the reference) */
typedef struct {
    cell_kind cell;
    const shape *s;
    size_t gh, bh, nw, nx, nhs, na;
    real *w, *bias, *xg, *hs, *cs, *act, *dy, *dxg, *dhg, *dw, *db, *dbi, *work;
} window;

static void window_init(window *x, cell_kind cell, const shape *s)
{
    size_t A = cell_act_width(cell);
    x->cell = cell;
    x->s = s;
    x->gh = cell_gates(cell) * s->h;
    x->bh = s->b * s->h;
    x->nw = x->gh * s->h;
    x->nx = s->m * s->b * x->gh;
    x->nhs = (s->m + 1) * x->bh;
    x->na = s->m * s->b * A * s->h;
    double wb = 1.0 / sqrt((double)s->h);
    x->w = random_host(x->nw, -wb, wb);
    x->bias = random_host(x->gh, -wb, wb);
    x->xg = random_host(x->nx, -1.5, 1.5);
    x->hs = random_host(x->nhs, -1, 1);
    x->cs = random_host(x->nhs, -2, 2);
    x->act = host(x->na);
    x->dy = random_host(s->m * x->bh, -1, 1);
    x->dxg = host(x->nx);
    x->dhg = host(x->nx);
    x->dw = random_host(x->nw, -1, 1); /* the gradients are added to these */
    x->db = random_host(x->gh, -1, 1);
    x->dbi = random_host(x->gh, -1, 1);
    x->work = host(cpu->rnn_work(cpu, cell, s->b, s->h));
}

static rnn_seq window_seq(const window *x, real *w, real *bias, real *xg, real *hs, real *cs,
                          real *act, real *work)
{
    rnn_seq q = {x->cell, x->s->m, x->s->b, x->s->h, w,    bias,
                 xg,      hs,      x->cell == CELL_LSTM ? cs : NULL,  act,  work};
    return q;
}

/* the reference: grads of the CPU's forward (the GPU's backward starts from
 * that same state); the initial dw, db, dbi are kept for the GPU's runs */
static void window_reference(window *x, real **dw0, real **db0, real **dbi0)
{
    *dw0 = host(x->nw);
    *db0 = host(x->gh);
    *dbi0 = host(x->gh);
    memcpy(*dw0, x->dw, x->nw * sizeof(real));
    memcpy(*db0, x->db, x->gh * sizeof(real));
    memcpy(*dbi0, x->dbi, x->gh * sizeof(real));
    rnn_seq c = window_seq(x, x->w, x->bias, x->xg, x->hs, x->cs, x->act, x->work);
    cpu->rnn_fwd(cpu, &c);
    rnn_seq_grad g = {x->dy, x->dxg, x->cell == CELL_GRU ? x->dhg : x->dxg, x->dw, x->db, x->dbi};
    cpu->rnn_bwd(cpu, &c, &g);
}

static void window_free(window *x)
{
    real *f[] = {x->w, x->bias, x->xg, x->hs, x->cs, x->act, x->dy, x->dxg, x->dhg, x->dw, x->db,
                 x->dbi, x->work};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        free(f[i]);
}

/* a host copy of hs or cs with slots 1..M NaN: what the forward must write */
static real *poisoned_state(const window *x, const real *state)
{
    real *p = host(x->nhs);
    memcpy(p, state, x->bh * sizeof(real));
    for (size_t i = x->bh; i < x->nhs; i++)
        p[i] = NAN;
    return p;
}

#define WHAT(part)                                                                              \
    (snprintf(what, sizeof what, "%s %s %s m=%zu b=%zu h=%zu: %s", tf32 ? "TF32" : "FP32",        \
              cell_name(x->cell), x->s->name, x->s->m, x->s->b, x->s->h, part),                  \
     what)

/* the GPU's forward, twice from poisoned outputs: against the CPU's, and
 * bitwise the same */
static void gpu_forward(const window *x, int tf32, real *d_w, real *d_b, real *d_xg, real *d_work)
{
    real *hp = poisoned_state(x, x->hs), *cp = poisoned_state(x, x->cs), *ap = host(x->na);
    for (size_t i = 0; i < x->na; i++)
        ap[i] = NAN;
    real *hs[2], *cs[2], *act[2];
    for (int k = 0; k < 2; k++) {
        hs[k] = to_gpu(hp, x->nhs);
        cs[k] = to_gpu(cp, x->nhs);
        act[k] = to_gpu(ap, x->na);
        rnn_seq g = window_seq(x, d_w, d_b, d_xg, hs[k], cs[k], act[k], d_work);
        gpu->rnn_fwd(gpu, &g);
    }
    double tol = tf32 ? (x->s->m > 20 ? 1e-2 : 2e-3) : (x->s->m > 20 ? 1e-4 : 1e-5);
    char what[128];
    expect(WHAT("forward hs"), hs[0], x->hs, x->nhs, tol);
    expect(WHAT("forward act"), act[0], x->act, x->na, tol);
    if (x->cell == CELL_LSTM)
        expect(WHAT("forward cs"), cs[0], x->cs, x->nhs, tol);
    expect_same(WHAT("forward hs, a second run"), hs[0], hs[1], x->nhs);
    expect_same(WHAT("forward act, a second run"), act[0], act[1], x->na);
    for (int k = 0; k < 2; k++) {
        gpu->free(gpu, hs[k]);
        gpu->free(gpu, cs[k]);
        gpu->free(gpu, act[k]);
    }
    free(hp);
    free(cp);
    free(ap);
}

/* the GPU's backward, twice, from the CPU's forward state: every gradient
 * against the CPU's, and bitwise the same */
static void gpu_backward(const window *x, int tf32, real *d_w, real *d_b, real *d_xg,
                         real *d_work, const real *dw0, const real *db0, const real *dbi0)
{
    int gru = x->cell == CELL_GRU;
    real *hs = to_gpu(x->hs, x->nhs), *cs = to_gpu(x->cs, x->nhs), *act = to_gpu(x->act, x->na);
    real *dy = to_gpu(x->dy, x->s->m * x->bh), *dxg[2], *dhg[2], *dw[2], *db[2], *dbi[2];
    real *nan_x = host(x->nx);
    for (size_t i = 0; i < x->nx; i++)
        nan_x[i] = NAN;
    for (int k = 0; k < 2; k++) {
        dxg[k] = to_gpu(nan_x, x->nx);
        dhg[k] = gru ? to_gpu(nan_x, x->nx) : dxg[k];
        dw[k] = to_gpu(dw0, x->nw);
        db[k] = to_gpu(db0, x->gh);
        dbi[k] = to_gpu(dbi0, x->gh);
        rnn_seq g = window_seq(x, d_w, d_b, d_xg, hs, cs, act, d_work);
        rnn_seq_grad gg = {dy, dxg[k], dhg[k], dw[k], db[k], dbi[k]};
        gpu->rnn_bwd(gpu, &g, &gg);
    }
    double tol = tf32 ? (x->s->m > 20 ? 1e-2 : 2e-3) : (x->s->m > 20 ? 1e-4 : 1e-5);
    const char *names[] = {"dxg", "dhg", "dw_hh", "db_hh", "db_ih"};
    const real *want[] = {x->dxg, gru ? x->dhg : x->dxg, x->dw, x->db, x->dbi};
    real **got[] = {dxg, dhg, dw, db, dbi};
    size_t len[] = {x->nx, x->nx, x->nw, x->gh, x->gh};
    char what[128];
    for (int i = 0; i < 5; i++) {
        expect(WHAT(names[i]), got[i][0], want[i], len[i], tol);
        expect_same(WHAT(names[i]), got[i][0], got[i][1], len[i]);
    }
    for (int k = 0; k < 2; k++) {
        real *f[] = {dxg[k], gru ? dhg[k] : NULL, dw[k], db[k], dbi[k]};
        for (size_t i = 0; i < sizeof f / sizeof *f; i++)
            gpu->free(gpu, f[i]);
    }
    real *f[] = {hs, cs, act, dy};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        gpu->free(gpu, f[i]);
    free(nan_x);
}

/* the 4 windows of gpu_forward and gpu_backward ran the persistent kernel */
static void expect_runs(const window *x, int tf32, size_t runs)
{
    char what[128];
    check(runs == 4, WHAT("persistent windows (of 4)"), (double)runs);
}

/* one shape and cell: the CPU's reference once, then the GPU in FP32 and
 * TF32; the persistent kernel must have run every window (no fallback) */
static void window_case(cell_kind cell, const shape *s)
{
    window x;
    real *dw0, *db0, *dbi0;
    window_init(&x, cell, s);
    window_reference(&x, &dw0, &db0, &dbi0);
    real *d_w = to_gpu(x.w, x.nw), *d_b = to_gpu(x.bias, x.gh), *d_xg = to_gpu(x.xg, x.nx);
    real *d_work = gpu->alloc(gpu, gpu->rnn_work(gpu, cell, s->b, s->h) * sizeof(real), "work");
    for (int tf32 = 0; tf32 < 2; tf32++) {
        backend_cuda_tf32(gpu, tf32); /* the persistent GEMMs follow it (and cuBLAS's dw_hh) */
        size_t runs = backend_cuda_persistent_runs(gpu);
        gpu_forward(&x, tf32, d_w, d_b, d_xg, d_work);
        gpu_backward(&x, tf32, d_w, d_b, d_xg, d_work, dw0, db0, dbi0);
        expect_runs(&x, tf32, backend_cuda_persistent_runs(gpu) - runs);
    }
    backend_cuda_tf32(gpu, 0);
    real *f[] = {d_w, d_b, d_xg, d_work};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        gpu->free(gpu, f[i]);
    free(dw0);
    free(db0);
    free(dbi0);
    window_free(&x);
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
        for (size_t i = 0; i < n_shapes; i++)
            window_case((cell_kind)cell, &shapes[i]);
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
