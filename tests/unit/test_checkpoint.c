/* test_checkpoint.c — checkpoint write/read round trips, pruning, atomicity and validation. */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint.h"
#include "checkpoint_seal.h"
#include "crc64.h"
#include "error.h"

#include <hdf5.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATTERN_BITS 0x12345678u

/* ------------------------------------------------------------ helpers */

static char *tc_strdup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    assert_non_null(d);
    strcpy(d, s);
    return d;
}

static void tc_mkdtemp(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/charnn-ckpt-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static int tc_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tc_rmtree(const char *dir)
{
    nftw(dir, tc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static float tc_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Deterministic float bit patterns (finite; -0.0 and a denormal included). */
static void tc_fill(float *x, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = tc_bits((s & 0x807fffffu) | ((64u + (s >> 25)) << 23));
    }
    if (n > 2) {
        x[0] = tc_bits(0x80000000u);
        x[1] = tc_bits(0x00000001u);
    }
}

static void tc_set_options(checkpoint *ck)
{
    static const char *const kv[][2] = {
        {"seed", "1234"}, {"lr", "0.002"}, {"cell", "lstm"}, {"data", "input \xc3\xa9.txt"}};
    ck->n_options = 4;
    ck->option_keys = malloc(4 * sizeof(char *));
    ck->option_values = malloc(4 * sizeof(char *));
    for (size_t i = 0; i < 4; i++) {
        ck->option_keys[i] = tc_strdup(kv[i][0]);
        ck->option_values[i] = tc_strdup(kv[i][1]);
    }
}

/* A checkpoint with every field set; free it with checkpoint_free. */
static void tc_make(checkpoint *ck, cell_kind cell, size_t vocab, size_t hidden, size_t layers,
                    size_t rows, uint64_t step)
{
    memset(ck, 0, sizeof *ck);
    param_layout_init(&ck->layout, cell, vocab, hidden, layers);
    size_t np = ck->layout.n_params, ns = rows * layers * hidden;
    ck->vocab = malloc(vocab * sizeof *ck->vocab);
    for (size_t i = 0; i < vocab; i++)
        ck->vocab[i] = (uint32_t)(i == 0 ? 10 : 31 + 7 * i + (i > 3 ? 0x4e00 : 0));
    ck->params = malloc(np * sizeof(float));
    ck->adam_m = malloc(np * sizeof(float));
    ck->adam_v = malloc(np * sizeof(float));
    ck->h = malloc(ns * sizeof(float));
    tc_fill(ck->params, np, 1);
    tc_fill(ck->adam_m, np, 2);
    tc_fill(ck->adam_v, np, 3);
    tc_fill(ck->h, ns, 4);
    if (cell == CELL_LSTM) {
        ck->c = malloc(ns * sizeof(float));
        tc_fill(ck->c, ns, 5);
    }
    ck->windows = 7;
    ck->step = step;
    ck->epoch = step / ck->windows;
    ck->window = step % ck->windows;
    ck->rows = rows;
    ck->seq = 11;
    ck->loss = 1.2345678901234567;
    tc_set_options(ck);
}

static void tc_same_floats(const float *a, const float *b, size_t n)
{
    assert_true((a == NULL) == (b == NULL));
    if (a)
        assert_memory_equal(a, b, n * sizeof *a);
}

static void tc_same(const checkpoint *a, const checkpoint *b)
{
    const param_layout *p = &a->layout;
    size_t ns = a->rows * p->layers * p->hidden;
    assert_int_equal(p->cell, b->layout.cell);
    assert_int_equal(p->vocab, b->layout.vocab);
    assert_int_equal(p->hidden, b->layout.hidden);
    assert_int_equal(p->layers, b->layout.layers);
    assert_int_equal(p->n_params, b->layout.n_params);
    assert_memory_equal(a->vocab, b->vocab, p->vocab * sizeof *a->vocab);
    tc_same_floats(a->params, b->params, p->n_params);
    tc_same_floats(a->adam_m, b->adam_m, p->n_params);
    tc_same_floats(a->adam_v, b->adam_v, p->n_params);
    tc_same_floats(a->h, b->h, ns);
    tc_same_floats(a->c, b->c, ns);
    assert_int_equal(a->step, b->step);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->window, b->window);
    assert_int_equal(a->windows, b->windows);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->seq, b->seq);
    assert_memory_equal(&a->loss, &b->loss, sizeof a->loss);
    assert_int_equal(a->n_options, b->n_options);
    for (size_t i = 0; i < a->n_options; i++) {
        assert_string_equal(a->option_keys[i], b->option_keys[i]);
        assert_string_equal(a->option_values[i], b->option_values[i]);
    }
}

