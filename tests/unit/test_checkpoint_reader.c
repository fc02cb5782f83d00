/* test_checkpoint_reader.c — the schema read and validated
 * (checkpoint_reader.c), on files edited with HDF5: wrong shapes, types,
 * attributes and values refused; h5py's types converted; files without the
 * header read as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint.h"
#include "error.h"

#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
