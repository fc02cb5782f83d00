/* corpus_h5.c — reading a CORPUS.h5 written by charnn-prep (see corpus_h5.h). */
#include "corpus_h5.h"
#include "newline.h"

#include "error.h"

#include <hdf5.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(sizeof(hid_t) == sizeof(int64_t), "hid_t is stored as int64_t");

#define CH5_BLOCK_IDS ((size_t)1 << 20) /* ids per block read: 4 MiB */
#define CH5_MAX_STR 4096

/* "corpus 'PATH': <message>" */
#define ch5_err(path, ...) error_about("corpus", (path), __VA_ARGS__)

/* Reading only: no file locking (it fails on some network file systems,
 * and every rank opens the file), and closing the file closes all in it. */
static hid_t ch5_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 11, 0))
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

int corpus_h5_detect(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
#if H5_VERSION_GE(1, 12, 0)
    hid_t fapl = ch5_fapl();
    htri_t ok = fapl < 0 ? -1 : H5Fis_accessible(path, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
#else
    htri_t ok = H5Fis_hdf5(path);
#endif
    return ok > 0;
}

/* ---- attributes ---- */

/* An integer type whose bits lie inside its 1, 2, 4 or 8 bytes (a damaged
 * type would make HDF5 1.10 read outside the value). */
static int ch5_int_type_sane(hid_t t)
{
    size_t size = H5Tget_size(t), prec = H5Tget_precision(t);
    int off = H5Tget_offset(t);
    H5T_order_t order = H5Tget_order(t);
    return H5Tget_class(t) == H5T_INTEGER &&
           (size == 1 || size == 2 || size == 4 || size == 8) && prec > 0 && off >= 0 &&
           (size_t)off + prec <= 8 * size && (order == H5T_ORDER_LE || order == H5T_ORDER_BE);
}

/* The scalar (one-value) attribute `name` of the root, or -1 with an error. */
static hid_t ch5_attr(const corpus_h5 *c, const char *name)
{
    if (H5Aexists(c->file, name) <= 0)
        return ch5_err(c->path, "missing attribute %s", name);
    hid_t a = H5Aopen(c->file, name, H5P_DEFAULT);
    hid_t s = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    if (s >= 0)
        H5Sclose(s);
    if (n != 1) {
        if (a >= 0)
            H5Aclose(a);
        return ch5_err(c->path, "attribute %s is not a single value", name);
    }
    return a;
}

static int ch5_attr_u64(const corpus_h5 *c, const char *name, uint64_t *out)
{
    hid_t a = ch5_attr(c, name);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    int ok = t >= 0 && ch5_int_type_sane(t) && H5Tget_sign(t) == H5T_SGN_NONE &&
             H5Aread(a, H5T_NATIVE_UINT64, out) >= 0;
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return ok ? 0 : ch5_err(c->path, "attribute %s is not an unsigned integer", name);
}

static int ch5_attr_f64(const corpus_h5 *c, const char *name, double *out)
{
    hid_t a = ch5_attr(c, name);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    int ok = t >= 0 && H5Tget_class(t) == H5T_FLOAT &&
             (H5Tget_size(t) == 4 || H5Tget_size(t) == 8) &&
             H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0 && isfinite(*out);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return ok ? 0 : ch5_err(c->path, "attribute %s is not a finite number", name);
}

/* A string attribute (variable or fixed length) into buf[len]. */
static int ch5_attr_str(const corpus_h5 *c, const char *name, char *buf, size_t len)
{
    hid_t a = ch5_attr(c, name);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a), m = H5Tcopy(H5T_C_S1);
    int ok = t >= 0 && m >= 0 && H5Tget_class(t) == H5T_STRING &&
             H5Tset_cset(m, H5Tget_cset(t)) >= 0;
    if (ok && H5Tis_variable_str(t) > 0) {
        char *s = NULL;
        ok = H5Tset_size(m, H5T_VARIABLE) >= 0 && H5Aread(a, m, &s) >= 0;
        if (ok)
            snprintf(buf, len, "%s", s ? s : "");
        H5free_memory(s);
    } else if (ok) {
        size_t n = H5Tget_size(t);
        char *s = n > 0 && n <= CH5_MAX_STR ? xmalloc(n + 1, "corpus attribute") : NULL;
        ok = s && H5Tset_size(m, n + 1) >= 0 && H5Tset_strpad(m, H5T_STR_NULLTERM) >= 0 &&
             H5Aread(a, m, s) >= 0;
        if (ok) {
            s[n] = 0;
            snprintf(buf, len, "%s", s);
        }
        free(s);
    }
    if (m >= 0)
        H5Tclose(m);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return ok ? 0 : ch5_err(c->path, "attribute %s is not a string", name);
}

/* ---- datasets ---- */

/* Opens the 1-D unsigned-integer dataset `name` of exactly *n elements
 * (any_length: of any length, stored in *n). */
