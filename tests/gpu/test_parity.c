/* test_parity.c — the CUDA backend against the CPU backend: every primitive on awkward sizes (the
 * recurrence over whole windows), then whole model passes and 20 Adam steps (test_parity_model.c);
 * exits 77 when there is no GPU, 1 when the driver fails or under CHARNN_REQUIRE_GPU=1
 * (gpu_skip.h). The helpers: parity_util.h. */
#include "backend.h"
#include "backend_cuda.h"
#include "gpu_skip.h"
#include "model.h"
#include "optim.h"
#include "parity_util.h"
#include "rel_norm.h"
#include "rng.h"
#include "sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t ROWS[] = {1, 3, 100};
static const size_t HIDDEN[] = {1, 37, 512};
static const size_t VOCAB[] = {83, 4447};

/* ---- memory ---- */

static void test_memory(void)
{
    size_t n = 1001;
    pair p = pair_rand(n, -1, 1);
    gpu->copy(gpu, p.g + 10, p.g, 500 * sizeof(float)); /* overlapping: memmove */
    memmove(p.c + 10, p.c, 500 * sizeof(float));
    gpu->copy(gpu, p.g, p.g + 600, 300 * sizeof(float));
    memmove(p.c, p.c + 600, 300 * sizeof(float));
    gpu->zero(gpu, p.g + 900, 50 * sizeof(float));
    memset(p.c + 900, 0, 50 * sizeof(float));
    pair_same("copy/zero", p);
    pair_free(p);
    float *d = gpu->alloc(gpu, 4096, "zeroed"), *z = fetch(d, 1024), zeros[1024] = {0};
    expect_same("alloc zeroed", z, zeros, 1024);
    gpu->free(gpu, d);
    free(z);
}

/* ---- GEMM ---- */

static void gemm_case(int ta, int tb, size_t m, size_t n, size_t k, float beta, size_t pad)
{
    size_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    size_t ra = ta ? k : m, rb = tb ? n : k;
    pair a = pair_rand(ra * lda, -1, 1), b = pair_rand(rb * ldb, -1, 1);
    pair c = pair_rand(m * ldc, -1, 1);
    cpu->gemm(cpu, ta, tb, m, n, k, 0.75f, a.c, lda, b.c, ldb, beta, c.c, ldc);
    gpu->gemm(gpu, ta, tb, m, n, k, 0.75f, a.g, lda, b.g, ldb, beta, c.g, ldc);
    char what[96];
    snprintf(what, sizeof what, "gemm ta=%d tb=%d m=%zu n=%zu k=%zu beta=%g pad=%zu", ta, tb, m,
             n, k, beta, pad);
    pair_rel(what, c, 1e-5);
    pair_free(a);
    pair_free(b);
    pair_free(c);
}

static void test_gemm(void)
{
    const size_t sizes[][3] = {{1, 1, 1},      {3, 83, 37},    {100, 37, 512},
                               {37, 4447, 100}, {100, 512, 4447}, {300, 2048, 512}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t s = 0; s < COUNT(sizes); s++) {
                gemm_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 0, 0);
                gemm_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 1, 3);
            }
}

/* TF32 on: within TF32's bound of the FP32 product (10-bit mantissa inputs:
 * ~3e-4 relative), and off again restores FP32 (1e-5). Whether cuBLAS ran a
 * tensor-core kernel for this product is its own choice: the error says
 * which (printed, not asserted); the bound holds either way. */
static void test_tf32(void)
{
    size_t m = 64, n = 96, k = 512;
    pair a = pair_rand(m * k, -1, 1), b = pair_rand(k * n, -1, 1), c = pair_from(NULL, m * n);
    cpu->gemm(cpu, 0, 0, m, n, k, 1, a.c, k, b.c, n, 0, c.c, n);
    backend_cuda_tf32(gpu, 1);
    gpu->gemm(gpu, 0, 0, m, n, k, 1, a.g, k, b.g, n, 0, c.g, n);
    pair_rel("gemm with TF32", c, 5e-3);
    float *h = fetch(c.g, c.n);
    double e = rel_norm(h, c.c, c.n);
    printf("note: gemm %zux%zux%zu with TF32 allowed: relative error %.3g (%s)\n", m, n, k, e,
           e > 3e-5 ? "TF32 tensor cores" : "an FP32 kernel: cuBLAS's choice");
    free(h);
    backend_cuda_tf32(gpu, 0);
    gpu->gemm(gpu, 0, 0, m, n, k, 1, a.g, k, b.g, n, 0, c.g, n);
    pair_rel("gemm back to FP32", c, 1e-5);
    pair_free(a);
    pair_free(b);
    pair_free(c);
}

