/* test_cpu_embed.c — the CPU backend's one-hot gather (embed_fwd /
 * embed_bwd, cpu_embed.c) against the plain loops of backend.h's contract,
 * on both of its paths (fewer positions than characters: in place; as many
 * or more: through the transpose), with 1, 2 and 3 threads: bitwise the
 * reference every time (the same additions in the same order), with
 * repeated characters and sizes that are not multiples of the tiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "rng.h"

static real *rnd(size_t n, uint32_t a)
{
    real *x = calloc(n ? n : 1, sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (real)(rng_uniform(5, 6, a, 0, (uint32_t)i) - 0.5f);
    return x;
}

static void expect_same(const real *got, const real *want, size_t n, const char *what)
{
    if (memcmp(got, want, n * sizeof *got) != 0)
        fail_msg("%s differs from the reference", what);
}

/* n positions, w (g, v), characters drawn with repeats */
static void check(size_t n, size_t g, size_t v)
{
    const backend *be = backend_cpu();
    int32_t *idx = malloc(n * sizeof *idx);
    assert_non_null(idx);
    for (size_t p = 0; p < n; p++)
        idx[p] = (int32_t)(rng_uniform(7, 8, 1, 0, (uint32_t)p) * (float)v) % (int32_t)v;
    real *w = rnd(g * v, 1), *out0 = rnd(n * g, 2), *dout = rnd(n * g, 3);
    real *want_out = rnd(n * g, 2), *want_dw = calloc(g * v, sizeof(real));
    assert_non_null(want_dw);
    for (size_t p = 0; p < n; p++)
        for (size_t j = 0; j < g; j++) {
            want_out[p * g + j] += w[j * v + (size_t)idx[p]];
            want_dw[j * v + (size_t)idx[p]] += dout[p * g + j];
        }
    char what[96];
    for (int t = 1; t <= 3; t++) {
        backend_cpu_threads(t);
        real *out = malloc(n * g * sizeof *out), *dw = calloc(g * v, sizeof *dw);
        assert_non_null(out);
        assert_non_null(dw);
        memcpy(out, out0, n * g * sizeof *out);
        be->embed_fwd(be, out, w, idx, n, g, v);
        snprintf(what, sizeof what, "embed_fwd n=%zu g=%zu v=%zu, %d threads", n, g, v, t);
        expect_same(out, want_out, n * g, what);
        be->embed_bwd(be, dw, dout, idx, n, g, v);
        snprintf(what, sizeof what, "embed_bwd n=%zu g=%zu v=%zu, %d threads", n, g, v, t);
        expect_same(dw, want_dw, g * v, what);
        free(out);
        free(dw);
    }
    free(idx);
    free(w);
    free(out0);
    free(dout);
    free(want_out);
    free(want_dw);
}

static void test_in_place(void **state)
{
    (void)state;
    check(3, 40, 65);   /* fewer positions than characters */
    check(1, 7, 4055);
}

static void test_transposed(void **state)
{
    (void)state;
    check(65, 40, 65);  /* as many */
    check(300, 70, 37); /* more, tiles ragged both ways */
    check(2000, 33, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_in_place),
                                       cmocka_unit_test(test_transposed)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
