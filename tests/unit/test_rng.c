/* test_rng.c — Philox4x32-10 known answers, fill == single calls, uniform range and moments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "rng.h"

/* Random123 tests/kat_vectors, philox4x32 10. */
static void check_kat(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                      uint32_t k1, uint32_t o0, uint32_t o1, uint32_t o2, uint32_t o3)
{
    const uint32_t key[2] = {k0, k1};
    const uint32_t ctr[4] = {c0, c1, c2, c3};
    uint32_t out[4];
    rng_philox(key, ctr, out);
    assert_int_equal(out[0], o0);
    assert_int_equal(out[1], o1);
    assert_int_equal(out[2], o2);
    assert_int_equal(out[3], o3);
}

static void test_rng_kat(void **state)
{
    (void)state;
    check_kat(0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
    check_kat(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
              0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
    check_kat(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
              0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
}

/* rng_bits maps (seed, stream, a, b, idx) onto key/ctr/lane as documented. */
static void test_rng_layout(void **state)
{
    (void)state;
    const uint64_t seed = 0x299f31d0a4093822ull;
    const uint32_t key[2] = {0xa4093822, 0x299f31d0};
    const uint32_t ctr[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344};
    uint32_t out[4];
    rng_philox(key, ctr, out);
    for (uint32_t lane = 0; lane < 4; lane++) {
        uint32_t idx = (0x243f6a88u << 2) | lane;
        assert_int_equal(rng_bits(seed, 0x03707344, 0x85a308d3, 0x13198a2e, idx), out[lane]);
    }
    assert_int_equal(rng_bits(0, 0, 0, 0, 1), 0xe169c58d);
    assert_int_equal(rng_stream(RNG_STREAM_DROPOUT, 3), (2u << 16) | 3u);
}

static void test_rng_fill_matches(void **state)
{
    (void)state;
    const uint64_t seed = 1234567890123ull;
    const uint32_t stream = rng_stream(RNG_STREAM_DROPOUT, 1);
    float buf[64];
    for (uint32_t idx0 = 0; idx0 < 9; idx0++) {
        for (uint32_t n = 0; n <= 37; n++) {
            for (uint32_t i = 0; i < 64; i++)
                buf[i] = -1.0f;
            rng_uniform_fill(seed, stream, 7, 11, idx0, n, buf);
            for (uint32_t i = 0; i < n; i++)
                assert_true(buf[i] == rng_uniform(seed, stream, 7, 11, idx0 + i));
            for (uint32_t i = n; i < 64; i++)
                assert_true(buf[i] == -1.0f); /* nothing written past n */
        }
    }
    /* wrap-around at the top of the index range */
    rng_uniform_fill(seed, stream, 0, 0, 0xfffffffdu, 6, buf);
    for (uint32_t i = 0; i < 6; i++)
        assert_true(buf[i] == rng_uniform(seed, stream, 0, 0, 0xfffffffdu + i));
}

static void test_rng_uniform_moments(void **state)
{
    (void)state;
    const uint32_t n = 1u << 20;
    float *u = malloc(n * sizeof *u);
    assert_non_null(u);
    rng_uniform_fill(42, rng_stream(RNG_STREAM_INIT, 0), 3, 0, 0, n, u);
    double sum = 0, sq = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_true(u[i] >= 0.0f && u[i] < 1.0f);
        sum += u[i];
        sq += (double)u[i] * u[i];
    }
    double mean = sum / n, var = sq / n - mean * mean;
    assert_true(fabs(mean - 0.5) < 0.002);
    assert_true(fabs(var - 1.0 / 12.0) < 0.001);
    free(u);
    assert_true(philox_to_uniform(0xffffffffu) < 1.0f);
    assert_true(philox_to_uniform(0) == 0.0f);
}

static int rng_count_equal(uint64_t s1, uint32_t st1, uint32_t a1, uint32_t b1, uint64_t s2,
                           uint32_t st2, uint32_t a2, uint32_t b2)
{
    int same = 0;
    for (uint32_t i = 0; i < 256; i++)
        same += rng_bits(s1, st1, a1, b1, i) == rng_bits(s2, st2, a2, b2, i);
    return same;
}

static void test_rng_streams_differ(void **state)
{
    (void)state;
    const uint32_t d = rng_stream(RNG_STREAM_DROPOUT, 0);
    assert_int_equal(rng_count_equal(5, d, 1, 2, 5, d, 1, 2), 256);
    assert_true(rng_count_equal(5, d, 1, 2, 5, rng_stream(RNG_STREAM_DROPOUT, 1), 1, 2) < 3);
    assert_true(rng_count_equal(5, d, 1, 2, 5, rng_stream(RNG_STREAM_INIT, 0), 1, 2) < 3);
    assert_true(rng_count_equal(5, d, 1, 2, 5, d, 1, 3) < 3);   /* rows differ */
    assert_true(rng_count_equal(5, d, 1, 2, 5, d, 2, 2) < 3);   /* steps differ */
    assert_true(rng_count_equal(5, d, 1, 2, 6, d, 1, 2) < 3);   /* seeds differ */
    assert_true(rng_count_equal(5, d, 1, 2, 5ull | (1ull << 32), d, 1, 2) < 3);
    /* consecutive elements are not repeats of each other */
    assert_true(rng_bits(5, d, 1, 2, 0) != rng_bits(5, d, 1, 2, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_kat),
        cmocka_unit_test(test_rng_layout),
        cmocka_unit_test(test_rng_fill_matches),
        cmocka_unit_test(test_rng_uniform_moments),
        cmocka_unit_test(test_rng_streams_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
