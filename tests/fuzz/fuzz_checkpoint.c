/* fuzz_checkpoint.c — libFuzzer target: the checkpoint loader
 * (checkpoint_read: src/checkpoint_guard.c, checkpoint_reader.c, checkpoint_seal.c).
 *
 * Input: a whole checkpoint file, written to a scratch file and read with
 * checkpoint_read. Properties: no crash, hang, leak or out-of-bounds access;
 * a refused file leaves one message that names it and an empty checkpoint;
 * a loaded one is consistent (sizes within the loader's limits, the
 * vocabulary strictly increasing Unicode scalar values, every buffer there
 * and readable to its end, the cell state only for an LSTM, epoch and
 * window matching step).
 *
 * Mutations: libhdf5 1.10 itself crashes on some damaged files (found by
 * this target in raw mode, see tests/fuzz/README.md), and nothing in charnn
 * can stop that, so the gating runs never hand libhdf5 a file it did not
 * write, except the fixed seeds. A custom mutator (below) makes each new
 * input from a seed or an earlier input in one of two ways:
 *   - structural: when the input is an intact sealed file, it is opened
 *     with HDF5 in memory and changed through the HDF5 API (objects
 *     deleted, attributes given other types and values, datasets other
 *     types, shapes, layouts or only part of their data, links in place of
 *     objects, the vocabulary damaged, the whole model resized consistently,
 *     small or absurdly large), then sealed again (a correct header, as
 *     anyone crafting a file can make: CRC-64 detects damage, it is no
 *     signature) or, sometimes, left without a header;
 *   - raw, on sealed files only: bytes changed, inserted or cut anywhere,
 *     or in the 512-byte header itself, with the header left as it was: the
 *     length and CRC-64 check must refuse all of it before HDF5 reads a
 *     byte.
 * CHARNN_FUZZ_RAW=1 in the environment uses libFuzzer's own byte mutations
 * on everything instead (for hunting libhdf5 crashes; not for CI). */
#include "checkpoint.h"
#include "checkpoint_seal.h"
#include "crc64.h"
#include "error.h"
#include "fuzz_util.h"

#include <hdf5.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static int raw_mode;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *raw = getenv("CHARNN_FUZZ_RAW");
    raw_mode = raw && raw[0] == '1';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------ the target */

static void check_loaded(const checkpoint *ck)
{
    const param_layout *p = &ck->layout;
    FUZZ_CHECK(p->vocab >= 1 && p->hidden >= 1 && p->layers >= 1, "empty model loaded");
    FUZZ_CHECK(p->n_tensors == 4 * p->layers + 2, "%zu tensors for %zu layers", p->n_tensors,
               p->layers);
    FUZZ_CHECK(ck->vocab && ck->params && ck->adam_m && ck->adam_v && ck->h, "a buffer is missing");
    FUZZ_CHECK((p->cell == CELL_LSTM) == (ck->c != NULL), "cell state for a %s model",
               cell_name(p->cell));
    FUZZ_CHECK(ck->rows >= 1 && ck->windows >= 1 && ck->seq >= 1, "rows %llu windows %llu seq %llu",
               (unsigned long long)ck->rows, (unsigned long long)ck->windows,
               (unsigned long long)ck->seq);
    FUZZ_CHECK(ck->epoch == ck->step / ck->windows && ck->window == ck->step % ck->windows,
               "epoch/window do not match step");
    for (size_t i = 0; i < p->vocab; i++) {
        uint32_t c = ck->vocab[i];
        FUZZ_CHECK(c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF), "vocab[%zu] = %u", i, c);
        FUZZ_CHECK(i == 0 || ck->vocab[i - 1] < c, "vocab not increasing at %zu", i);
    }
    /* touch every loaded element: ASan finds a short buffer */
    volatile float sink = 0;
    for (size_t i = 0; i < p->n_params; i++)
        sink += ck->params[i] + ck->adam_m[i] + ck->adam_v[i];
    size_t state = (size_t)ck->rows * p->layers * p->hidden;
    for (size_t i = 0; i < state; i++)
        sink += ck->h[i] + (ck->c ? ck->c[i] : 0);
    for (size_t i = 0; i < ck->n_options; i++)
        FUZZ_CHECK(ck->option_keys[i] && ck->option_values[i], "option %zu is NULL", i);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch(".h5");
    checkpoint ck, empty;
    fuzz_scratch_write(path, data, size);
    if (checkpoint_read(path, &ck) == 0) {
        check_loaded(&ck);
        checkpoint_free(&ck);
        return 0;
    }
    const char *m = error_message();
    FUZZ_CHECK(strstr(m, path) != NULL, "the message does not name the file: %s", m);
    memset(&empty, 0, sizeof empty);
    FUZZ_CHECK(memcmp(&ck, &empty, sizeof ck) == 0, "a refused checkpoint was not cleared");
    return 0;
}