/* ---- rows ---- */

static void test_rows(void)
{
    const size_t rows[] = {1, 3, 100, 5000}, cols[] = {1, 37, 83, 2048, 4447};
    for (size_t r = 0; r < COUNT(rows); r++)
        for (size_t c = 0; c < COUNT(cols); c++) {
            size_t nr = rows[r], nc = cols[c];
            char what[64];
            pair bias = pair_rand(nc, -1, 1), out = pair_rand(nr * nc, -1, 1);
            cpu->fill_rows(cpu, out.c, bias.c, nr, nc);
            gpu->fill_rows(gpu, out.g, bias.g, nr, nc);
            snprintf(what, sizeof what, "fill_rows %zux%zu", nr, nc);
            pair_same(what, out);
            pair in = pair_rand(nr * nc, -1, 1);
            cpu->sum_rows(cpu, bias.c, in.c, nr, nc);
            gpu->sum_rows(gpu, bias.g, in.g, nr, nc);
            snprintf(what, sizeof what, "sum_rows %zux%zu", nr, nc);
            pair_close(what, bias, 1e-7 + 2e-7 * (double)nr, 1e-5); /* float sums */
            pair_free(bias);
            pair_free(out);
            pair_free(in);
        }
}

/* ---- embedding ---- */

static void embed_case(size_t n, size_t g, size_t v)
{
    int32_t *idx = xalloc(n * sizeof *idx);
    fill_ids(idx, n, v);
    int32_t *d_idx = ids_on_gpu(idx, n);
    pair w = pair_rand(g * v, -1, 1), out = pair_rand(n * g, -1, 1);
    char what[80];
    cpu->embed_fwd(cpu, out.c, w.c, idx, n, g, v);
    gpu->embed_fwd(gpu, out.g, w.g, d_idx, n, g, v);
    snprintf(what, sizeof what, "embed_fwd n=%zu g=%zu v=%zu", n, g, v);
    pair_same(what, out);
    float *w0 = fetch(w.g, w.n);
    cpu->embed_bwd(cpu, w.c, out.c, idx, n, g, v);
    gpu->embed_bwd(gpu, w.g, out.g, d_idx, n, g, v);
    snprintf(what, sizeof what, "embed_bwd n=%zu g=%zu v=%zu", n, g, v);
    pair_same(what, w); /* the CPU's order of additions: bitwise */
    float *w1 = fetch(w.g, w.n);
    gpu->upload(gpu, w.g, w0, w.n * sizeof *w0);
    gpu->embed_bwd(gpu, w.g, out.g, d_idx, n, g, v);
    float *w2 = fetch(w.g, w.n);
    snprintf(what, sizeof what, "embed_bwd n=%zu g=%zu v=%zu repeated", n, g, v);
    expect_same(what, w2, w1, w.n);
    free(w0);
    free(w1);
    free(w2);
    pair_free(w);
    pair_free(out);
    gpu->free(gpu, d_idx);
    free(idx);
}

static void test_embed(void)
{
    for (size_t r = 0; r < COUNT(ROWS); r++)
        for (size_t h = 0; h < COUNT(HIDDEN); h++)
            for (size_t v = 0; v < COUNT(VOCAB); v++) {
                embed_case(ROWS[r], 4 * HIDDEN[h], VOCAB[v]);
                embed_case(ROWS[r], 3 * HIDDEN[h], VOCAB[v]);
            }
    embed_case(5000, 64, 83); /* many rows per id */
    embed_case(20000, 2048, 65); /* the notebook's window */
}

/* ---- the recurrence of a window (rnn_fwd / rnn_bwd) ---- */

