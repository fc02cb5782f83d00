/* test_checkpoint_guard.c — files refused before HDF5 parses them
 * (checkpoint_guard.c): missing, not a regular file, not HDF5, truncated,
 * a flipped data byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint.h"
#include "error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATTERN_BITS 0x12345678u

static void test_read_missing(void **state)
{
    (void)state;
    tc_read_fails("/nonexistent/charnn/ckpt-00000001.h5", "No such file or directory");
    assert_non_null(strstr(error_message(), "/nonexistent/charnn/ckpt-00000001.h5"));
}

static void test_read_not_hdf5(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/junk.h5", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 1000; i++)
        fputs("not an hdf5 file\n", f);
    fclose(f);
    tc_capture_begin();
    tc_read_fails(path, "not an HDF5 file or truncated");
    assert_int_equal(tc_capture_end(), 0);
    assert_non_null(strstr(error_message(), path));
    tc_read_fails(dir, "not a regular file");
    tc_rmtree(dir);
}

static void tc_truncate_copy(const char *src, const char *dst)
{
    struct stat st;
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_int_equal(stat(src, &st), 0);
    char *buf = malloc((size_t)st.st_size);
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, in), (size_t)st.st_size);
    assert_int_equal(fwrite(buf, 1, (size_t)st.st_size / 2, out), (size_t)st.st_size / 2);
    fclose(in);
    fclose(out);
    free(buf);
}

static off_t tc_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Cut in half: the header's length tells; without the header, HDF5 does. */
static void test_read_truncated(void **state)
{
    char dir[64], path[PATH_MAX], half[PATH_MAX], want[128];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 1, 5, path, sizeof path);
    snprintf(half, sizeof half, "%s/half.h5", dir);
    tc_truncate_copy(path, half);
    snprintf(want, sizeof want, "' is truncated (%lld of %lld bytes)",
             (long long)tc_size(path) / 2, (long long)tc_size(path));
    tc_capture_begin();
    tc_read_fails(half, want);
    assert_int_equal(tc_capture_end(), 0);
    assert_non_null(strstr(error_message(), half));
    assert_int_equal(truncate(half, 100), 0); /* inside the header */
    tc_read_fails(half, "is truncated (100 bytes, less than its 512-byte header)");
    tc_unseal(path);
    tc_truncate_copy(path, half);
    tc_capture_begin();
    tc_read_fails(half, "not an HDF5 file or truncated");
    assert_int_equal(tc_capture_end(), 0);
    tc_rmtree(dir);
}

/* Offset of the first run of 16 PATTERN_BITS floats in the file. */
static long tc_find_pattern(const unsigned char *buf, size_t n)
{
    unsigned char pat[64];
    float f = tc_bits(PATTERN_BITS);
    for (int i = 0; i < 16; i++)
        memcpy(pat + 4 * i, &f, 4);
    for (size_t i = 0; i + sizeof pat <= n; i++)
        if (memcmp(buf + i, pat, sizeof pat) == 0)
            return (long)i;
    return -1;
}

static void tc_flip_byte_in_params(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    unsigned char *buf = malloc((size_t)st.st_size);
    FILE *f = fopen(path, "r+b");
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    long at = tc_find_pattern(buf, (size_t)st.st_size);
    assert_true(at >= 0);
    buf[at + 21] ^= 0x40;
    assert_int_equal(fseek(f, at + 21, SEEK_SET), 0);
    fputc(buf[at + 21], f);
    fclose(f);
    free(buf);
}

/* A flipped data byte: the CRC-64 finds it first; without the header,
 * the Fletcher-32 checksum of the chunk does. */
static void test_read_flipped_byte(void **state)
{
    char dir[64], path[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&ck, CELL_LSTM, 7, 3, 2, 4, 9);
    for (size_t i = 0; i < ck.layout.n_params; i++)
        ck.params[i] = tc_bits(PATTERN_BITS);
    assert_int_equal(checkpoint_write(dir, &ck, 5, path, sizeof path), 0);
    checkpoint_free(&ck);
    tc_flip_byte_in_params(path);
    tc_capture_begin();
    tc_read_fails(path, "' is corrupted (checksum mismatch)");
    assert_int_equal(tc_capture_end(), 0);
    tc_unseal(path);
    tc_capture_begin();
    tc_read_fails(path, "is corrupted (checksum or read error)");
    assert_int_equal(tc_capture_end(), 0);
    assert_non_null(strstr(error_message(), "dataset /model/"));
    tc_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_missing),
        cmocka_unit_test(test_read_not_hdf5),
        cmocka_unit_test(test_read_truncated),
        cmocka_unit_test(test_read_flipped_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