/* ------------------------------------------------------- the mutator */

/* 1 when data is a file with charnn's header, intact (the header is the
 * one ck_seal makes for these bytes). */
static int intact_sealed(const uint8_t *data, size_t size)
{
    if (size <= CK_SEAL_BYTES || memcmp(data, CK_SEAL_MAGIC, sizeof CK_SEAL_MAGIC - 1) != 0)
        return 0;
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    ck_seal(copy, size);
    int same = memcmp(copy, data, CK_SEAL_BYTES) == 0;
    free(copy);
    return same;
}

typedef struct {
    hid_t f;
    uint64_t r;
} mut;

static uint64_t rnd(mut *m, uint64_t n) { return n ? fuzz_next(&m->r) % n : 0; }

/* A number worth trying: small, a power of two give or take one, a limit. */
static uint64_t interesting(mut *m)
{
    static const uint64_t special[] = {0, 1, 2, 3, 4, 7, 8, 16, 64, 65, 255, 256, 4095, 4096,
                                       65535, 65536, 65537, 1u << 21, (1u << 21) + 1,
                                       0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 1ull << 32,
                                       1ull << 53, 1ull << 62, INT64_MAX, 1ull << 63,
                                       UINT64_MAX - 1, UINT64_MAX};
    switch (rnd(m, 3)) {
    case 0: return rnd(m, 12);
    case 1: return special[rnd(m, sizeof special / sizeof special[0])];
    default: return (1ull << rnd(m, 64)) + rnd(m, 3) - 1;
    }
}

/* The dataset and group paths of the file, and the objects with attributes. */
typedef struct {
    char path[32][80];
    int is_dset[32];
    int n;
} objects;

static herr_t list_one(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    objects *o = data;
    (void)info;
    if (o->n < 32) {
        snprintf(o->path[o->n], sizeof o->path[0], "/%s", name);
        H5E_BEGIN_TRY { hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
            o->is_dset[o->n] = d >= 0;
            if (d >= 0)
                H5Dclose(d);
        } H5E_END_TRY;
        o->n++;
    }
    return 0;
}

static void list_objects(hid_t f, objects *o)
{
    o->n = 0;
    H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, list_one, o);
}

static const char *pick_dset(mut *m, const objects *o)
{
    int k = 0, idx[32];
    for (int i = 0; i < o->n; i++)
        if (o->is_dset[i])
            idx[k++] = i;
    return k ? o->path[idx[rnd(m, (uint64_t)k)]] : NULL;
}

static void unlink_path(hid_t f, const char *path)
{
    H5E_BEGIN_TRY { H5Ldelete(f, path, H5P_DEFAULT); } H5E_END_TRY;
}

/* A type for an attribute or dataset: numbers of every kind, strings,
 * compounds, enums, arrays. */