static const size_t STEPS[] = {1, 7};

/* one layer's window on both sides: .c fields CPU, .g fields GPU */
typedef struct {
    pair w_hh, b_hh, xg, hs, cs, act, work_c, work_g;
    rnn_seq c, g;
} rnn_pair;

static rnn_pair rnn_pair_new(cell_kind cell, size_t m, size_t b, size_t h)
{
    size_t gh = cell_gates(cell) * h, aw = cell_act_width(cell) * h, bh = b * h;
    double wb = 1.0 / sqrt((double)h);
    rnn_pair r;
    r.w_hh = pair_rand(gh * h, -wb, wb);
    r.b_hh = pair_rand(gh, -wb, wb);
    r.xg = pair_rand(m * b * gh, -1.5, 1.5);
    r.hs = pair_rand((m + 1) * bh, -1, 1); /* slot 0 the carried h */
    r.cs = pair_rand((m + 1) * bh, -2, 2);
    r.act = pair_from(NULL, m * b * aw);
    r.work_c = pair_from(NULL, cpu->rnn_work(cpu, cell, b, h));
    r.work_g = pair_from(NULL, gpu->rnn_work(gpu, cell, b, h));
    int lstm = cell == CELL_LSTM;
    rnn_seq c = {cell,    m,         b, h, r.w_hh.c, r.b_hh.c, r.xg.c, r.hs.c, lstm ? r.cs.c : NULL,
                 r.act.c, r.work_c.c};
    rnn_seq g = {cell,    m,         b, h, r.w_hh.g, r.b_hh.g, r.xg.g, r.hs.g, lstm ? r.cs.g : NULL,
                 r.act.g, r.work_g.g};
    r.c = c;
    r.g = g;
    return r;
}

static void rnn_pair_free(rnn_pair *r)
{
    pair all[] = {r->w_hh, r->b_hh, r->xg, r->hs, r->cs, r->act, r->work_c, r->work_g};
    for (size_t i = 0; i < COUNT(all); i++)
        pair_free(all[i]);
}

/* device copy := host copy (the GPU's backward then starts from the CPU's forward) */
static void pair_sync(pair p) { gpu->upload(gpu, p.g, p.c, p.n * sizeof(float)); }

static void rnn_fwd_case(cell_kind cell, size_t m, size_t b, size_t h)
{
    rnn_pair r = rnn_pair_new(cell, m, b, h);
    cpu->rnn_fwd(cpu, &r.c);
    gpu->rnn_fwd(gpu, &r.g);
    char what[96];
    snprintf(what, sizeof what, "%s rnn_fwd m=%zu b=%zu h=%zu: hs", cell_name(cell), m, b, h);
    pair_rel(what, r.hs, 1e-5);
    snprintf(what, sizeof what, "%s rnn_fwd m=%zu b=%zu h=%zu: act", cell_name(cell), m, b, h);
    pair_rel(what, r.act, 1e-5);
    if (cell == CELL_LSTM) {
        snprintf(what, sizeof what, "%s rnn_fwd m=%zu b=%zu h=%zu: cs", cell_name(cell), m, b, h);
        pair_rel(what, r.cs, 1e-5);
    }
    rnn_pair_free(&r);
}