static hid_t ch5_dset(const corpus_h5 *c, const char *name, uint64_t *n, int any_length)
{
    H5O_info_t info;
    if (H5Lexists(c->file, name, H5P_DEFAULT) <= 0 ||
        H5Oget_info_by_name(c->file, name, &info, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET)
        return ch5_err(c->path, "missing dataset %s", name);
    hid_t d = H5Dopen2(c->file, name, H5P_DEFAULT);
    hid_t t = d < 0 ? -1 : H5Dget_type(d), s = d < 0 ? -1 : H5Dget_space(d);
    hsize_t dims[H5S_MAX_RANK];
    int rank = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
    int rc = 0;
    if (t < 0 || s < 0 || rank < 0)
        rc = ch5_err(c->path, "dataset %s is unreadable", name);
    else if (!ch5_int_type_sane(t) || H5Tget_sign(t) != H5T_SGN_NONE || H5Tget_size(t) > 4)
        rc = ch5_err(c->path, "dataset %s is not of an unsigned integer type of at most 32 bits",
                     name);
    else if (rank != 1 || H5Sget_simple_extent_dims(s, dims, NULL) < 0)
        rc = ch5_err(c->path, "dataset %s is not one-dimensional", name);
    else if (!any_length && dims[0] != *n)
        rc = ch5_err(c->path, "dataset %s has %llu ids, the attributes say %" PRIu64, name,
                     (unsigned long long)dims[0], *n);
    else if (any_length)
        *n = dims[0];
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (rc && d >= 0)
        H5Dclose(d);
    return rc ? -1 : d;
}

/* /vocab: 1..CORPUS_H5_MAX_VOCAB code points, strictly increasing, no surrogates. */
static int ch5_vocab(corpus_h5 *c)
{
    uint64_t n = 0;
    hid_t d = ch5_dset(c, "/vocab", &n, 1);
    if (d < 0)
        return -1;
    int rc = 0;
    if (n == 0 || n > CORPUS_H5_MAX_VOCAB)
        rc = ch5_err(c->path, "/vocab has %" PRIu64 " characters (must be 1..%" PRIu64 ")", n,
                     CORPUS_H5_MAX_VOCAB);
    uint32_t *v = rc ? NULL : xmalloc((size_t)n * sizeof *v, "corpus vocabulary");
    if (!rc && H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = ch5_err(c->path, "dataset /vocab is corrupted (checksum or read error)");
    for (size_t i = 0; !rc && i < n; i++) {
        if (v[i] > 0x10FFFF || (v[i] >= 0xD800 && v[i] <= 0xDFFF))
            rc = ch5_err(c->path, "/vocab[%zu] = %" PRIu32 " is not a Unicode code point", i,
                         v[i]);
        else if (i && v[i] <= v[i - 1])
            rc = ch5_err(c->path, "/vocab is not strictly increasing at index %zu", i);
    }
    H5Dclose(d);
    if (rc) {
        free(v);
        return -1;
    }
    c->vocab = v;
    c->vocab_size = (size_t)n;
    return 0;
}

static int ch5_header(corpus_h5 *c)
{
    char format[64];
    uint64_t version;
    if (H5Aexists(c->file, "format") <= 0 || ch5_attr_str(c, "format", format, sizeof format) ||
        strcmp(format, CORPUS_H5_FORMAT) != 0)
        return error_set("'%s' is an HDF5 file but not a corpus written by charnn-prep (no "
                         "attribute format = \"%s\"; a checkpoint?)",
                         c->path, CORPUS_H5_FORMAT);
    if (ch5_attr_u64(c, "version", &version))
        return -1;
    if (version != CORPUS_H5_VERSION)
        return ch5_err(c->path, "format version %" PRIu64 " is not supported (this charnn "
                       "reads version %d; run charnn-prep again)", version, CORPUS_H5_VERSION);
    if (ch5_attr_u64(c, "n_train", &c->n_train) || ch5_attr_u64(c, "n_val", &c->n_val) ||
        ch5_attr_u64(c, "n_unknown", &c->n_unknown) ||
        ch5_attr_u64(c, "min_count", &c->min_count) ||
        ch5_attr_f64(c, "val_frac", &c->val_frac) ||
        ch5_attr_str(c, "encoding", c->encoding, sizeof c->encoding))
        return -1;
    snprintf(c->newline, sizeof c->newline, "keep"); /* written before the attribute existed */
    if (H5Aexists(c->file, "newline") > 0 &&
        ch5_attr_str(c, "newline", c->newline, sizeof c->newline))
        return -1;
    newline_mode nm;
    if (newline_parse(c->newline, "attribute newline", &nm) != 0)
        return ch5_err(c->path, "attribute newline = \"%s\" is neither keep nor lf", c->newline);
    uint64_t n = c->n_train + c->n_val;
    if (n < c->n_train || n > (uint64_t)SIZE_MAX / 2)
        return ch5_err(c->path, "n_train + n_val is too large");
    if (!(c->val_frac >= 0 && c->val_frac < 1) ||
        c->n_val != (uint64_t)floor((double)n * c->val_frac))
        return ch5_err(c->path, "n_val = %" PRIu64 " is not floor(%" PRIu64 " * val_frac %g)",
                       c->n_val, n, c->val_frac);
    return 0;
}

int corpus_h5_open(corpus_h5 *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->file = c->dset[0] = c->dset[1] = -1;
    c->path = xstrdup(path, "corpus path");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = ch5_fapl();
    c->file = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    int rc = c->file < 0 ? ch5_err(path, "cannot open it as HDF5 (truncated?)") : 0;
    if (!rc)
        rc = ch5_header(c);
    if (!rc)
        rc = ch5_vocab(c);
    if (!rc && (c->dset[0] = ch5_dset(c, "/train", &c->n_train, 0)) < 0)
        rc = -1;
    if (!rc && (c->dset[1] = ch5_dset(c, "/val", &c->n_val, 0)) < 0)
        rc = -1;
    if (rc)
        corpus_h5_close(c);
    return rc;
}

void corpus_h5_close(corpus_h5 *c)
{
    if (!c)
        return;
    for (int i = 0; i < 2; i++)
        if (c->dset[i] >= 0)
            H5Dclose(c->dset[i]);
    if (c->file >= 0)
        H5Fclose(c->file);
    free(c->vocab);
    free(c->path);
    memset(c, 0, sizeof *c);
    c->file = c->dset[0] = c->dset[1] = -1;
}

/* ---- rows of a layout, a block of windows at a time ---- */

void corpus_h5_rows_init(corpus_h5_rows *r, const corpus_h5 *c, int val, const shard_layout *L,
                         size_t first, size_t count)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->val = val;
    r->lay = *L;
    r->first = first;
    r->count = count;
    size_t per_window = count * L->seq + count;
    r->block = per_window && CH5_BLOCK_IDS / per_window > 1 ? CH5_BLOCK_IDS / per_window : 1;
    if (r->block > L->windows)
        r->block = L->windows;
}

/* Selects, in the file, `len` ids from first*stride + offset of every row,
 * and in memory the columns [col, col + len) of the (count, width) buffer. */
static int ch5_read(const corpus_h5_rows *r, hid_t d, size_t offset, size_t len, size_t col,
                    size_t width)
{
    hsize_t fstart = (hsize_t)r->first * r->lay.stride + offset, fstride = r->lay.stride;
    hsize_t fcount = r->count, fblock = len;
    hsize_t mdims[2] = {r->count, width}, mstart[2] = {0, col}, mone[2] = {1, 1};
    hsize_t mblock[2] = {r->count, len};
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(2, mdims, NULL);
    int ok = fs >= 0 && ms >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, &fstart, &fstride, &fcount, &fblock) >= 0 &&
             H5Sselect_hyperslab(ms, H5S_SELECT_SET, mstart, mone, mone, mblock) >= 0 &&
             H5Dread(d, H5T_NATIVE_UINT32, ms, fs, H5P_DEFAULT, r->buf) >= 0;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return ok ? 0 : -1;
}