/* Writes a small LSTM checkpoint at `step` into dir; its path into path. */
static void tc_write(const char *dir, uint64_t step, size_t keep, char *path, size_t len)
{
    checkpoint ck;
    tc_make(&ck, CELL_LSTM, 7, 3, 2, 4, step);
    assert_int_equal(checkpoint_write(dir, &ck, keep, path, len), 0);
    checkpoint_free(&ck);
}

static size_t tc_count_ckpts(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, "ckpt-", 5) == 0;
    closedir(d);
    return n;
}

/* Names in dir that start with '.' and are not . or .. (temporaries). */
static size_t tc_count_hidden(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static void tc_readlink(const char *dir, char *target, size_t len)
{
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/latest.h5", dir);
    ssize_t n = readlink(link, target, len - 1);
    assert_true(n > 0);
    target[n] = 0;
}

static int tc_exists(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

/* Open HDF5 files, groups, datasets, attributes and datatypes (transient
 * ones included): what the checkpoint files open must all be closed again. */
static ssize_t tc_h5_ids(void)
{
    return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
}

/* Expects checkpoint_read(path) to fail with a message containing `what`. */
static void tc_read_fails(const char *path, const char *what)
{
    checkpoint ck;
    ssize_t ids = tc_h5_ids();
    assert_int_equal(checkpoint_read(path, &ck), -1);
    assert_int_equal(tc_h5_ids(), ids);
    if (!strstr(error_message(), what))
        fail_msg("error '%s' lacks '%s'", error_message(), what);
    assert_string_not_equal(error_message(), "");
    assert_null(ck.params);
    assert_null(ck.layout.tensors);
}

/* Clears the header (the user block's 512 bytes), as for a checkpoint
 * edited in place: charnn then reads it like any HDF5 file, unchecked. */
static void tc_unseal(const char *path)
{
    unsigned char zeros[CK_SEAL_BYTES] = {0};
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, zeros, sizeof zeros, 0), (ssize_t)sizeof zeros);
    close(fd);
}

/* ------------------------------------------------- stderr capture */

static int tc_saved_stderr = -1;
static char tc_stderr_file[64];