static void rnn_bwd_case(cell_kind cell, size_t m, size_t b, size_t h)
{
    size_t gh = cell_gates(cell) * h;
    int gru = cell == CELL_GRU;
    rnn_pair r = rnn_pair_new(cell, m, b, h);
    cpu->rnn_fwd(cpu, &r.c);
    pair_sync(r.hs);
    pair_sync(r.cs);
    pair_sync(r.act);
    pair dy = pair_rand(m * b * h, -1, 1), dxg = pair_from(NULL, m * b * gh);
    pair dhg = pair_from(NULL, gru ? m * b * gh : 1);
    pair dw = pair_rand(gh * h, -1, 1), db = pair_rand(gh, -1, 1); /* += onto these */
    pair dbi = pair_rand(gh, -1, 1);
    rnn_seq_grad gc = {dy.c, dxg.c, gru ? dhg.c : dxg.c, dw.c, db.c, dbi.c};
    rnn_seq_grad gg = {dy.g, dxg.g, gru ? dhg.g : dxg.g, dw.g, db.g, dbi.g};
    cpu->rnn_bwd(cpu, &r.c, &gc);
    gpu->rnn_bwd(gpu, &r.g, &gg);
    const char *names[] = {"dxg", "dhg", "dw_hh", "db_hh", "db_ih"};
    pair outs[] = {dxg, dhg, dw, db, dbi};
    for (size_t i = 0; i < COUNT(outs); i++) {
        char what[96];
        snprintf(what, sizeof what, "%s rnn_bwd m=%zu b=%zu h=%zu: %s", cell_name(cell), m, b, h,
                 names[i]);
        pair_rel(what, outs[i], 1e-5);
    }
    pair all[] = {dy, dxg, dhg, dw, db, dbi};
    for (size_t i = 0; i < COUNT(all); i++)
        pair_free(all[i]);
    rnn_pair_free(&r);
}

static void test_rnn(void)
{
    for (int c = 0; c < 3; c++)
        for (size_t s = 0; s < COUNT(STEPS); s++)
            for (size_t r = 0; r < COUNT(ROWS); r++)
                for (size_t h = 0; h < COUNT(HIDDEN); h++) {
                    rnn_fwd_case((cell_kind)c, STEPS[s], ROWS[r], HIDDEN[h]);
                    rnn_bwd_case((cell_kind)c, STEPS[s], ROWS[r], HIDDEN[h]);
                }
}

/* ---- dropout: bit-identical ---- */

static void dropout_case(size_t m, size_t b, size_t h, float p, size_t row0, int in_place)
{
    const uint64_t seed = 0x0123456789abcdefull;
    pair in = pair_rand(m * b * h, -1, 1), out = pair_from(NULL, m * b * h);
    pair dst = in_place ? in : out;
    cpu->dropout(cpu, dst.c, in.c, m, b, h, p, seed, 123457, 2, row0);
    gpu->dropout(gpu, dst.g, in.g, m, b, h, p, seed, 123457, 2, row0);
    char what[96];
    snprintf(what, sizeof what, "dropout m=%zu b=%zu h=%zu p=%g row0=%zu%s", m, b, h, p, row0,
             in_place ? " in place" : "");
    pair_same(what, dst);
    pair_free(in);
    pair_free(out);
}

static void test_dropout(void)
{
    const size_t steps[] = {1, 7};
    for (size_t t = 0; t < COUNT(steps); t++)
        for (size_t r = 0; r < COUNT(ROWS); r++)
            for (size_t h = 0; h < COUNT(HIDDEN); h++) {
                dropout_case(steps[t], ROWS[r], HIDDEN[h], 0.5f, 0, 0);
                dropout_case(steps[t], ROWS[r], HIDDEN[h], 0.3f, 4093, 1);
            }
}

/* ---- cross-entropy ---- */

static void xent_case(size_t n, size_t v, float grad_scale)
{
    int32_t *tg = xalloc(n * sizeof *tg);
    fill_ids(tg, n, v);
    int32_t *d_tg = ids_on_gpu(tg, n);
    pair z = pair_rand(n * v, -6, 6);
    double lc, lg, *d_loss = gpu->alloc(gpu, sizeof *d_loss, "gpu loss");
    cpu->xent(cpu, z.c, tg, n, v, grad_scale, &lc);
    gpu->xent(gpu, z.g, d_tg, n, v, grad_scale, d_loss);
    gpu->download(gpu, &lg, d_loss, sizeof lg);
    gpu->free(gpu, d_loss);
    char what[80];
    snprintf(what, sizeof what, "xent loss n=%zu v=%zu scale=%g", n, v, grad_scale);
    double e = fabs(lg - lc) / fabs(lc);
    report(e <= 1e-5, "relative error %.3g", what, e);
    snprintf(what, sizeof what, "xent grad n=%zu v=%zu scale=%g", n, v, grad_scale);
    if (grad_scale != 0)
        pair_close(what, z, 3e-7 * grad_scale, 1e-5);
    else
        pair_same(what, z); /* untouched */
    pair_free(z);
    gpu->free(gpu, d_tg);
    free(tg);
}