static hid_t pick_type(mut *m, int numeric_only)
{
    uint64_t k = rnd(m, numeric_only ? 12 : 17);
    if (k < 12) { /* the H5T_* names are function calls: no static table */
        hid_t nums[12] = {H5T_STD_I8LE,   H5T_STD_U8LE,   H5T_STD_I16BE,  H5T_STD_I32LE,
                          H5T_STD_U32LE,  H5T_STD_U32BE,  H5T_STD_I64LE,  H5T_STD_U64LE,
                          H5T_STD_I64BE,  H5T_IEEE_F32LE, H5T_IEEE_F32BE, H5T_IEEE_F64LE};
        return H5Tcopy(nums[k]);
    }
    hid_t t;
    switch (k) {
    case 12: /* variable-length string */
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        return t;
    case 13: /* fixed-length string */
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 1 + rnd(m, 12));
        return t;
    case 14: /* compound */
        t = H5Tcreate(H5T_COMPOUND, 8);
        H5Tinsert(t, "a", 0, H5T_IEEE_F32LE);
        H5Tinsert(t, "b", 4, H5T_STD_I32LE);
        return t;
    case 15: { /* enum */
        int8_t v = 2;
        t = H5Tenum_create(H5T_STD_I8LE);
        H5Tenum_insert(t, "two", &v);
        return t;
    }
    default: { /* array of 2 */
        hsize_t two = 2;
        return H5Tarray_create2(H5T_STD_I64LE, 1, &two);
    }
    }
}