static void tc_capture_begin(void)
{
    snprintf(tc_stderr_file, sizeof tc_stderr_file, "/tmp/charnn-ckpt-err-XXXXXX");
    int fd = mkstemp(tc_stderr_file);
    assert_true(fd >= 0);
    fflush(stderr);
    tc_saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* Bytes written to stderr since tc_capture_begin. */
static long tc_capture_end(void)
{
    struct stat st;
    fflush(stderr);
    dup2(tc_saved_stderr, 2);
    close(tc_saved_stderr);
    assert_int_equal(stat(tc_stderr_file, &st), 0);
    unlink(tc_stderr_file);
    return (long)st.st_size;
}

/* --------------------------------------------------------- round trip */

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

static char *tc_slurp(const char *path, size_t *n)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fstat(fileno(f), &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    *n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return buf;
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

static void test_creates_nested_dir(void **state)
{
    char dir[64], sub[128], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/a/b//c/", dir);
    tc_write(sub, 3, 5, path, sizeof path);
    assert_true(tc_exists(sub, "ckpt-00000003.h5"));
    assert_true(tc_exists(sub, "latest.h5"));
    tc_rmtree(dir);
}

/* ------------------------------------------------- latest and keep */

static void test_latest_points_to_newest(void **state)
{
    char dir[64], path[PATH_MAX], target[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 5, path, sizeof path);
    tc_write(dir, 200, 5, path, sizeof path);
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, "ckpt-00000200.h5");
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_int_equal(ck.step, 200);
    checkpoint_free(&ck);
    assert_int_equal(tc_count_ckpts(dir), 2);
    assert_int_equal(tc_count_hidden(dir), 0);
    tc_rmtree(dir);
}

static void test_keep_prunes(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    for (uint64_t s = 1; s <= 5; s++)
        tc_write(dir, s * 10, 2, path, sizeof path);
    assert_int_equal(tc_count_ckpts(dir), 2);
    assert_true(tc_exists(dir, "ckpt-00000040.h5"));
    assert_true(tc_exists(dir, "ckpt-00000050.h5"));
    tc_rmtree(dir);
}

/* Resumed from an older step: the new file is latest and must survive. */
static void test_keep_never_removes_latest(void **state)
{
    char dir[64], path[PATH_MAX], target[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 10, 5, path, sizeof path);
    tc_write(dir, 20, 5, path, sizeof path);
    tc_write(dir, 5, 1, path, sizeof path);
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, "ckpt-00000005.h5");
    assert_true(tc_exists(dir, "ckpt-00000005.h5"));
    assert_true(tc_exists(dir, "ckpt-00000020.h5"));
    assert_false(tc_exists(dir, "ckpt-00000010.h5"));
    tc_rmtree(dir);
}

/* Other files in the directory are never touched by pruning. */
static void test_keep_ignores_other_files(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ckpt-notes.h5", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    fclose(fopen(path, "w"));
    tc_write(dir, 1, 1, path, sizeof path);
    tc_write(dir, 2, 1, path, sizeof path);
    assert_true(tc_exists(dir, "ckpt-notes.h5"));
    assert_true(tc_exists(dir, "metrics.jsonl"));
    assert_false(tc_exists(dir, "ckpt-00000001.h5"));
    tc_rmtree(dir);
}

/* --------------------------------------------------- failed writes */

static void tc_assert_latest_is(const char *dir, const char *name, uint64_t step)
{
    char target[PATH_MAX], path[PATH_MAX];
    checkpoint ck;
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, name);
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_int_equal(ck.step, step);
    checkpoint_free(&ck);
}

static void test_write_fails_under_regular_file(void **state)
{
    char dir[64], bad[PATH_MAX], path[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 5, path, sizeof path);
    snprintf(bad, sizeof bad, "%s/ckpt-00000100.h5/sub", dir);
    tc_make(&ck, CELL_RNN, 7, 3, 2, 4, 200);
    path[0] = 0;
    assert_int_equal(checkpoint_write(bad, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), bad));
    assert_non_null(strstr(error_message(), "Not a directory"));
    assert_string_equal(path, "");
    tc_assert_latest_is(dir, "ckpt-00000100.h5", 100);
    assert_int_equal(tc_count_ckpts(dir), 1);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

static size_t tc_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A write that runs out of space (RLIMIT_FSIZE: EFBIG) mid-file. */
static void test_write_fails_file_too_large(void **state)
{
    char dir[64], path[PATH_MAX];
    struct rlimit old, small;
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 1, path, sizeof path);
    tc_make(&ck, CELL_LSTM, 50, 64, 2, 8, 200);
    size_t fds = tc_open_fds();
    ssize_t ids = tc_h5_ids();
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    tc_capture_begin();
    int rc = checkpoint_write(dir, &ck, 1, path, sizeof path);
    long noise = tc_capture_end();
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_int_equal(noise, 0);
    assert_non_null(strstr(error_message(), "ckpt-00000200.h5"));
    assert_non_null(strstr(error_message(), "File too large"));
    assert_int_equal(tc_count_hidden(dir), 0);
    assert_int_equal(tc_count_ckpts(dir), 1);
    assert_int_equal(tc_open_fds(), fds);
    assert_int_equal(tc_h5_ids(), ids);
    tc_assert_latest_is(dir, "ckpt-00000100.h5", 100);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

