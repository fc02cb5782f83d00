/* test_vocab.c — the vocabulary rule: scalar values only, strictly increasing, the first problem reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vocab.h"

static void test_accepts(void **state)
{
    (void)state;
    const uint32_t v[] = {0, '\n', 'a', 0xD7FF, 0xE000, 0xFFFD, 0x10FFFF};
    size_t at = 99;
    assert_int_equal(vocab_check(v, 7, &at), VOCAB_OK);
    assert_int_equal(vocab_check(v, 0, &at), VOCAB_OK);
}

static void test_not_scalar(void **state)
{
    (void)state;
    const uint32_t surrogate[] = {'a', 0xD800, 'b'}, high[] = {'a', 0x110000};
    const uint32_t last_surrogate[] = {0xDFFF}, huge[] = {'a', 'b', UINT32_MAX};
    size_t at = 99;
    assert_int_equal(vocab_check(surrogate, 3, &at), VOCAB_NOT_SCALAR);
    assert_int_equal(at, 1);
    assert_int_equal(vocab_check(high, 2, &at), VOCAB_NOT_SCALAR);
    assert_int_equal(at, 1);
    assert_int_equal(vocab_check(last_surrogate, 1, &at), VOCAB_NOT_SCALAR);
    assert_int_equal(at, 0);
    assert_int_equal(vocab_check(huge, 3, &at), VOCAB_NOT_SCALAR);
    assert_int_equal(at, 2);
}

/* Equal or decreasing neighbours; the lowest index of any problem wins. */
static void test_not_increasing(void **state)
{
    (void)state;
    const uint32_t equal[] = {'a', 'b', 'b'}, down[] = {'b', 'a', 0xD800};
    size_t at = 99;
    assert_int_equal(vocab_check(equal, 3, &at), VOCAB_NOT_INCREASING);
    assert_int_equal(at, 2);
    assert_int_equal(vocab_check(down, 3, &at), VOCAB_NOT_INCREASING);
    assert_int_equal(at, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_not_scalar),
        cmocka_unit_test(test_not_increasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
