/* test_topk.c — the CPU backend's top-k: descending, ties by lower index, and NaN logits ranked as -inf (never slot 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"

#include <math.h>

static void test_order_and_ties(void **state)
{
    (void)state;
    const real z[] = {1, 3, 2, 3, -1};
    int idx[5];
    real val[5];
    backend_cpu()->topk(backend_cpu(), z, 5, 5, idx, val);
    const int want[] = {1, 3, 2, 0, 4};
    for (int q = 0; q < 5; q++) {
        assert_int_equal(idx[q], want[q]);
        assert_true(val[q] == z[want[q]]);
    }
}

/* NaN first, in the middle and last: the finite logits take the top slots
 * in order, the NaNs the bottom ones (by index) with val -inf */
static void test_nan_is_minus_inf(void **state)
{
    (void)state;
    const real z[] = {NAN, 0.5f, NAN, 2, -INFINITY, 1, NAN};
    int idx[7];
    real val[7];
    backend_cpu()->topk(backend_cpu(), z, 7, 7, idx, val);
    const int want[] = {3, 5, 1, 0, 2, 4, 6};
    for (int q = 0; q < 7; q++)
        assert_int_equal(idx[q], want[q]);
    assert_true(val[0] == 2 && val[1] == 1 && val[2] == 0.5f);
    for (int q = 3; q < 7; q++)
        assert_true(isinf(val[q]) && val[q] < 0);
    backend_cpu()->topk(backend_cpu(), z, 7, 1, idx, val);
    assert_int_equal(idx[0], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_ties),
        cmocka_unit_test(test_nan_is_minus_inf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
