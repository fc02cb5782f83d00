/* checkpoint_fixtures.c — the checkpoint tests' shared fixtures (see
 * checkpoint_fixtures.h). */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint_seal.h"
#include "error.h"

#include <hdf5.h>

#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tc_strdup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    assert_non_null(d);
    strcpy(d, s);
    return d;
}

void tc_mkdtemp(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/charnn-ckpt-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static int tc_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tc_rmtree(const char *dir)
{
    nftw(dir, tc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

float tc_bits(uint32_t u)
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
void tc_make(checkpoint *ck, cell_kind cell, size_t vocab, size_t hidden, size_t layers,
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

void tc_same(const checkpoint *a, const checkpoint *b)
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
void tc_write(const char *dir, uint64_t step, size_t keep, char *path, size_t len)
{
    checkpoint ck;
    tc_make(&ck, CELL_LSTM, 7, 3, 2, 4, step);
    assert_int_equal(checkpoint_write(dir, &ck, keep, path, len), 0);
    checkpoint_free(&ck);
}

/* Names in dir that start with '.' and are not . or .. (temporaries). */
size_t tc_count_hidden(const char *dir)
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

void tc_readlink(const char *dir, char *target, size_t len)
{
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/latest.h5", dir);
    ssize_t n = readlink(link, target, len - 1);
    assert_true(n > 0);
    target[n] = 0;
}

/* Open HDF5 files, groups, datasets, attributes and datatypes (transient
 * ones included): what the checkpoint files open must all be closed again. */
ssize_t tc_h5_ids(void)
{
    return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
}

/* Expects checkpoint_read(path) to fail with a message containing `what`. */
void tc_read_fails(const char *path, const char *what)
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
void tc_unseal(const char *path)
{
    unsigned char zeros[CK_SEAL_BYTES] = {0};
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, zeros, sizeof zeros, 0), (ssize_t)sizeof zeros);
    close(fd);
}

static int tc_saved_stderr = -1;
static char tc_stderr_file[64];

void tc_capture_begin(void)
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
long tc_capture_end(void)
{
    struct stat st;
    fflush(stderr);
    dup2(tc_saved_stderr, 2);
    close(tc_saved_stderr);
    assert_int_equal(stat(tc_stderr_file, &st), 0);
    unlink(tc_stderr_file);
    return (long)st.st_size;
}

char *tc_slurp(const char *path, size_t *n)
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