/* Writes `value` (or a string made from it) as one element of type t. */
static void write_value(hid_t obj, int is_attr, hid_t t, uint64_t value, const char *text)
{
    unsigned char buf[64];
    char str[40];
    H5T_class_t cls = H5Tget_class(t);
    memset(buf, 0, sizeof buf);
    if (cls == H5T_STRING) {
        snprintf(str, sizeof str, "%s", text ? text : "");
        if (!text)
            snprintf(str, sizeof str, "%llu", (unsigned long long)value);
        hid_t mt = H5Tcopy(t);
        if (H5Tis_variable_str(t) > 0) {
            const char *p = str;
            is_attr ? H5Awrite(obj, mt, &p) : H5Dwrite(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p);
        } else {
            size_t n = H5Tget_size(t);
            char fixed[64] = {0};
            memcpy(fixed, str, n < strlen(str) ? n : strlen(str));
            is_attr ? H5Awrite(obj, mt, fixed)
                    : H5Dwrite(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed);
        }
        H5Tclose(mt);
        return;
    }
    if (cls == H5T_FLOAT) {
        double d = (double)value;
        memcpy(buf, &d, sizeof d);
        is_attr ? H5Awrite(obj, H5T_NATIVE_DOUBLE, buf)
                : H5Dwrite(obj, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        return;
    }
    if (cls == H5T_INTEGER) {
        memcpy(buf, &value, sizeof value);
        hid_t mt = H5Tget_sign(t) == H5T_SGN_2 ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
        is_attr ? H5Awrite(obj, mt, buf) : H5Dwrite(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        return;
    }
    /* compound, enum, array: the file type's own bytes (zeros, or the value) */
    memcpy(buf, &value, sizeof value < H5Tget_size(t) ? sizeof value : H5Tget_size(t));
    if (cls == H5T_ENUM)
        buf[0] = 2;
    is_attr ? H5Awrite(obj, t, buf) : H5Dwrite(obj, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

/* Attribute `name` of the object at `path` replaced by one of a random type
 * and value (or `text` for strings), scalar or not. */
static void set_attr(mut *m, const char *path, const char *name, hid_t t, uint64_t value,
                     const char *text)
{
    hid_t obj = H5Oopen(m->f, path, H5P_DEFAULT);
    if (obj < 0)
        return;
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hsize_t two = 2;
    hid_t space = rnd(m, 8) == 0 ? H5Screate_simple(1, &two, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (H5Sget_simple_extent_npoints(space) == 1)
            write_value(a, 1, t, value, text);
        H5Aclose(a);
    }
    H5Sclose(space);
    H5Oclose(obj);
}

static const char *const model_attrs[] = {"vocab_size", "hidden_size", "num_layers"};
static const char *const train_attrs[] = {"step", "epoch", "window", "windows", "rows", "seq"};

static void mut_attr(mut *m)
{
    static const char *const cells[] = {"lstm", "gru", "rnn", "LSTM", "", "lstm ", "transformer"};
    switch (rnd(m, 5)) {
    case 0: { /* /model/cell */
        hid_t t = rnd(m, 4) ? pick_type(m, 0) : H5Tcopy(H5T_STD_I32LE);
        if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) <= 0)
            H5Tset_size(t, 1 + rnd(m, 8));
        set_attr(m, "/model", "cell", t, rnd(m, 3), cells[rnd(m, 7)]);
        H5Tclose(t);
        break;
    }
    case 1: {
        hid_t t = rnd(m, 3) ? H5Tcopy(H5T_STD_I64LE) : pick_type(m, 0);
        set_attr(m, "/model", model_attrs[rnd(m, 3)], t, interesting(m), NULL);
        H5Tclose(t);
        break;
    }
    case 2: {
        hid_t t = rnd(m, 3) ? H5Tcopy(H5T_STD_U64LE) : pick_type(m, 0);
        set_attr(m, "/train", train_attrs[rnd(m, 6)], t, interesting(m), NULL);
        H5Tclose(t);
        break;
    }
    case 3: {
        hid_t t = rnd(m, 2) ? H5Tcopy(H5T_IEEE_F64LE) : pick_type(m, 0);
        set_attr(m, "/train", "loss", t, interesting(m), NULL);
        H5Tclose(t);
        break;
    }
    default: { /* an option: an existing key or a new one, any type */
        static const char *const keys[] = {"hidden", "cell", "lr", "data", "encoding", "x", ""};
        hid_t t = pick_type(m, 0);
        set_attr(m, "/options", keys[rnd(m, 7)], t, interesting(m), "0.5");
        H5Tclose(t);
        break;
    }
    }
}

/* A new dataset at path (replacing what is there) of type t and shape
 * dims[0, rank) (rank -1: scalar, -2: null), laid out and written as drawn:
 * contiguous or chunked (maybe with Fletcher-32 or gzip), compact when
 * small; every element written, one chunk only, or none. Values: small
 * numbers, or ascending from `base` (code points). */
static void make_dset(mut *m, const char *path, hid_t t, int rank, const hsize_t *dims,
                      uint64_t base)
{
    hsize_t n = 1, chunk[8];
    hid_t space = rank == -1 ? H5Screate(H5S_SCALAR)
                  : rank == -2 ? H5Screate(H5S_NULL)
                               : H5Screate_simple(rank, dims, NULL);
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    unlink_path(m->f, path);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    uint64_t how = rnd(m, 6);
    int big = n > ((hsize_t)1 << 16);
    if (rank > 0 && n > 0 && (how >= 3 || big)) {
        for (int i = 0; i < rank; i++)
            chunk[i] = dims[i] > 64 ? 64 : dims[i];
        H5Pset_chunk(dcpl, rank, chunk);
        if (rnd(m, 3) == 0)
            H5Pset_fletcher32(dcpl);
        else if (rnd(m, 3) == 0)
            H5Pset_deflate(dcpl, 1);
    } else if (how == 2 && n * H5Tget_size(t) < 4000) {
        H5Pset_layout(dcpl, H5D_COMPACT);
    }
    hid_t d = H5Dcreate2(m->f, path, t, space, lcpl, dcpl, H5P_DEFAULT);
    H5T_class_t cls = H5Tget_class(t);
    uint64_t write = big ? rnd(m, 2) + 1 : rnd(m, 8) ? 0 : 1 + rnd(m, 2); /* 0 all, 1 one chunk, 2 none */
    if (d >= 0 && rank >= -1 && write == 0 && (cls == H5T_FLOAT || cls == H5T_INTEGER)) {
        double *v = malloc((n ? n : 1) * sizeof *v);
        FUZZ_CHECK(v != NULL, "out of memory");
        for (hsize_t i = 0; i < n; i++)
            v[i] = base ? (double)(base + i) : (double)((int64_t)rnd(m, 2001) - 1000) / 1000.0;
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    } else if (d >= 0 && rank >= -1 && write == 0 && n == 1) {
        write_value(d, 0, t, base, "x");
    } else if (d >= 0 && rank > 0 && write == 1 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
               (cls == H5T_FLOAT || cls == H5T_INTEGER)) {
        hsize_t start[8] = {0}, one = 1;
        for (int i = 0; i < rank; i++)
            one *= chunk[i];
        double *v = calloc(one, sizeof *v);
        hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, chunk, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, chunk, NULL);
        H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v);
        H5Sclose(ms);
        H5Sclose(fs);
        free(v);
    }
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    H5Sclose(space);
}

