/* parity_util.c — what the GPU parity tests share (parity_util.h). */
#include "parity_util.h"

#include "rel_norm.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const backend *cpu, *gpu;
int failures, checks;
static uint32_t draw_no; /* a new random stream for every fill */

void *xalloc(size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of host memory\n");
        exit(1);
    }
    return p;
}

/* x[i] uniform in [lo, hi) */
void fill(float *x, size_t n, double lo, double hi)
{
    uint32_t a = draw_no++;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * rng_uniform(2024, 77, a, 0, (uint32_t)i));
}

float *rand_host(size_t n, double lo, double hi)
{
    float *x = xalloc(n * sizeof *x);
    fill(x, n, lo, hi);
    return x;
}

void fill_ids(int32_t *x, size_t n, size_t v)
{
    uint32_t a = draw_no++;
    for (size_t i = 0; i < n; i++)
        x[i] = (int32_t)(rng_bits(2024, 78, a, 0, (uint32_t)i) % v);
}

pair pair_from(const float *host, size_t n)
{
    pair p = {cpu->alloc(cpu, n * sizeof(float), "cpu"), gpu->alloc(gpu, n * sizeof(float), "gpu"),
              n};
    if (host) {
        memcpy(p.c, host, n * sizeof(float));
        gpu->upload(gpu, p.g, host, n * sizeof(float));
    }
    return p;
}

pair pair_rand(size_t n, double lo, double hi)
{
    float *h = rand_host(n, lo, hi);
    pair p = pair_from(h, n);
    free(h);
    return p;
}

void pair_free(pair p)
{
    cpu->free(cpu, p.c);
    gpu->free(gpu, p.g);
}

int32_t *ids_on_gpu(const int32_t *host, size_t n)
{
    int32_t *d = gpu->alloc(gpu, n * sizeof *d, "gpu ids");
    gpu->upload(gpu, d, host, n * sizeof *d);
    return d;
}

float *fetch(const float *dev, size_t n)
{
    float *h = xalloc(n * sizeof *h);
    gpu->download(gpu, h, dev, n * sizeof *h);
    return h;
}

void report(int ok, const char *fmt, const char *what, double err)
{
    checks++;
    if (ok)
        return;
    failures++;
    printf("FAIL %s: ", what);
    printf(fmt, err);
    printf("\n");
}

double expect_rel_norm(const char *what, const float *got, const float *want, size_t n,
                       double tol)
{
    double e = rel_norm(got, want, n);
    report(e <= tol, "relative norm error %.3g", what, e);
    return e;
}

/* every |got - want| <= atol + rtol |want|; reports the worst excess */
void expect_close(const char *what, const float *got, const float *want, size_t n,
                         double atol, double rtol)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        double r = isnan(d) ? INFINITY : d / (atol + rtol * fabs((double)want[i]));
        worst = r > worst ? r : worst;
    }
    report(worst <= 1.0, "error %.3g x the tolerance", what, worst);
}

void expect_same(const char *what, const float *got, const float *want, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += memcmp(got + i, want + i, sizeof *got) != 0;
    report(bad == 0, "%g elements differ", what, (double)bad);
}

/* device buffer p.g against host buffer p.c */
void pair_close(const char *what, pair p, double atol, double rtol)
{
    float *h = fetch(p.g, p.n);
    expect_close(what, h, p.c, p.n, atol, rtol);
    free(h);
}

void pair_rel(const char *what, pair p, double tol)
{
    float *h = fetch(p.g, p.n);
    expect_rel_norm(what, h, p.c, p.n, tol);
    free(h);
}

void pair_same(const char *what, pair p)
{
    float *h = fetch(p.g, p.n);
    expect_same(what, h, p.c, p.n);
    free(h);
}