static void test_write_rejects_inconsistent(void **state)
{
    char dir[64], path[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&ck, CELL_GRU, 7, 3, 2, 4, 1);
    ck.c = malloc(4 * 2 * 3 * sizeof(float));
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "cell state given for a non-LSTM model"));
    free(ck.c);
    ck.c = NULL;
    ck.epoch++;
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "epoch and window do not match"));
    ck.epoch--;
    ck.vocab[3] = ck.vocab[2];
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "vocabulary"));
    assert_int_equal(tc_count_ckpts(dir), 0);
    assert_int_equal(tc_count_hidden(dir), 0);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

/* -------------------------------------------------- unreadable files */

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

/* ----------------------------------------------- the header, CRC-64 */

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

/* ------------------------------------------- files edited with HDF5 */

/* Closes a file edited with HDF5 and clears its (now stale) header, so
 * that the edit reaches the HDF5-level checks. */
static void tc_h5_close(hid_t f, const char *path)
{
    assert_true(H5Fclose(f) >= 0);
    tc_unseal(path);
}

static hid_t tc_h5_open(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

/* Replaces dataset `name` by a float32 one of the given shape (zeros). */
static void tc_h5_replace(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims)
{
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    double *zeros = calloc(n, sizeof *zeros);
    H5Ldelete(f, name, H5P_DEFAULT);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    free(zeros);
}

/* Replaces attribute obj/name by a scalar of `type` holding *val (mtype). */
static void tc_h5_attr(hid_t f, const char *obj, const char *name, hid_t type, hid_t mtype,
                       const void *val)
{
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    assert_true(o >= 0);
    H5Adelete(o, name);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, mtype, val) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Oclose(o);
}

static void tc_fresh(char *dir, size_t dlen, char *path, size_t plen)
{
    tc_mkdtemp(dir, dlen);
    tc_write(dir, 21, 5, path, plen);
}

static void test_read_wrong_shape(void **state)
{
    char dir[64], path[PATH_MAX];
    hsize_t dims[2] = {12, 4};
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_replace(f, "/model/rnn.weight_hh_l1", H5T_IEEE_F32LE, 2, dims);
    tc_h5_close(f, path);
    tc_read_fails(path, "dataset /model/rnn.weight_hh_l1 has shape (12, 4), expected (12, 3)");
    f = tc_h5_open(path);
    tc_h5_replace(f, "/model/rnn.weight_hh_l1", H5T_IEEE_F32LE, 1, dims);
    tc_h5_close(f, path);
    tc_read_fails(path, "has shape (12,), expected (12, 3)");
    tc_rmtree(dir);
}

static void test_read_wrong_state_rows(void **state)
{
    char dir[64], path[PATH_MAX];
    hsize_t dims[3] = {5, 2, 3};
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_replace(f, "/state/c", H5T_IEEE_F32LE, 3, dims);
    tc_h5_close(f, path);
    tc_read_fails(path, "dataset /state/c has shape (5, 2, 3), expected (4, 2, 3)");
    tc_rmtree(dir);
}

static void test_read_wrong_type(void **state)
{
    char dir[64], path[PATH_MAX];
    hsize_t n = 7;
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_replace(f, "/model/decoder.bias", H5T_STD_I32LE, 1, &n);
    tc_h5_close(f, path);
    tc_read_fails(path, "dataset /model/decoder.bias is not of a floating-point type");
    tc_rmtree(dir);
}

static void test_read_missing_dataset(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    H5Ldelete(f, "/optim/adam_v", H5P_DEFAULT);
    tc_h5_close(f, path);
    tc_read_fails(path, "missing dataset /optim/adam_v");
    f = tc_h5_open(path);
    H5Ldelete(f, "/model/rnn.bias_ih_l1", H5P_DEFAULT);
    tc_h5_close(f, path);
    tc_read_fails(path, "missing dataset /model/rnn.bias_ih_l1");
    f = tc_h5_open(path);
    H5Ldelete(f, "/state", H5P_DEFAULT);
    tc_h5_close(f, path);
    tc_read_fails(path, "missing dataset /");
    tc_rmtree(dir);
}

