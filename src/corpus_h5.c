/* corpus_h5.c — reading a CORPUS.h5 written by charnn-prep (see corpus_h5.h). */
#include "corpus_h5.h"
#include "newline.h"

#include "error.h"
#include "h5util.h"
#include "vocab.h"

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

int corpus_h5_detect(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    h5u_quiet();
    hid_t fapl = h5u_read_fapl();
    int ok = fapl < 0 ? -1 : h5u_is_hdf5(path, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return ok > 0;
}

/* ---- attributes of the root ---- */

static h5u_attrs ch5_attrs(const corpus_h5 *c)
{
    h5u_attrs a = {"corpus", c->path, c->file, ""};
    return a;
}

/* An unsigned integer attribute of the root. */
static int ch5_attr_u64(const corpus_h5 *c, const char *name, uint64_t *out)
{
    h5u_attrs at = ch5_attrs(c);
    return h5u_attr_u64(&at, name, 0, UINT64_MAX, out);
}

/* A finite floating-point attribute of the root. */
static int ch5_attr_f64(const corpus_h5 *c, const char *name, double *out)
{
    h5u_attrs at = ch5_attrs(c);
    if (h5u_attr_f64(&at, name, out) != 0)
        return -1;
    return isfinite(*out) ? 0 : ch5_err(c->path, "attribute %s is not a finite number", name);
}

/* A string attribute of the root (variable or fixed length) into buf[len]. */
static int ch5_attr_str(const corpus_h5 *c, const char *name, char *buf, size_t len)
{
    h5u_attrs at = ch5_attrs(c);
    char *s = NULL;
    if (h5u_attr_str(&at, name, CH5_MAX_STR, &s) != 0)
        return -1;
    snprintf(buf, len, "%s", s);
    free(s);
    return 0;
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
    else if (H5Tget_class(t) != H5T_INTEGER || !h5u_type_sane(t) ||
             H5Tget_sign(t) != H5T_SGN_NONE || H5Tget_size(t) > 4)
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
    size_t at = 0;
    vocab_problem bad = rc ? VOCAB_OK : vocab_check(v, (size_t)n, &at);
    if (bad == VOCAB_NOT_SCALAR)
        rc = ch5_err(c->path, "/vocab[%zu] = %" PRIu32 " is not a Unicode code point", at, v[at]);
    else if (bad == VOCAB_NOT_INCREASING)
        rc = ch5_err(c->path, "/vocab is not strictly increasing at index %zu", at);
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
    h5u_quiet();
    hid_t fapl = h5u_read_fapl();
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
