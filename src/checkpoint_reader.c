/* checkpoint_reader.c — the checkpoint schema read and validated (see checkpoint.h). */
#include "checkpoint.h"

#include "checkpoint_guard.h"
#include "error.h"
#include "h5util.h"
#include "vocab.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAX_STR ((size_t)1 << 20) /* longest fixed-length string attribute read */

typedef struct {
    hid_t file;
    const char *path;
} ck_reader;

/* "checkpoint 'PATH': <message>" */
#define ck_rerr(r, ...) error_about("checkpoint", (r)->path, __VA_ARGS__)

/* 1 when every component of the absolute `path` is a hard link, else 0. */
static int ck_exists(hid_t f, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1;; s++) {
        char c = *s;
        H5L_info_t info;
        if (c != '/' && c != 0)
            continue;
        *s = 0;
        if (H5Lexists(f, buf, H5P_DEFAULT) <= 0 || H5Lget_info(f, buf, &info, H5P_DEFAULT) < 0 ||
            info.type != H5L_TYPE_HARD)
            return 0;
        *s = c;
        if (!c)
            return 1;
    }
}

static hid_t ck_open_group(const ck_reader *r, const char *path)
{
    hid_t g = ck_exists(r->file, path) ? H5Gopen2(r->file, path, H5P_DEFAULT) : -1;
    if (g < 0)
        ck_rerr(r, "missing group %s", path);
    return g;
}

/* The attributes of the group g at `where`. */
static h5u_attrs ck_attrs(const ck_reader *r, hid_t g, const char *where)
{
    h5u_attrs a = {"checkpoint", r->path, g, where};
    return a;
}

/* /model attributes, checked, then the layout built from them. */
static int ck_r_model(const ck_reader *r, checkpoint *ck)
{
    hid_t g = ck_open_group(r, "/model");
    char *cell = NULL;
    uint64_t vocab = 0, hidden = 0, layers = 0;
    cell_kind kind = CELL_LSTM;
    if (g < 0)
        return -1;
    h5u_attrs at = ck_attrs(r, g, "/model");
    int rc = h5u_attr_str(&at, "cell", CK_MAX_STR, &cell);
    if (!rc && cell_parse(cell, &kind) < 0)
        rc = ck_rerr(r, "attribute /model/cell is '%.40s', expected lstm, gru or rnn", cell);
    if (!rc)
        rc = h5u_attr_u64(&at, "vocab_size", 1, CK_MAX_VOCAB, &vocab);
    if (!rc)
        rc = h5u_attr_u64(&at, "hidden_size", 1, CK_MAX_HIDDEN, &hidden);
    if (!rc)
        rc = h5u_attr_u64(&at, "num_layers", 1, CK_MAX_LAYERS, &layers);
    H5Gclose(g);
    free(cell);
    if (!rc)
        param_layout_init(&ck->layout, kind, vocab, hidden, layers);
    return rc;
}

/* /train attributes; epoch and window must agree with step and windows. */
static int ck_r_train(const ck_reader *r, checkpoint *ck)
{
    static const char *const names[6] = {"step", "epoch", "window", "windows", "rows", "seq"};
    uint64_t *dst[6] = {&ck->step, &ck->epoch, &ck->window, &ck->windows, &ck->rows, &ck->seq};
    uint64_t row_floats = (uint64_t)(ck->layout.layers * ck->layout.hidden);
    uint64_t max_rows = ((uint64_t)SIZE_MAX / sizeof(float)) / row_floats;
    hid_t g = ck_open_group(r, "/train");
    h5u_attrs at = ck_attrs(r, g, "/train");
    int rc = g < 0 ? -1 : 0;
    for (int i = 0; !rc && i < 6; i++)
        rc = h5u_attr_u64(&at, names[i], i >= 3 ? 1 : 0, i == 4 ? max_rows : UINT64_MAX,
                         dst[i]);
    if (!rc)
        rc = h5u_attr_f64(&at, "loss", &ck->loss);
    /* optional (older checkpoints): no step skipped */
    ck->adam_t = ck->step;
    ck->bad_steps = 0;
    if (!rc && H5Aexists(g, "adam_t") > 0)
        rc = h5u_attr_u64(&at, "adam_t", 0, ck->step, &ck->adam_t);
    if (!rc && H5Aexists(g, "bad_steps") > 0)
        rc = h5u_attr_u64(&at, "bad_steps", 0, ck->step, &ck->bad_steps);
    /* optional (older checkpoints, other devices): "" */
    ck->cpu_isa[0] = '\0';
    if (!rc && H5Aexists(g, "cpu_isa") > 0) {
        char *isa = NULL;
        rc = h5u_attr_str(&at, "cpu_isa", sizeof ck->cpu_isa - 1, &isa);
        if (!rc)
            snprintf(ck->cpu_isa, sizeof ck->cpu_isa, "%s", isa);
        free(isa);
    }
    if (g >= 0)
        H5Gclose(g);
    if (!rc && (ck->epoch != ck->step / ck->windows || ck->window != ck->step % ck->windows))
        rc = ck_rerr(r, "/train: epoch %" PRIu64 " and window %" PRIu64 " do not match step %" PRIu64
                     " with %" PRIu64 " windows per epoch",
                     ck->epoch, ck->window, ck->step, ck->windows);
    return rc;
}