static void test_xent(void)
{
    for (size_t r = 0; r < COUNT(ROWS); r++)
        for (size_t v = 0; v < COUNT(VOCAB); v++) {
            xent_case(ROWS[r], VOCAB[v], 0);
            xent_case(ROWS[r], VOCAB[v], 1.0f / (float)ROWS[r]);
        }
    xent_case(5000, 83, 0.25f);
}

/* ---- sum of squares, Adam ---- */

static void test_sumsq(void)
{
    const size_t sizes[] = {1, 37, 4447, 1000003, 5000000};
    for (size_t s = 0; s < COUNT(sizes); s++) {
        pair x = pair_rand(sizes[s], -3, 3);
        double c, g, *d = gpu->alloc(gpu, sizeof *d, "gpu sumsq");
        cpu->sumsq(cpu, x.c, x.n, &c);
        gpu->sumsq(gpu, x.g, x.n, d);
        gpu->download(gpu, &g, d, sizeof g);
        gpu->free(gpu, d);
        char what[48];
        snprintf(what, sizeof what, "sumsq n=%zu", x.n);
        double e = fabs(g - c) / c;
        report(e <= 1e-10, "relative error %.3g", what, e);
        pair_free(x);
    }
}

/* Adam from the device's scalars: clip 0.7 with ||g|| = 1 scales by 0.7;
 * a non-finite loss or norm leaves everything as it was */
static void adam_case(size_t n, double loss, double sumsq)
{
    pair p = pair_rand(n, -0.2, 0.2), g = pair_rand(n, -2, 2);
    pair m = pair_rand(n, -0.5, 0.5), v = pair_rand(n, 0, 1);
    double host[2] = {loss, sumsq}, *dev = gpu->alloc(gpu, sizeof host, "gpu scalars");
    gpu->upload(gpu, dev, host, sizeof host);
    adam_args a = {.lr = 2e-3,
                   .beta1 = 0.9,
                   .beta2 = 0.999,
                   .eps = 1e-8,
                   .bias_corr1 = 1 - pow(0.9, 3),
                   .bias_corr2 = 1 - pow(0.999, 3),
                   .clip = 0.7,
                   .loss = host,
                   .sumsq = host + 1};
    float *p0 = xalloc(n * sizeof *p0);
    memcpy(p0, p.c, n * sizeof *p0);
    adam_args ag = a;
    ag.loss = dev;
    ag.sumsq = dev + 1;
    for (int step = 0; step < 3; step++) {
        cpu->adam(cpu, p.c, g.c, m.c, v.c, n, &a);
        gpu->adam(gpu, p.g, g.g, m.g, v.g, n, &ag);
    }
    char what[80];
    snprintf(what, sizeof what, "adam n=%zu loss=%g sumsq=%g: p", n, loss, sumsq);
    pair_close(what, p, 1e-7, 1e-5);
    snprintf(what, sizeof what, "adam n=%zu loss=%g sumsq=%g: m", n, loss, sumsq);
    pair_close(what, m, 3e-7, 1e-5);
    snprintf(what, sizeof what, "adam n=%zu loss=%g sumsq=%g: v", n, loss, sumsq);
    pair_close(what, v, 1e-9, 1e-5);
    if (!isfinite(loss) || !isfinite(sumsq)) { /* skipped: p as it was on both */
        snprintf(what, sizeof what, "adam n=%zu loss=%g sumsq=%g: skipped", n, loss, sumsq);
        expect_same(what, p.c, p0, n);
        pair_same(what, p);
    }
    free(p0);
    gpu->free(gpu, dev);
    pair all[] = {p, g, m, v};
    for (size_t i = 0; i < COUNT(all); i++)
        pair_free(all[i]);
}

static void test_adam(void)
{
    const size_t sizes[] = {1, 1000, 1000003};
    for (size_t s = 0; s < COUNT(sizes); s++)
        adam_case(sizes[s], 12.5, 1.0);
    adam_case(1000, NAN, 1.0);
    adam_case(1000, 12.5, INFINITY);
}