/* A GRU file with an LSTM's /state/c, or an LSTM file relabelled gru. */
static void test_read_cell_mismatch(void **state)
{
    char dir[64], path[PATH_MAX];
    const char *gru = "gru";
    hsize_t dims[3] = {4, 2, 3};
    checkpoint ck;
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&ck, CELL_GRU, 7, 3, 2, 4, 1);
    assert_int_equal(checkpoint_write(dir, &ck, 5, path, sizeof path), 0);
    checkpoint_free(&ck);
    hid_t f = tc_h5_open(path);
    tc_h5_replace(f, "/state/c", H5T_IEEE_F32LE, 3, dims);
    tc_h5_close(f, path);
    tc_read_fails(path, "unexpected dataset /state/c for a gru model");
    tc_write(dir, 2, 5, path, sizeof path);
    f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "cell", str, str, &gru);
    tc_h5_close(f, path);
    H5Tclose(str);
    tc_read_fails(path, "dataset /model/rnn.weight_ih_l0 has shape (12, 7), expected (9, 7)");
    tc_rmtree(dir);
}

static void test_read_wrong_attribute(void **state)
{
    char dir[64], path[PATH_MAX];
    const char *text = "three";
    int64_t zero = 0, minus = -3, big = 70000;
    double x = 3.0;
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "hidden_size", str, str, &text);
    tc_h5_close(f, path);
    tc_read_fails(path, "attribute /model/hidden_size is not an integer");
    f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "hidden_size", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &x);
    tc_h5_close(f, path);
    tc_read_fails(path, "attribute /model/hidden_size is not an integer");
    f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "hidden_size", H5T_STD_I64LE, H5T_NATIVE_INT64, &big);
    tc_h5_attr(f, "/model", "vocab_size", H5T_STD_I64LE, H5T_NATIVE_INT64, &zero);
    tc_h5_close(f, path);
    tc_read_fails(path, "attribute /model/vocab_size = 0 is out of range [1, 2097152]");
    f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "vocab_size", H5T_STD_I64LE, H5T_NATIVE_INT64, &minus);
    tc_h5_close(f, path);
    tc_read_fails(path, "attribute /model/vocab_size = -3 is negative");
    H5Tclose(str);
    tc_rmtree(dir);
}

static void test_read_bad_cell_and_train(void **state)
{
    char dir[64], path[PATH_MAX];
    const char *cell = "transformer";
    uint64_t epoch = 99;
    int64_t three = 3;
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_attr(f, "/train", "epoch", H5T_STD_U64LE, H5T_NATIVE_UINT64, &epoch);
    tc_h5_close(f, path);
    tc_read_fails(path, "/train: epoch 99 and window 0 do not match step 21");
    f = tc_h5_open(path);
    H5Adelete_by_name(f, "/train", "loss", H5P_DEFAULT);
    tc_h5_close(f, path);
    tc_read_fails(path, "missing attribute /train/");
    f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "cell", str, str, &cell);
    tc_h5_attr(f, "/model", "num_layers", H5T_STD_I64LE, H5T_NATIVE_INT64, &three);
    tc_h5_close(f, path);
    tc_read_fails(path, "attribute /model/cell is 'transformer', expected lstm, gru or rnn");
    H5Tclose(str);
    tc_rmtree(dir);
}

static void test_read_bad_vocab(void **state)
{
    char dir[64], path[PATH_MAX];
    uint32_t dup[7] = {10, 20, 20, 30, 40, 50, 60}, sur[7] = {10, 20, 0xD800, 0xE000, 0xE001, 0xE002, 0xE003};
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    hid_t d = H5Dopen2(f, "/vocab", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, dup);
    H5Dclose(d);
    tc_h5_close(f, path);
    tc_read_fails(path, "/vocab is not strictly increasing at index 2");
    f = tc_h5_open(path);
    d = H5Dopen2(f, "/vocab", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, sur);
    H5Dclose(d);
    tc_h5_close(f, path);
    tc_read_fails(path, "/vocab[2] = 55296 is not a Unicode code point");
    tc_rmtree(dir);
}

