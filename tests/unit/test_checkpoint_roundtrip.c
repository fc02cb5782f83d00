/* test_checkpoint_roundtrip.c — checkpoints written and read back unchanged
 * (checkpoint_writer.c, checkpoint_image.c, checkpoint_reader.c): every cell,
 * datasets of several chunks, the same bytes for the same checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void tc_roundtrip(cell_kind cell)
{
    char dir[64], path[PATH_MAX], target[PATH_MAX];
    checkpoint a, b;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&a, cell, 7, 3, 2, 5, 123);
    ssize_t ids = tc_h5_ids();
    assert_int_equal(checkpoint_write(dir, &a, 5, path, sizeof path), 0);
    assert_true(strstr(path, "/ckpt-00000123.h5") != NULL);
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, "ckpt-00000123.h5");
    assert_int_equal(checkpoint_read(path, &b), 0);
    tc_same(&a, &b);
    assert_string_equal(checkpoint_option(&b, "lr"), "0.002");
    assert_null(checkpoint_option(&b, "nope"));
    assert_int_equal(tc_count_hidden(dir), 0);
    assert_int_equal(tc_h5_ids(), ids);
    checkpoint_free(&a);
    checkpoint_free(&b);
    tc_rmtree(dir);
}

static void test_roundtrip_lstm(void **state) { (void)state; tc_roundtrip(CELL_LSTM); }
static void test_roundtrip_gru(void **state) { (void)state; tc_roundtrip(CELL_GRU); }
static void test_roundtrip_rnn(void **state) { (void)state; tc_roundtrip(CELL_RNN); }

/* Larger than one chunk (1M elements): exercises multi-chunk datasets. */
static void test_roundtrip_multichunk(void **state)
{
    char dir[64], path[PATH_MAX];
    checkpoint a, b;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&a, CELL_GRU, 300, 300, 3, 9, 1);
    assert_true(a.layout.n_params > (1u << 20));
    assert_int_equal(checkpoint_write(dir, &a, 1, path, sizeof path), 0);
    assert_int_equal(checkpoint_read(path, &b), 0);
    tc_same(&a, &b);
    checkpoint_free(&a);
    checkpoint_free(&b);
    tc_rmtree(dir);
}

/* The same checkpoint gives the same bytes (no timestamps in the file). */
static void test_reproducible_bytes(void **state)
{
    char d1[64], d2[64], p1[PATH_MAX], p2[PATH_MAX];
    size_t n1, n2;
    (void)state;
    tc_mkdtemp(d1, sizeof d1);
    tc_mkdtemp(d2, sizeof d2);
    tc_write(d1, 5, 5, p1, sizeof p1);
    sleep(1);
    tc_write(d2, 5, 5, p2, sizeof p2);
    char *a = tc_slurp(p1, &n1), *b = tc_slurp(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    tc_rmtree(d1);
    tc_rmtree(d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_lstm),
        cmocka_unit_test(test_roundtrip_gru),
        cmocka_unit_test(test_roundtrip_rnn),
        cmocka_unit_test(test_roundtrip_multichunk),
        cmocka_unit_test(test_reproducible_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