/* Reads windows [w0, w0 + nw) of every row: nw * seq ids of each row, and
 * the one after them (the last target; the next row's first id). */
static int ch5_load(corpus_h5_rows *r, size_t w0)
{
    const char *name = r->val ? "/val" : "/train";
    size_t nw = r->lay.windows - w0 < r->block ? r->lay.windows - w0 : r->block;
    size_t len = nw * r->lay.seq, width = len + 1;
    if (!r->buf)
        r->buf = xmalloc(r->count * (r->block * r->lay.seq + 1) * sizeof *r->buf,
                         "corpus window block");
    r->nw = 0;
    hid_t d = r->c->dset[r->val];
    if (ch5_read(r, d, w0 * r->lay.seq, len, 0, width) ||
        ch5_read(r, d, w0 * r->lay.seq + len, 1, len, width))
        return ch5_err(r->c->path, "cannot read %s (rows %zu..%zu, windows %zu..%zu): "
                       "corrupted or truncated?",
                       name, r->first, r->first + r->count - 1, w0, w0 + nw - 1);
    for (size_t i = 0; i < r->count * width; i++)
        if (r->buf[i] >= r->c->vocab_size) {
            size_t row = r->first + i / width, at = row * r->lay.stride + w0 * r->lay.seq +
                                                     i % width;
            return ch5_err(r->c->path, "%s[%zu] = %" PRIu32 " is outside the vocabulary "
                           "(%zu characters)", name, at, r->buf[i], r->c->vocab_size);
        }
    r->w0 = w0;
    r->nw = nw;
    return 0;
}

int corpus_h5_rows_window(corpus_h5_rows *r, size_t window, int32_t *x, int32_t *y)
{
    if (r->count == 0)
        return 0;
    if ((window < r->w0 || window >= r->w0 + r->nw) && ch5_load(r, window) != 0)
        return -1;
    /* the block as a layout of its own: rows of nw * seq + 1 ids */
    shard_layout B = {.rows = r->count, .seq = r->lay.seq, .windows = r->nw,
                      .stride = r->nw * r->lay.seq + 1};
    shard_window(&B, r->buf, 0, r->count, window - r->w0, x, y);
    return 0;
}

void corpus_h5_rows_free(corpus_h5_rows *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}
