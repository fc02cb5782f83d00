/* test_checkpoint_seal.c — the header in the user block (checkpoint_seal.c):
 * written with the payload's length and CRC-64; any damaged byte, the global heap's
 * included, a damaged or foreign header, a file longer than it says: refused. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint.h"
#include "checkpoint_seal.h"
#include "crc64.h"
#include "error.h"

#include <hdf5.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *tc_read_all(const char *path, size_t *n)
{
    char *buf = tc_slurp(path, n);
    return (unsigned char *)buf;
}

static void tc_write_all(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The header: text in the 512-byte user block that HDF5 records and skips. */
static void test_header_written(void **state)
{
    char dir[64], path[PATH_MAX], want[64];
    size_t n;
    hsize_t block = 0;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 4, 5, path, sizeof path);
    unsigned char *buf = tc_read_all(path, &n);
    assert_memory_equal(buf, "charnn checkpoint\nformat 1\npayload-bytes ", 41);
    snprintf(want, sizeof want, "\npayload-bytes %zu\n", n - CK_SEAL_BYTES);
    assert_non_null(strstr((char *)buf, want));
    snprintf(want, sizeof want, "\npayload-crc64 %016" PRIx64 "\n",
             crc64_update(0, buf + CK_SEAL_BYTES, n - CK_SEAL_BYTES));
    assert_non_null(strstr((char *)buf, want));
    assert_memory_equal(buf + CK_SEAL_BYTES, "\x89HDF\r\n\x1a\n", 8);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), fcpl = H5Fget_create_plist(f);
    assert_true(H5Pget_userblock(fcpl, &block) >= 0);
    assert_int_equal(block, CK_SEAL_BYTES);
    H5Pclose(fcpl);
    H5Fclose(f);
    free(buf);
    tc_rmtree(dir);
}

/* Every byte of the file inverted in turn (header, superblock, object
 * headers, the global heap of the strings, the data): always refused,
 * before HDF5 reads anything. */
static void test_read_damage_sweep(void **state)
{
    char dir[64], path[PATH_MAX];
    size_t n;
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 4, 5, path, sizeof path);
    unsigned char *buf = tc_read_all(path, &n);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char bad = (unsigned char)(buf[i] ^ 0xFF);
        assert_int_equal(pwrite(fd, &bad, 1, (off_t)i), 1);
        assert_int_equal(checkpoint_read(path, &ck), -1);
        if (!strstr(error_message(), "' is corrupted ("))
            fail_msg("offset %zu: %s", i, error_message());
        assert_int_equal(pwrite(fd, buf + i, 1, (off_t)i), 1);
    }
    close(fd);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    checkpoint_free(&ck);
    free(buf);
    tc_rmtree(dir);
}

/* 8 bytes inverted in HDF5's global heap (the variable-length strings of
 * /model@cell and /options), which no HDF5 checksum covers. */
static void test_read_heap_damage(void **state)
{
    char dir[64], path[PATH_MAX];
    size_t n;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 4, 5, path, sizeof path);
    unsigned char *buf = tc_read_all(path, &n);
    unsigned char *heap = memmem(buf, n, "GCOL", 4);
    assert_non_null(heap);
    for (int i = 48; i < 56; i++)
        heap[i] ^= 0xFF;
    tc_write_all(path, buf, n);
    tc_read_fails(path, "' is corrupted (checksum mismatch)");
    free(buf);
    tc_rmtree(dir);
}

/* Replaces the header by `text` (NUL-padded); with `sign`, followed by
 * its own "header-crc64" line, as a writer of that text would add. */
static void tc_set_header(const char *path, const char *text, int sign)
{
    unsigned char block[CK_SEAL_BYTES] = {0};
    size_t len = strlen(text);
    memcpy(block, text, len);
    if (sign)
        snprintf((char *)block + len, sizeof block - len, "header-crc64 %016" PRIx64 "\n",
                 crc64_update(0, text, len));
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, block, sizeof block, 0), (ssize_t)sizeof block);
    close(fd);
}

/* A damaged or foreign header is refused; so is a file longer than it says. */
static void test_read_damaged_header(void **state)
{
    char dir[64], path[PATH_MAX], text[256];
    size_t n;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 4, 5, path, sizeof path);
    unsigned char *good = tc_read_all(path, &n);
    snprintf(text, sizeof text, "%.*s", (int)(strstr((char *)good, "header-crc64") - (char *)good),
             (char *)good);
    tc_set_header(path, "charnn checkpoint\nformat 2\nwhatever 7\n", 1);
    tc_read_fails(path, "' has format 2; this charnn reads format 1");
    tc_set_header(path, "charnn checkpoint\nformat one\n", 1);
    tc_read_fails(path, "' is corrupted (damaged header)");
    tc_set_header(path, text, 0); /* no header-crc64 line */
    tc_read_fails(path, "' is corrupted (damaged header)");
    tc_set_header(path, "charnn checkpoint\nformat 1\npayload-bytes 0\npayload-crc64 0\n", 1);
    tc_read_fails(path, "' is corrupted (damaged header)"); /* not as the writer writes it */
    tc_write_all(path, good, n);
    FILE *f = fopen(path, "ab");
    fputc(0, f);
    fclose(f);
    tc_read_fails(path, "' is corrupted (");
    assert_non_null(strstr(error_message(), "bytes, the header says"));
    free(good);
    tc_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_written),
        cmocka_unit_test(test_read_damage_sweep),
        cmocka_unit_test(test_read_heap_damage),
        cmocka_unit_test(test_read_damaged_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