/* ---- sampling ---- */

/* top-k on both backends (the same candidates, logits within 1e-6), and
 * the sampler's draw from each: the same picks, probabilities within 1e-5 */
static void sample_case(size_t v, size_t k, double temp, int argmax)
{
    float *z = rand_host(v, -8, 8);
    for (size_t j = 0; j < v; j++) /* quarter steps: many ties */
        z[j] = roundf(z[j] * 4) / 4;
    pair zp = pair_from(z, v);
    size_t kk = argmax ? 1 : k;
    double *pc = xalloc(kk * sizeof *pc), *pg = xalloc(kk * sizeof *pg);
    int *ic = xalloc(kk * sizeof *ic), *ig = xalloc(kk * sizeof *ig);
    float *vc = xalloc(kk * sizeof *vc), *vg = xalloc(kk * sizeof *vg);
    cpu->topk(cpu, zp.c, v, kk, ic, vc);
    gpu->topk(gpu, zp.g, v, kk, ig, vg);
    int same_pick = memcmp(ic, ig, kk * sizeof *ic) == 0;
    double worst = 0;
    for (size_t q = 0; q < kk; q++)
        worst = fmax(worst, fabs((double)vc[q] - (double)vg[q]));
    for (int i = 0; i < 100; i++) {
        double u = i < 50 ? (i + 0.5) / 50 : rng_uniform(9, 3, 0, 0, (uint32_t)i);
        int a = sampler_pick(vc, ic, kk, temp, u, pc);
        int b = sampler_pick(vg, ig, kk, temp, u, pg);
        same_pick &= a == b;
        for (size_t q = 0; q < kk; q++)
            worst = fmax(worst, fabs(pc[q] - pg[q]));
    }
    char what[96];
    snprintf(what, sizeof what, "sample v=%zu k=%zu T=%g argmax=%d: picks/candidates", v, k,
             temp, argmax);
    report(same_pick, "differ (%g)", what, 0);
    snprintf(what, sizeof what, "sample v=%zu k=%zu T=%g argmax=%d: probabilities", v, k, temp,
             argmax);
    report(worst <= 1e-5, "max difference %.3g", what, worst);
    pair_free(zp);
    free(z);
    free(pc);
    free(pg);
    free(ic);
    free(ig);
    free(vc);
    free(vg);
}

static void test_sample(void)
{
    for (size_t vi = 0; vi < COUNT(VOCAB); vi++) {
        size_t v = VOCAB[vi];
        const size_t ks[] = {1, 5, 50, v};
        for (size_t ki = 0; ki < COUNT(ks); ki++) {
            sample_case(v, ks[ki], 1.0, 0);
            sample_case(v, ks[ki], 0.7, 0);
            sample_case(v, ks[ki], 1.3, 0);
        }
        sample_case(v, 5, 1.0, 1);
    }
}

/* test_parity [--only NAME,NAME...]: all the tests, or the named ones
 * (the device check runs a few under compute-sanitizer) */
int main(int argc, char **argv)
{
    const char *only = argc > 2 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    cpu = backend_cpu();
    gpu = backend_cuda_open(0);
    if (!gpu)
        return gpu_unavailable("gpu.parity");
    backend_cuda_tf32(gpu, 0);
    struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {{"memory", test_memory},   {"gemm", test_gemm},     {"tf32", test_tf32},
                 {"rows", test_rows},       {"embed", test_embed},   {"rnn", test_rnn},
                 {"dropout", test_dropout}, {"xent", test_xent},     {"sumsq", test_sumsq},
                 {"adam", test_adam},       {"sample", test_sample}, {"model", test_model}};
    for (size_t i = 0; i < COUNT(tests); i++) {
        if (only && !strstr(only, tests[i].name))
            continue;
        int before = failures, checks_before = checks;
        tests[i].fn();
        printf("%-8s %s (%d checks, %d failed)\n", tests[i].name,
               failures == before ? "ok" : "FAILED", checks - checks_before, failures - before);
        fflush(stdout);
    }
    printf("%d of %d checks failed\n", failures, checks);
    backend_release(gpu);
    return failures ? 1 : 0;
}
