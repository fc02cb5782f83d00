/* rnn_problem.c — the onednn_rnn benchmark's problem (PyTorch-layout
 * parameters and inputs from a fixed seed), a window's results, and their
 * comparisons (agreement, bitwise equality, hashes). */
#include "onednn_rnn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) {
        fprintf(stderr, "onednn_rnn: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n ? n : 64);
    return p;
}
float *falloc(size_t n) { return xalloc(n * sizeof(float)); }

/* xorshift64*: a fixed stream of uniform floats in [-a, a) */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float urand(float a)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545f4914f6cdd1dull;
    return a * (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static void fill(float *p, size_t n, float a)
{
    for (size_t i = 0; i < n; i++)
        p[i] = urand(a);
}

/* ---- the problem: PyTorch-layout parameters and inputs ---- */
void problem_init(problem *p, cell_kind cell, size_t T, size_t B, size_t H, size_t C)
{
    memset(p, 0, sizeof *p);
    p->cell = cell;
    p->T = T, p->B = B, p->H = H, p->C = C;
    p->G = cell_gates(cell);
    p->onehot = C != H;
    size_t gh = p->G * H;
    rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)cell * 1000003u + C;
    float k = 1.0f / sqrtf((float)H); /* PyTorch's init range */
    p->w_ih = falloc(gh * C);
    p->w_hh = falloc(gh * H);
    p->b_ih = falloc(gh);
    p->b_hh = falloc(gh);
    fill(p->w_ih, gh * C, k);
    fill(p->w_hh, gh * H, k);
    fill(p->b_ih, gh, k);
    fill(p->b_hh, gh, k);
    p->x = falloc(T * B * C);
    if (p->onehot) {
        p->idx = xalloc(T * B * sizeof(int32_t));
        for (size_t i = 0; i < T * B; i++) {
            uint32_t v = (uint32_t)((urand(1.0f) + 1.0f) * 0.5f * (float)C) % (uint32_t)C;
            p->idx[i] = (int32_t)v;
            p->x[i * C + v] = 1.0f;
        }
    } else {
        fill(p->x, T * B * C, 1.0f); /* a layer below's h: in (-1, 1) */
    }
    p->h0 = falloc(B * H);
    p->c0 = falloc(B * H);
    fill(p->h0, B * H, 0.5f);
    fill(p->c0, B * H, 0.5f);
    p->dy = falloc(T * B * H);
    fill(p->dy, T * B * H, 0.01f);
}

void result_alloc(result *r, const problem *p)
{
    size_t gh = p->G * p->H;
    r->h = falloc(p->T * p->B * p->H);
    r->dx = falloc(p->T * p->B * p->C);
    r->dw_ih = falloc(gh * p->C);
    r->dw_hh = falloc(gh * p->H);
    r->db_ih = falloc(gh);
    r->db_hh = falloc(gh);
}

void problem_free(problem *p)
{
    free(p->x), free(p->idx), free(p->h0), free(p->c0), free(p->w_ih), free(p->w_hh);
    free(p->b_ih), free(p->b_hh), free(p->dy);
}

/* ---- comparisons ---- */
/* max |a - b| / max |b| */
static double maxrel(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > d || isnan(e))
            d = isnan(e) ? INFINITY : e;
        if (fabs(b[i]) > m)
            m = fabs(b[i]);
    }
    return m > 0 ? d / m : d;
}


diffs compare(const result *a, const result *b, const problem *p)
{
    size_t gh = p->G * p->H;
    diffs d = {maxrel(a->h, b->h, p->T * p->B * p->H),
               p->onehot ? NAN : maxrel(a->dx, b->dx, p->T * p->B * p->C),
               maxrel(a->dw_ih, b->dw_ih, gh * p->C), maxrel(a->dw_hh, b->dw_hh, gh * p->H),
               fmax(maxrel(a->db_ih, b->db_ih, gh), maxrel(a->db_hh, b->db_hh, gh))};
    return d;
}

int bitwise(const result *a, const result *b, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    return !memcmp(a->h, b->h, p->T * p->B * p->H * f) &&
           (p->onehot || !memcmp(a->dx, b->dx, p->T * p->B * p->C * f)) &&
           !memcmp(a->dw_ih, b->dw_ih, gh * p->C * f) && !memcmp(a->dw_hh, b->dw_hh, gh * p->H * f) &&
           !memcmp(a->db_ih, b->db_ih, gh * f) && !memcmp(a->db_hh, b->db_hh, gh * f);
}

/* FNV-1a over the bytes of a result: compares runs of separate processes */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

uint64_t result_hash(const result *r, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, r->h, p->T * p->B * p->H * f);
    if (!p->onehot)
        h = fnv(h, r->dx, p->T * p->B * p->C * f);
    h = fnv(h, r->dw_ih, gh * p->C * f);
    h = fnv(h, r->dw_hh, gh * p->H * f);
    h = fnv(h, r->db_ih, gh * f);
    return fnv(h, r->db_hh, gh * f);
}

void result_copy(result *dst, const result *src, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    memcpy(dst->h, src->h, p->T * p->B * p->H * f);
    memcpy(dst->dx, src->dx, p->T * p->B * p->C * f);
    memcpy(dst->dw_ih, src->dw_ih, gh * p->C * f);
    memcpy(dst->dw_hh, src->dw_hh, gh * p->H * f);
    memcpy(dst->db_ih, src->db_ih, gh * f);
    memcpy(dst->db_hh, src->db_hh, gh * f);
}

void result_free(result *r)
{
    free(r->h), free(r->dx), free(r->dw_ih), free(r->dw_hh), free(r->db_ih), free(r->db_hh);
}
