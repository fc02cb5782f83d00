/* test_crc64.c — CRC-64/XZ: the standard check value, chaining, combining, and the fast paths against a bitwise reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crc64.h"

#include <stdlib.h>
#include <string.h>

/* One bit at a time, straight from the definition (reflected, all-ones init and xorout). */
static uint64_t tc_crc64_bitwise(const unsigned char *p, size_t n)
{
    uint64_t r = ~0ull;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int b = 0; b < 8; b++)
            r = (r >> 1) ^ (0xC96C5795D7870F42ull & (0 - (r & 1)));
    }
    return ~r;
}

static unsigned char *tc_noise(size_t n, uint32_t seed)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (unsigned char)(seed >> 24);
    }
    return p;
}

/* The catalogue's check value: CRC-64/XZ("123456789") = 0x995DC9BBDF1939FA. */
static void test_check_value(void **state)
{
    (void)state;
    assert_true(crc64_update(0, "123456789", 9) == 0x995DC9BBDF1939FAull);
    assert_true(crc64_update(0, "", 0) == 0);
    assert_true(crc64_update(0, NULL, 0) == 0);
}

/* Every length 0..200 at every alignment 0..7 agrees with the bitwise CRC. */
static void test_matches_bitwise(void **state)
{
    unsigned char *buf = tc_noise(256, 7);
    (void)state;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 200; n++)
            assert_true(crc64_update(0, buf + off, n) == tc_crc64_bitwise(buf + off, n));
    free(buf);
}

/* Around the switch to four lanes (4096 bytes), every length and alignment. */
static void test_lanes_match_bitwise(void **state)
{
    unsigned char *buf = tc_noise(8192 + 8, 5);
    (void)state;
    for (size_t off = 0; off < 8; off += 3)
        for (size_t n = 4000; n <= 4200; n++)
            assert_true(crc64_update(0, buf + off, n) == tc_crc64_bitwise(buf + off, n));
    assert_true(crc64_update(0, buf, 8192) == tc_crc64_bitwise(buf, 8192));
    free(buf);
}

/* crc64_combine joins the CRCs of two parts, whatever their lengths. */
static void test_combine(void **state)
{
    size_t n = 70001;
    unsigned char *buf = tc_noise(n, 9);
    uint64_t whole = tc_crc64_bitwise(buf, n);
    (void)state;
    for (size_t cut = 0; cut <= n; cut += 1013) {
        uint64_t a = crc64_update(0, buf, cut), b = crc64_update(0, buf + cut, n - cut);
        assert_true(crc64_combine(a, b, n - cut) == whole);
    }
    assert_true(crc64_combine(0x995DC9BBDF1939FAull, 0, 0) == 0x995DC9BBDF1939FAull);
    free(buf);
}

/* Split anywhere, the chained CRC is the CRC of the whole. */
static void test_chaining(void **state)
{
    size_t n = 100003;
    unsigned char *buf = tc_noise(n, 11);
    uint64_t whole = crc64_update(0, buf, n);
    (void)state;
    assert_true(whole == tc_crc64_bitwise(buf, n));
    for (size_t cut = 0; cut <= n; cut += 997)
        assert_true(crc64_update(crc64_update(0, buf, cut), buf + cut, n - cut) == whole);
    free(buf);
}

/* Any single flipped bit changes the CRC. */
static void test_detects_bit_flips(void **state)
{
    size_t n = 4099;
    unsigned char *buf = tc_noise(n, 3);
    uint64_t good = crc64_update(0, buf, n);
    (void)state;
    for (size_t i = 0; i < n; i += 13) {
        buf[i] ^= (unsigned char)(1u << (i % 8));
        assert_true(crc64_update(0, buf, n) != good);
        buf[i] ^= (unsigned char)(1u << (i % 8));
    }
    assert_true(crc64_update(0, buf, n) == good);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_matches_bitwise),
        cmocka_unit_test(test_lanes_match_bitwise),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_detects_bit_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