/* What h5py writes by default: fixed-length strings, float64 arrays,
 * int32 vocab, options without creation order. All of it converts. */
static void test_read_converts_types(void **state)
{
    char dir[64], path[PATH_MAX];
    hsize_t dims[2] = {7, 3}, n = 7;
    checkpoint ck;
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 4);
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_attr(f, "/model", "cell", str, str, "lstm");
    tc_h5_attr(f, "/options", "seed", str, str, "4321");
    tc_h5_replace(f, "/model/decoder.weight", H5T_IEEE_F64LE, 2, dims);
    tc_h5_replace(f, "/vocab", H5T_STD_I32LE, 1, &n);
    tc_h5_close(f, path);
    H5Tclose(str);
    assert_int_equal(checkpoint_read(path, &ck), -1); /* vocab all zero */
    assert_non_null(strstr(error_message(), "/vocab is not strictly increasing at index 1"));
    uint32_t v[7] = {1, 2, 3, 4, 5, 6, 0x10FFFF};
    f = tc_h5_open(path);
    hid_t d = H5Dopen2(f, "/vocab", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d);
    tc_h5_close(f, path);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_int_equal(ck.layout.cell, CELL_LSTM);
    assert_string_equal(checkpoint_option(&ck, "seed"), "4321");
    assert_int_equal(ck.vocab[6], 0x10FFFF);
    assert_true(ck.params[ck.layout.tensors[param_dec_w(&ck.layout)].offset] == 0.0f);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

/* Edited in place with HDF5 (h5py's "r+"), the header goes stale: charnn
 * refuses the file until the header is cleared. */