/* The shape of a dataset: rank and dims (rank -1 scalar, -2 null). */
static int dset_shape(hid_t f, const char *path, hsize_t *dims, hid_t *type)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        return -3;
    hid_t s = H5Dget_space(d);
    H5S_class_t cls = H5Sget_simple_extent_type(s);
    int rank = cls == H5S_SCALAR ? -1 : cls == H5S_NULL ? -2 : H5Sget_simple_extent_ndims(s);
    if (rank > 8)
        rank = -3;
    if (rank > 0)
        H5Sget_simple_extent_dims(s, dims, NULL);
    if (type)
        *type = H5Dget_type(d);
    H5Sclose(s);
    H5Dclose(d);
    return rank;
}

static void mut_dset(mut *m, const objects *o)
{
    const char *path = pick_dset(m, o);
    hsize_t dims[8];
    hid_t type = -1;
    if (!path)
        return;
    int rank = dset_shape(m->f, path, dims, &type);
    if (rank < -2)
        return;
    uint64_t base = strcmp(path, "/vocab") == 0 ? 10 + rnd(m, 100) : 0;
    hid_t t = type;
    switch (rnd(m, 4)) {
    case 0: /* another type */
        t = pick_type(m, rnd(m, 2));
        break;
    case 1: /* another shape */
        if (rank > 0 && rnd(m, 2)) {
            int i = (int)rnd(m, (uint64_t)rank);
            dims[i] = rnd(m, 3) ? dims[i] + rnd(m, 3) - 1 : interesting(m) % ((hsize_t)1 << 40);
        } else if (rank > 1 && rnd(m, 2)) {
            hsize_t x = dims[0];
            dims[0] = dims[rank - 1], dims[rank - 1] = x; /* transposed */
        } else if (rank > 0 && rank < 8 && rnd(m, 2)) {
            dims[rank++] = 1;
        } else {
            rank = rnd(m, 2) ? -1 : -2;
        }
        break;
    default: /* same type and shape, another layout or partly written */
        break;
    }
    make_dset(m, path, t, rank, dims, base);
    if (t != type)
        H5Tclose(t);
    H5Tclose(type);
}

/* /vocab rewritten: ascending, or with one bad value. */
static void mut_vocab(mut *m)
{
    hsize_t dims[8];
    int rank = dset_shape(m->f, "/vocab", dims, NULL);
    if (rank != 1 || dims[0] == 0 || dims[0] > 4096)
        return;
    size_t n = (size_t)dims[0];
    int64_t *v = malloc(n * sizeof *v);
    FUZZ_CHECK(v != NULL, "out of memory");
    int64_t at = (int64_t)rnd(m, 0x10000);
    for (size_t i = 0; i < n; i++)
        v[i] = at += 1 + (int64_t)rnd(m, 3);
    static const int64_t bad[] = {-1, 0xD800, 0xDFFF, 0x10FFFF, 0x110000, 0xFFFFFFFF, INT64_MAX};
    if (rnd(m, 3))
        v[rnd(m, n)] = rnd(m, 2) ? bad[rnd(m, 7)] : v[rnd(m, n)];
    unlink_path(m->f, "/vocab");
    hid_t t = rnd(m, 2) ? H5T_STD_U32LE : H5T_STD_I64LE;
    hid_t s = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(m->f, "/vocab", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        H5Dclose(d);
    }
    H5Sclose(s);
    free(v);
}

static void mut_delete(mut *m, const objects *o)
{
    if (o->n && rnd(m, 3)) {
        unlink_path(m->f, o->path[rnd(m, (uint64_t)o->n)]);
        return;
    }
    static const char *const where[] = {"/model", "/train", "/train", "/model"};
    uint64_t k = rnd(m, 4);
    const char *name = k == 0 ? "cell" : k == 3 ? model_attrs[rnd(m, 3)] : train_attrs[rnd(m, 6)];
    H5E_BEGIN_TRY { H5Adelete_by_name(m->f, where[k], name, H5P_DEFAULT); } H5E_END_TRY;
}

/* An object replaced by a link: soft (to another object, or nowhere),
 * external, or a dataset in place of a group. */