/* A dataset the layout expects: where it is, its shape, where it goes. */
typedef struct {
    char path[64];
    int rank;
    hsize_t dims[3];
    int is_vocab;  /* integer class, read through ck_r_vocab */
    float **base;  /* destination buffer (allocated after all checks) */
    size_t offset; /* elements into *base */
} ck_dspec;

static void ck_shape_str(char *buf, size_t len, int rank, const hsize_t *dims)
{
    size_t n = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < rank && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? ", " : "",
                              (unsigned long long)dims[i]);
    if (n < len)
        snprintf(buf + n, len - n, "%s)", rank == 1 ? "," : "");
}

static int ck_check_shape(const ck_reader *r, const ck_dspec *s, hid_t space)
{
    hsize_t dims[H5S_MAX_RANK];
    char got[160], want[160];
    if (H5Sget_simple_extent_type(space) == H5S_NULL)
        return ck_rerr(r, "dataset %s is empty (null dataspace)", s->path);
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        return ck_rerr(r, "dataset %s has an unreadable shape", s->path);
    if (rank == s->rank && memcmp(dims, s->dims, (size_t)rank * sizeof *dims) == 0)
        return 0;
    ck_shape_str(got, sizeof got, rank, dims);
    ck_shape_str(want, sizeof want, s->rank, s->dims);
    return ck_rerr(r, "dataset %s has shape %s, expected %s", s->path, got, want);
}

/* 1 when every byte of the dataset is stored, 0 when not, -1 on error.
 * Chunked: every chunk is in the chunk index (H5Dget_space_status cannot
 * say: with a filter such as Fletcher-32 or gzip the stored size never
 * equals the data's, and HDF5 1.10 then reports "partly allocated"). */