static void test_read_edit_needs_unseal(void **state)
{
    char dir[64], path[PATH_MAX];
    checkpoint ck;
    double loss = 2.5;
    (void)state;
    tc_fresh(dir, sizeof dir, path, sizeof path);
    hid_t f = tc_h5_open(path);
    tc_h5_attr(f, "/train", "loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &loss);
    assert_true(H5Fclose(f) >= 0);
    tc_read_fails(path, "' is corrupted (checksum mismatch)");
    tc_unseal(path);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_true(ck.loss == 2.5);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

/* Copies every top-level object of src into a new file dst without a
 * user block: what h5py would write from the same data. */
static void tc_copy_without_block(const char *src, const char *dst)
{
    static const char *const names[] = {"model", "vocab", "optim", "train", "state", "options"};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t in = H5Fopen(src, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t out = H5Fcreate(dst, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(in >= 0 && out >= 0);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_true(H5Ocopy(in, names[i], out, names[i], H5P_DEFAULT, H5P_DEFAULT) >= 0);
    H5Fclose(in);
    H5Fclose(out);
}

/* Files without the header (h5py's, older charnn's, or cleared) load as before. */
static void test_read_without_header(void **state)
{
    char dir[64], path[PATH_MAX], plain[PATH_MAX];
    checkpoint a, b;
    unsigned char head[8];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&a, CELL_LSTM, 7, 3, 2, 4, 21);
    assert_int_equal(checkpoint_write(dir, &a, 5, path, sizeof path), 0);
    snprintf(plain, sizeof plain, "%s/plain.h5", dir);
    tc_copy_without_block(path, plain);
    FILE *f = fopen(plain, "rb");
    assert_int_equal(fread(head, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(head, "\x89HDF\r\n\x1a\n", 8); /* no user block */
    assert_int_equal(checkpoint_read(plain, &b), 0);
    tc_same(&a, &b);
    checkpoint_free(&b);
    tc_unseal(path);
    assert_int_equal(checkpoint_read(path, &b), 0);
    tc_same(&a, &b);
    checkpoint_free(&b);
    checkpoint_free(&a);
    tc_rmtree(dir);
}

/* ------------------------------------------------------------ resolve */

/* The candidates' paths, one per line, for comparing in one assert. */
static void tc_candidates(const char *spec, const char *dir, int want_rc, const char *want)
{
    char **paths = NULL, got[4 * PATH_MAX] = "";
    size_t n = 99;
    assert_int_equal(checkpoint_candidates(spec, dir, &paths, &n), want_rc);
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s\n", paths[i]);
    assert_string_equal(got, want);
    checkpoint_candidates_free(paths, n);
}

static void test_candidates(void **state)
{
    char dir[64], path[PATH_MAX], p7[PATH_MAX], want[4 * PATH_MAX], list[9 * PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_candidates("auto", dir, 0, ""); /* nothing: a fresh start */
    tc_write(dir, 7, 5, p7, sizeof p7);
    snprintf(want, sizeof want, "%s\n", p7);
    tc_candidates("auto", dir, 0, want);
    tc_write(dir, 9, 5, path, sizeof path); /* latest.h5 -> 9, then 7 */
    snprintf(want, sizeof want, "%s\n%s\n", path, p7);
    tc_candidates("auto", dir, 0, want);
    snprintf(want, sizeof want, "%s\n", p7); /* an explicit path: only that one */
    tc_candidates(p7, dir, 0, want);
    snprintf(want, sizeof want, "%s/nope.h5", dir);
    tc_candidates(want, dir, -1, "");
    assert_non_null(strstr(error_message(), want));
    unlink(path); /* latest.h5 dangles: it comes first (reading it names it), then 7 */
    snprintf(want, sizeof want, "%s\n%s\n", path, p7);
    tc_candidates("auto", dir, 0, want);
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    unlink(path); /* no latest.h5: every ckpt-*.h5, newest first */
    tc_write(dir, 3, 5, want, sizeof want);
    unlink(path);
    snprintf(list, sizeof list, "%s\n%s\n", p7, want);
    tc_candidates("auto", dir, 0, list);
    snprintf(path, sizeof path, "%s/.ckpt-5.h5.tmp-1", dir); /* a killed writer's file */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    tc_write(dir, 11, 5, want, sizeof want); /* a write removes it */
    assert_int_equal(access(path, F_OK), -1);
    tc_rmtree(dir);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_lstm),
        cmocka_unit_test(test_roundtrip_gru),
        cmocka_unit_test(test_roundtrip_rnn),
        cmocka_unit_test(test_roundtrip_multichunk),
        cmocka_unit_test(test_reproducible_bytes),
        cmocka_unit_test(test_creates_nested_dir),
        cmocka_unit_test(test_latest_points_to_newest),
        cmocka_unit_test(test_keep_prunes),
        cmocka_unit_test(test_keep_never_removes_latest),
        cmocka_unit_test(test_keep_ignores_other_files),
        cmocka_unit_test(test_write_fails_under_regular_file),
        cmocka_unit_test(test_write_fails_file_too_large),
        cmocka_unit_test(test_write_rejects_inconsistent),
        cmocka_unit_test(test_read_missing),
        cmocka_unit_test(test_read_not_hdf5),
        cmocka_unit_test(test_read_truncated),
        cmocka_unit_test(test_read_flipped_byte),
        cmocka_unit_test(test_header_written),
        cmocka_unit_test(test_read_damage_sweep),
        cmocka_unit_test(test_read_heap_damage),
        cmocka_unit_test(test_read_damaged_header),
        cmocka_unit_test(test_read_wrong_shape),
        cmocka_unit_test(test_read_wrong_state_rows),
        cmocka_unit_test(test_read_wrong_type),
        cmocka_unit_test(test_read_missing_dataset),
        cmocka_unit_test(test_read_cell_mismatch),
        cmocka_unit_test(test_read_wrong_attribute),
        cmocka_unit_test(test_read_bad_cell_and_train),
        cmocka_unit_test(test_read_bad_vocab),
        cmocka_unit_test(test_read_converts_types),
        cmocka_unit_test(test_read_edit_needs_unseal),
        cmocka_unit_test(test_read_without_header),
        cmocka_unit_test(test_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