static void mut_link(mut *m, const objects *o)
{
    if (!o->n)
        return;
    const char *path = o->path[rnd(m, (uint64_t)o->n)];
    const char *target = o->path[rnd(m, (uint64_t)o->n)];
    char copy[80];
    snprintf(copy, sizeof copy, "%s", path);
    unlink_path(m->f, copy);
    switch (rnd(m, 4)) {
    case 0: H5Lcreate_soft(target, m->f, copy, H5P_DEFAULT, H5P_DEFAULT); break;
    case 1: H5Lcreate_soft("/nowhere", m->f, copy, H5P_DEFAULT, H5P_DEFAULT); break;
    case 2: H5Lcreate_external("other.h5", target, m->f, copy, H5P_DEFAULT, H5P_DEFAULT); break;
    default: {
        hsize_t three = 3;
        make_dset(m, copy, H5T_IEEE_F32LE, 1, &three, 0);
        break;
    }
    }
}

/* The whole model replaced by a consistent one of another cell and size:
 * usually small and fully written (it must load), sometimes large, with
 * its datasets not written (it must be refused before being allocated). */
static void mut_resize(mut *m)
{
    static const char *const cells[] = {"lstm", "gru", "rnn"};
    uint64_t cell = rnd(m, 3), gates = cell == 0 ? 4 : cell == 1 ? 3 : 1;
    int huge = rnd(m, 8) == 0;
    uint64_t L = 1 + rnd(m, 3), H = 1 + rnd(m, 5), V = 1 + rnd(m, 8), rows = 1 + rnd(m, 3);
    if (huge) {
        H = rnd(m, 2) ? 65536 : 512 + rnd(m, 4096);
        V = rnd(m, 2) ? 1 + rnd(m, 8) : (1u << 21) - rnd(m, 2);
    }
    uint64_t windows = 1 + rnd(m, 100), step = rnd(m, 1000);
    unlink_path(m->f, "/model");
    unlink_path(m->f, "/optim");
    unlink_path(m->f, "/state");
    unlink_path(m->f, "/vocab");
    H5Gclose(H5Gcreate2(m->f, "/model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (H5Lexists(m->f, "/train", H5P_DEFAULT) <= 0)
        H5Gclose(H5Gcreate2(m->f, "/train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    hid_t vs = H5Tcopy(H5T_C_S1), i64 = H5Tcopy(H5T_STD_I64LE), u64 = H5Tcopy(H5T_STD_U64LE);
    H5Tset_size(vs, H5T_VARIABLE);
    set_attr(m, "/model", "cell", vs, 0, cells[cell]);
    uint64_t vals[3] = {V, H, L};
    for (int i = 0; i < 3; i++)
        set_attr(m, "/model", model_attrs[i], i64, vals[i], NULL);
    uint64_t tv[6] = {step, step / windows, step % windows, windows, rows, 1 + rnd(m, 64)};
    for (int i = 0; i < 6; i++)
        set_attr(m, "/train", train_attrs[i], u64, tv[i], NULL);
    uint64_t n = 0;
    char path[80];
    for (uint64_t l = 0; l < L; l++) {
        hsize_t ih[2] = {gates * H, l ? H : V}, hh[2] = {gates * H, H}, b = gates * H;
        snprintf(path, sizeof path, "/model/rnn.weight_ih_l%llu", (unsigned long long)l);
        make_dset(m, path, H5T_IEEE_F32LE, 2, ih, 0);
        snprintf(path, sizeof path, "/model/rnn.weight_hh_l%llu", (unsigned long long)l);
        make_dset(m, path, H5T_IEEE_F32LE, 2, hh, 0);
        snprintf(path, sizeof path, "/model/rnn.bias_ih_l%llu", (unsigned long long)l);
        make_dset(m, path, H5T_IEEE_F32LE, 1, &b, 0);
        snprintf(path, sizeof path, "/model/rnn.bias_hh_l%llu", (unsigned long long)l);
        make_dset(m, path, H5T_IEEE_F32LE, 1, &b, 0);
        n += ih[0] * ih[1] + hh[0] * hh[1] + 2 * b;
    }
    hsize_t dw[2] = {V, H}, vocab = V, state[3] = {rows, L, H};
    make_dset(m, "/model/decoder.weight", H5T_IEEE_F32LE, 2, dw, 0);
    make_dset(m, "/model/decoder.bias", H5T_IEEE_F32LE, 1, &vocab, 0);
    n += V * H + V;
    hsize_t np = n;
    make_dset(m, "/optim/adam_m", H5T_IEEE_F32LE, 1, &np, 0);
    make_dset(m, "/optim/adam_v", H5T_IEEE_F32LE, 1, &np, 0);
    make_dset(m, "/state/h", H5T_IEEE_F32LE, 3, state, 0);
    if (cell == 0 || rnd(m, 8) == 0)
        make_dset(m, "/state/c", H5T_IEEE_F32LE, 3, state, 0);
    make_dset(m, "/vocab", H5T_STD_U32LE, 1, &vocab, 32);
    H5Tclose(vs);
    H5Tclose(i64);
    H5Tclose(u64);
}

/* Opens the sealed image data (user block included) in memory, applies 1
 * to 3 structural changes, and writes the result back into data: the user
 * block, then HDF5's image; sealed again unless `unsealed`. Returns the new
 * size, or 0 when it did not work out (or would not fit in max_size). */
static size_t structural(uint8_t *data, size_t size, size_t max_size, uint64_t seed)
{
    mut m = {-1, seed};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    H5Pset_file_image(fapl, data, size);
    m.f = H5Fopen("fuzz-image.h5", H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (m.f < 0)
        return 0;
    for (uint64_t k = 0, edits = 1 + rnd(&m, 3); k < edits; k++) {
        objects o;
        list_objects(m.f, &o);
        switch (rnd(&m, 12)) {
        case 0: case 1: case 2: mut_attr(&m); break;
        case 3: case 4: case 5: mut_dset(&m, &o); break;
        case 6: mut_vocab(&m); break;
        case 7: case 8: mut_delete(&m, &o); break;
        case 9: mut_link(&m, &o); break;
        default: mut_resize(&m); break;
        }
    }
    size_t out = 0;
    if (H5Fflush(m.f, H5F_SCOPE_GLOBAL) >= 0) {
        ssize_t n = H5Fget_file_image(m.f, NULL, 0);
        if (n > 0 && CK_SEAL_BYTES + (size_t)n <= max_size) {
            memset(data, 0, CK_SEAL_BYTES);
            if (H5Fget_file_image(m.f, data + CK_SEAL_BYTES, (size_t)n) == n)
                out = CK_SEAL_BYTES + (size_t)n;
        }
    }
    H5Fclose(m.f);
    if (out && rnd(&m, 8))
        ck_seal(data, out);
    return out;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    if (raw_mode)
        return LLVMFuzzerMutate(data, size, max_size);
    uint64_t r = seed * 0x9E3779B97F4A7C15ull + size;
    int magic = size > CK_SEAL_BYTES && memcmp(data, CK_SEAL_MAGIC, sizeof CK_SEAL_MAGIC - 1) == 0;
    uint64_t how = fuzz_next(&r) % 10;
    if (magic && how == 0) /* damage anywhere; the header as it was */
        return LLVMFuzzerMutate(data, size, max_size);
    if (magic && how == 1) { /* damage in the header only */
        size_t n = LLVMFuzzerMutate(data, CK_SEAL_BYTES, CK_SEAL_BYTES);
        memset(data + n, 0, CK_SEAL_BYTES - n);
        return size;
    }
    if (magic && how == 2) /* cut short */
        return CK_SEAL_BYTES + fuzz_next(&r) % (size - CK_SEAL_BYTES);
    if (intact_sealed(data, size)) {
        uint8_t *copy = malloc(max_size);
        FUZZ_CHECK(copy != NULL, "out of memory");
        memcpy(copy, data, size);
        size_t n = structural(copy, size, max_size, fuzz_next(&r));
        if (n)
            memcpy(data, copy, n);
        free(copy);
        if (n)
            return n;
    }
    /* anything else (the fixed unsealed and damaged seeds): left as it is */
    return size;
}