static int ck_all_stored(hid_t d, const ck_dspec *s)
{
    hid_t dcpl = H5Dget_create_plist(d);
    H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
    int rc = -1;
    if (layout == H5D_CHUNKED) {
#if H5_VERSION_GE(1, 10, 5)
        hsize_t cdims[H5S_MAX_RANK], want = 1, have = 0;
        int crank = H5Pget_chunk(dcpl, H5S_MAX_RANK, cdims);
        hid_t space = H5Dget_space(d); /* HDF5 1.10 takes no H5S_ALL here */
        for (int i = 0; crank == s->rank && i < s->rank; i++)
            want *= cdims[i] ? (s->dims[i] + cdims[i] - 1) / cdims[i] : 0;
        if (crank == s->rank && want > 0 && space >= 0 &&
            H5Dget_num_chunks(d, space, &have) >= 0)
            rc = have == want;
        if (space >= 0)
            H5Sclose(space);
#else
        rc = 1; /* no chunk count before HDF5 1.10.5: the storage size check only */
#endif
    } else if (layout >= 0) {
        H5D_space_status_t status = H5D_SPACE_STATUS_ERROR;
        if (H5Dget_space_status(d, &status) >= 0)
            rc = status == H5D_SPACE_STATUS_ALLOCATED;
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return rc;
}

/* The dataset's data is in the file, checked before anything is allocated
 * for it: all of it written (of a dataset created but never written, or
 * only in part, HDF5 would hand back fill values: a small file could then
 * declare gigabytes of zeros), and no more bytes stored than the file holds
 * (a damaged or crafted chunk index). */
static int ck_check_storage(const ck_reader *r, const ck_dspec *s, hid_t d)
{
    hsize_t file_size = 0, stored;
    int all = ck_all_stored(d, s);
    if (all < 0 || H5Fget_filesize(r->file, &file_size) < 0)
        return ck_rerr(r, "dataset %s is unreadable", s->path);
    if (!all)
        return ck_rerr(r, "dataset %s is not all in the file (created but not written?)", s->path);
    stored = H5Dget_storage_size(d);
    if (stored > file_size)
        return ck_rerr(r, "dataset %s claims %llu bytes of storage in a file of %llu bytes",
                       s->path, (unsigned long long)stored, (unsigned long long)file_size);
    return 0;
}

/* The dataset exists, is of the right class, has exactly the shape, and
 * its data is in the file. */
static int ck_check_dset(const ck_reader *r, const ck_dspec *s)
{
    if (!ck_exists(r->file, s->path))
        return ck_rerr(r, "missing dataset %s", s->path);
    hid_t d = H5Dopen2(r->file, s->path, H5P_DEFAULT);
    if (d < 0)
        return ck_rerr(r, "%s is not a dataset", s->path);
    hid_t t = H5Dget_type(d), space = H5Dget_space(d);
    H5T_class_t want = s->is_vocab ? H5T_INTEGER : H5T_FLOAT;
    int rc = 0;
    if (t < 0 || space < 0)
        rc = ck_rerr(r, "dataset %s is unreadable", s->path);
    else if (H5Tget_class(t) != want)
        rc = ck_rerr(r, "dataset %s is not of %s type", s->path,
                     s->is_vocab ? "an integer" : "a floating-point");
    else if (!h5u_type_sane(t))
        rc = ck_rerr(r, "dataset %s has a damaged %s type", s->path,
                     s->is_vocab ? "integer" : "floating-point");
    else
        rc = ck_check_shape(r, s, space);
    if (!rc)
        rc = ck_check_storage(r, s, d);
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
    return rc;
}

static int ck_read_dset(const ck_reader *r, const char *path, hid_t mtype, void *buf)
{
    hid_t d = H5Dopen2(r->file, path, H5P_DEFAULT);
    int rc = d >= 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
    if (d >= 0)
        H5Dclose(d);
    if (rc)
        return ck_rerr(r, "dataset %s is corrupted (checksum or read error)", path);
    return 0;
}

/* /vocab: code points, strictly increasing, no surrogates (vocab.h). */
static int ck_r_vocab(const ck_reader *r, checkpoint *ck)
{
    size_t n = ck->layout.vocab, at = 0;
    int64_t *v = xmalloc(n * sizeof *v, "checkpoint vocabulary");
    int rc = ck_read_dset(r, "/vocab", H5T_NATIVE_INT64, v);
    for (size_t i = 0; !rc && i < n; i++) /* out of uint32_t: never a code point */
        ck->vocab[i] = v[i] >= 0 && v[i] <= (int64_t)UINT32_MAX ? (uint32_t)v[i] : UINT32_MAX;
    vocab_problem bad = rc ? VOCAB_OK : vocab_check(ck->vocab, n, &at);
    if (bad == VOCAB_NOT_SCALAR)
        rc = ck_rerr(r, "/vocab[%zu] = %" PRId64 " is not a Unicode code point", at, v[at]);
    else if (bad == VOCAB_NOT_INCREASING)
        rc = ck_rerr(r, "/vocab is not strictly increasing at index %zu", at);
    free(v);
    return rc;
}

static void ck_spec(ck_dspec *s, const char *path, int rank, const hsize_t *dims, float **base,
                    size_t offset)
{
    snprintf(s->path, sizeof s->path, "%s", path);
    s->rank = rank;
    memcpy(s->dims, dims, (size_t)rank * sizeof *dims);
    s->is_vocab = base == NULL;
    s->base = base;
    s->offset = offset;
}

/* Every dataset the /model attributes and /train rows call for. */
static ck_dspec *ck_specs(checkpoint *ck, size_t *n)
{
    const param_layout *p = &ck->layout;
    ck_dspec *s = xcalloc(p->n_tensors + 5, sizeof *s, "checkpoint datasets");
    hsize_t vocab = p->vocab, np = p->n_params;
    hsize_t state[3] = {ck->rows, p->layers, p->hidden};
    char path[64];
    for (size_t i = 0; i < p->n_tensors; i++) {
        const param_tensor *t = &p->tensors[i];
        hsize_t dims[2] = {t->rows, t->cols};
        snprintf(path, sizeof path, "/model/%s", t->name);
        ck_spec(&s[i], path, t->cols ? 2 : 1, dims, &ck->params, t->offset);
    }
    *n = p->n_tensors;
    ck_spec(&s[(*n)++], "/vocab", 1, &vocab, NULL, 0);
    ck_spec(&s[(*n)++], "/optim/adam_m", 1, &np, &ck->adam_m, 0);
    ck_spec(&s[(*n)++], "/optim/adam_v", 1, &np, &ck->adam_v, 0);
    ck_spec(&s[(*n)++], "/state/h", 3, state, &ck->h, 0);
    if (p->cell == CELL_LSTM)
        ck_spec(&s[(*n)++], "/state/c", 3, state, &ck->c, 0);
    return s;
}

static void ck_alloc(checkpoint *ck)
{
    size_t np = ck->layout.n_params;
    size_t state = (size_t)ck->rows * ck->layout.layers * ck->layout.hidden;
    ck->vocab = xmalloc(ck->layout.vocab * sizeof *ck->vocab, "checkpoint vocabulary");
    ck->params = xmalloc(np * sizeof(float), "checkpoint parameters");
    ck->adam_m = xmalloc(np * sizeof(float), "checkpoint Adam moments");
    ck->adam_v = xmalloc(np * sizeof(float), "checkpoint Adam moments");
    ck->h = xmalloc(state * sizeof(float), "checkpoint hidden state");
    if (ck->layout.cell == CELL_LSTM)
        ck->c = xmalloc(state * sizeof(float), "checkpoint cell state");
}

/* Checks every dataset, then allocates and reads them all. */
static int ck_r_datasets(const ck_reader *r, checkpoint *ck)
{
    size_t n;
    ck_dspec *s = ck_specs(ck, &n);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = ck_check_dset(r, &s[i]);
    if (!rc && ck->layout.cell != CELL_LSTM && ck_exists(r->file, "/state/c"))
        rc = ck_rerr(r, "unexpected dataset /state/c for a %s model", cell_name(ck->layout.cell));
    if (!rc)
        ck_alloc(ck);
    for (size_t i = 0; !rc && i < n; i++)
        rc = s[i].is_vocab ? ck_r_vocab(r, ck)
                           : ck_read_dset(r, s[i].path, H5T_NATIVE_FLOAT, *s[i].base + s[i].offset);
    free(s);
    return rc;
}

typedef struct {
    const ck_reader *r;
    checkpoint *ck;
    size_t cap;
    int failed; /* the error is set */
} ck_opt_iter;

/* Appends key = value to ck's options. */
static void ck_opt_add(ck_opt_iter *it, const char *key, char *value)
{
    checkpoint *ck = it->ck;
    if (ck->n_options == it->cap) {
        it->cap = it->cap ? 2 * it->cap : 16;
        char **keys = xcalloc(it->cap, sizeof *keys, "checkpoint options");
        char **values = xcalloc(it->cap, sizeof *values, "checkpoint options");
        if (ck->n_options) {
            memcpy(keys, ck->option_keys, ck->n_options * sizeof *keys);
            memcpy(values, ck->option_values, ck->n_options * sizeof *values);
        }
        free(ck->option_keys);
        free(ck->option_values);
        ck->option_keys = keys;
        ck->option_values = values;
    }
    ck->option_keys[ck->n_options] = xstrdup(key, "checkpoint option");
    ck->option_values[ck->n_options++] = value;
}

static herr_t ck_opt_one(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    ck_opt_iter *it = data;
    char *value = NULL;
    (void)info;
    h5u_attrs at = ck_attrs(it->r, loc, "/options");
    if (h5u_attr_str(&at, name, CK_MAX_STR, &value) < 0) {
        it->failed = 1;
        return -1;
    }
    ck_opt_add(it, name, value);
    return 0;
}

/* Every attribute of /options, as strings, in creation order when indexed. */
static int ck_r_options(const ck_reader *r, checkpoint *ck)
{
    hid_t g = ck_open_group(r, "/options");
    if (g < 0)
        return -1;
    hid_t gcpl = H5Gget_create_plist(g);
    unsigned order = 0;
    if (gcpl >= 0) {
        H5Pget_attr_creation_order(gcpl, &order);
        H5Pclose(gcpl);
    }
    ck_opt_iter it = {r, ck, 0, 0};
    H5_index_t index = (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    herr_t e = H5Aiterate2(g, index, H5_ITER_INC, NULL, ck_opt_one, &it);
    H5Gclose(g);
    if (e < 0 && !it.failed)
        return ck_rerr(r, "cannot list the attributes of /options");
    return e < 0 ? -1 : 0;
}


int checkpoint_read(const char *path, checkpoint *ck)
{
    memset(ck, 0, sizeof *ck);
    h5u_quiet();
    ck_reader r = {ck_guard_open(path), path};
    if (r.file < 0)
        return -1;
    int rc = ck_r_model(&r, ck);
    if (!rc)
        rc = ck_r_train(&r, ck);
    if (!rc)
        rc = ck_r_datasets(&r, ck);
    if (!rc)
        rc = ck_r_options(&r, ck);
    if (H5Fclose(r.file) < 0 && !rc)
        rc = ck_rerr(&r, "cannot close the file");
    if (rc)
        checkpoint_free(ck);
    return rc;
}

const char *checkpoint_option(const checkpoint *ck, const char *key)
{
    for (size_t i = 0; i < ck->n_options; i++)
        if (strcmp(ck->option_keys[i], key) == 0)
            return ck->option_values[i];
    return NULL;
}

void checkpoint_free(checkpoint *ck)
{
    if (!ck)
        return;
    param_layout_free(&ck->layout);
    free(ck->vocab);
    free(ck->params);
    free(ck->adam_m);
    free(ck->adam_v);
    free(ck->h);
    free(ck->c);
    for (size_t i = 0; i < ck->n_options; i++) {
        free(ck->option_keys[i]);
        free(ck->option_values[i]);
    }
    free(ck->option_keys);
    free(ck->option_values);
    memset(ck, 0, sizeof *ck);
}
