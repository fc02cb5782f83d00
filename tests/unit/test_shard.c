/* test_shard.c — batching layout, the too-short error, row splits among ranks, window contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "shard.h"

static void test_shard_layout(void **state)
{
    (void)state;
    shard_layout L;
    assert_int_equal(shard_layout_init(&L, 1001, 10, 10, "text"), 0);
    assert_int_equal(L.rows, 10);
    assert_int_equal(L.seq, 10);
    assert_int_equal(L.windows, 10); /* (1001 - 1) / 100 */
    assert_int_equal(L.stride, 100);
    assert_int_equal(shard_layout_init(&L, 1000, 10, 10, "text"), 0);
    assert_int_equal(L.windows, 9); /* the last target needs one more character */
    assert_int_equal(L.stride, 90);
    assert_int_equal(shard_layout_init(&L, 101, 10, 10, "text"), 0);
    assert_int_equal(L.windows, 1);
    assert_int_equal(shard_layout_init(&L, 1115394, 100, 100, "text"), 0);
    assert_int_equal(L.windows, 111);
    assert_int_equal(L.stride, 11100);
    assert_int_equal(shard_layout_init(&L, 7, 3, 2, "text"), 0);
    assert_int_equal(L.windows, 1);
    assert_int_equal(L.stride, 2);
}

static void test_shard_too_short(void **state)
{
    (void)state;
    shard_layout L;
    assert_int_equal(shard_layout_init(&L, 100, 10, 10, "training text of x.txt"), -1);
    assert_string_equal(error_message(),
                        "training text of x.txt has 100 characters; --batch 10 and --seq 10 "
                        "need at least 10*10+1 = 101 (lower --batch or --seq)");
    assert_int_equal(shard_layout_init(&L, 0, 1, 1, "t"), -1);
    assert_non_null(strstr(error_message(), "t has 0 characters"));
    assert_int_equal(shard_layout_init(&L, 100, 0, 10, "t"), -1);
    assert_int_equal(shard_layout_init(&L, 100, 10, 0, "t"), -1);
    assert_int_equal(shard_layout_init(&L, 100, SIZE_MAX / 2, 4, "t"), -1);
}

static void test_shard_rows_split(void **state)
{
    (void)state;
    for (size_t rows = 0; rows <= 23; rows++) {
        for (int P = 1; P <= 7; P++) {
            size_t next = 0, min = SIZE_MAX, max = 0;
            for (int r = 0; r < P; r++) {
                size_t first, count;
                shard_rows(rows, P, r, &first, &count);
                assert_int_equal(first, next); /* contiguous, in rank order: each row once */
                next += count;
                min = count < min ? count : min;
                max = count > max ? count : max;
                size_t want = rows / (size_t)P + ((size_t)r < rows % (size_t)P ? 1 : 0);
                assert_int_equal(count, want); /* the first rows % P ranks get one more */
            }
            assert_int_equal(next, rows);
            assert_true(max - min <= 1);
        }
    }
    size_t first, count;
    shard_rows(10, 4, 0, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, 3);
    shard_rows(10, 4, 1, &first, &count);
    assert_int_equal(first, 3);
    assert_int_equal(count, 3);
    shard_rows(10, 4, 2, &first, &count);
    assert_int_equal(first, 6);
    assert_int_equal(count, 2);
    shard_rows(10, 4, 3, &first, &count);
    assert_int_equal(first, 8);
    assert_int_equal(count, 2);
}

/* Every window of every rank's rows matches the text, time-major. */
static void tc_check_windows(const shard_layout *L, const uint32_t *ids, int P)
{
    int32_t *x = malloc(L->rows * L->seq * sizeof *x), *y = malloc(L->rows * L->seq * sizeof *y);
    for (int r = 0; r < P; r++) {
        size_t first, count;
        shard_rows(L->rows, P, r, &first, &count);
        for (size_t w = 0; w < L->windows; w++) {
            shard_window(L, ids, first, count, w, x, y);
            for (size_t t = 0; t < L->seq; t++) {
                for (size_t i = 0; i < count; i++) {
                    size_t pos = (first + i) * L->stride + w * L->seq + t;
                    assert_int_equal(x[t * count + i], (int32_t)ids[pos]);
                    assert_int_equal(y[t * count + i], (int32_t)ids[pos + 1]);
                }
            }
        }
    }
    free(x);
    free(y);
}

static void test_shard_windows(void **state)
{
    (void)state;
    const size_t n = 1000;
    uint32_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint32_t)i; /* the id is the position in the text */
    shard_layout L;
    assert_int_equal(shard_layout_init(&L, n, 7, 5, "text"), 0);
    assert_int_equal(L.windows, 28); /* 999 / 35 */
    for (int P = 1; P <= 7; P++)
        tc_check_windows(&L, ids, P);

    /* explicit values: rows 0..6 start at 0, 140, 280, ...; window 1 starts 5 in */
    int32_t x[35], y[35];
    shard_window(&L, ids, 0, 7, 1, x, y);
    assert_int_equal(x[0], 5);      /* t=0, row 0 */
    assert_int_equal(x[1], 145);    /* t=0, row 1: time-major */
    assert_int_equal(x[7], 6);      /* t=1, row 0 */
    assert_int_equal(y[0], 6);
    assert_int_equal(y[34], 6 * 140 + 5 + 4 + 1);
    /* the last target of row i is the first input of row i+1 */
    shard_window(&L, ids, 0, 7, L.windows - 1, x, y);
    for (size_t i = 0; i + 1 < 7; i++)
        assert_int_equal(y[4 * 7 + i], (int32_t)((i + 1) * L.stride));
    assert_int_equal(y[4 * 7 + 6], 7 * 140); /* the last row reads one past its end */
    /* a rank's subset of rows */
    int32_t xs[10], ys[10];
    shard_window(&L, ids, 3, 2, 0, xs, ys);
    assert_int_equal(xs[0], 420);
    assert_int_equal(xs[1], 560);
    assert_int_equal(xs[2], 421);
    assert_int_equal(ys[9], 565);
    free(ids);
}

static void test_shard_windows_exact(void **state)
{
    (void)state; /* n = rows*windows*seq + 1 exactly: the last target is the last character */
    const size_t n = 3 * 4 * 2 + 1;
    uint32_t ids[25];
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint32_t)(100 + i);
    shard_layout L;
    assert_int_equal(shard_layout_init(&L, n, 3, 2, "t"), 0);
    assert_int_equal(L.windows, 4);
    for (int P = 1; P <= 4; P++)
        tc_check_windows(&L, ids, P);
    int32_t x[6], y[6];
    shard_window(&L, ids, 0, 3, 3, x, y);
    assert_int_equal(y[5], 124);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_layout),
        cmocka_unit_test(test_shard_too_short),
        cmocka_unit_test(test_shard_rows_split),
        cmocka_unit_test(test_shard_windows),
        cmocka_unit_test(test_shard_windows_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
