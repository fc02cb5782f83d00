/* test_optim.c — clip by global norm + Adam (optim.c over the CPU backend)
 * against a reference written here in double from the formulas
 * (TensorFlow's clip_by_global_norm, PyTorch's Adam with its bias
 * corrections): several steps with the clip active and not, the norm and
 * loss read back, t counting applied steps only, and a step whose loss or
 * gradient is not finite changing nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "optim.h"
#include "rng.h"

enum { N = 1003 };

typedef struct {
    double p[N], m[N], v[N];
    uint64_t t;
} reference;

/* One reference step on gradient g (the norm's clip applied first). */
static void reference_step(reference *r, const real *g, double lr, double clip)
{
    double sumsq = 0;
    for (size_t i = 0; i < N; i++)
        sumsq += (double)g[i] * g[i];
    double scale = clip / fmax(sqrt(sumsq), clip);
    r->t++;
    double bc1 = 1 - pow(0.9, (double)r->t), bc2 = 1 - pow(0.999, (double)r->t);
    for (size_t i = 0; i < N; i++) {
        double gi = g[i] * scale;
        r->m[i] = 0.9 * r->m[i] + 0.1 * gi;
        r->v[i] = 0.999 * r->v[i] + 0.001 * gi * gi;
        r->p[i] -= lr * (r->m[i] / bc1) / (sqrt(r->v[i] / bc2) + 1e-8);
    }
}

static void gradient(real *g, double size, uint32_t step)
{
    for (size_t i = 0; i < N; i++)
        g[i] = (real)(size * (2 * rng_uniform(5, 6, step, 0, (uint32_t)i) - 1));
}

static double rel_error(const real *x, const double *ref)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < N; i++) {
        num += (x[i] - ref[i]) * (x[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

/* Five steps, gradients of norm ~0.6 (under the clip) and ~60 (over it). */
static void test_matches_reference(void **state)
{
    (void)state;
    const backend *be = backend_cpu();
    const double lr = 0.01, clip = 5;
    optim o;
    optim_init(&o, be, N, lr, clip);
    real p[N], g[N];
    reference *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < N; i++)
        r->p[i] = p[i] = (real)(rng_uniform(7, 8, 0, 0, (uint32_t)i) - 0.5);
    for (uint32_t step = 0; step < 5; step++) {
        gradient(g, step % 2 ? 3.0 : 0.03, step);
        double sumsq = 0;
        for (size_t i = 0; i < N; i++)
            sumsq += (double)g[i] * g[i];
        *optim_loss_slot(&o) = 42.5 + step;
        optim_queue(&o, p, g);
        double loss, norm = optim_finish(&o, &loss);
        reference_step(r, g, lr, clip);
        assert_true(loss == 42.5 + step);
        assert_true(fabs(norm - sqrt(sumsq)) <= 1e-12 * sqrt(sumsq));
        assert_int_equal(o.t, step + 1);
        assert_true(rel_error(p, r->p) < 2e-6); /* float against double */
        assert_true(rel_error(o.m, r->m) < 1e-6);
        assert_true(rel_error(o.v, r->v) < 5e-5); /* beta2 = 0.999 in float: 1.3e-5 */
    }
    optim_free(&o);
    free(r);
}

/* A non-finite loss or gradient: parameters, moments and t untouched. */
static void test_nonfinite_skipped(void **state)
{
    (void)state;
    const backend *be = backend_cpu();
    optim o;
    optim_init(&o, be, N, 0.01, 5);
    real p[N], g[N], p0[N], m0[N], v0[N];
    for (size_t i = 0; i < N; i++)
        p[i] = (real)i / N;
    gradient(g, 1.0, 0);
    *optim_loss_slot(&o) = 1;
    optim_queue(&o, p, g);
    double loss, norm = optim_finish(&o, &loss);
    assert_true(isfinite(norm) && o.t == 1);
    memcpy(p0, p, sizeof p);
    memcpy(m0, o.m, sizeof m0);
    memcpy(v0, o.v, sizeof v0);
    *optim_loss_slot(&o) = INFINITY; /* the loss */
    optim_queue(&o, p, g);
    norm = optim_finish(&o, &loss);
    assert_true(isinf(loss) && isfinite(norm));
    g[7] = NAN; /* the gradient */
    *optim_loss_slot(&o) = 1;
    optim_queue(&o, p, g);
    norm = optim_finish(&o, &loss);
    assert_true(isnan(norm) && loss == 1);
    assert_int_equal(o.t, 1);
    assert_memory_equal(p, p0, sizeof p);
    assert_memory_equal(o.m, m0, sizeof m0);
    assert_memory_equal(o.v, v0, sizeof v0);
    optim_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_nonfinite_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
