/* grad_dump.c — test tool: the gradients of window 0 of a text under a checkpoint's model, to HDF5. */
#include "backend.h"
#include "checkpoint.h"
#include "corpus.h"
#include "error.h"
#include "model.h"
#include "shard.h"

#include <hdf5.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(real) == sizeof(float), "the gradients are written as float32");

static const char usage[] =
    "usage: charnn-grad-dump CKPT TEXT --rows N --seq M --out GRADS.h5\n"
    "  window 0 of the notebook batching of TEXT (N rows of M steps), zero state,\n"
    "  no dropout; writes d(mean loss)/d(param) as float32 datasets named like the\n"
    "  state_dict, and the mean loss as the dataset (and root attribute) 'loss'\n";

typedef struct {
    const char *ckpt, *text, *out;
    size_t rows, seq;
} args;

/* A positive size from a decimal string, or 0. */
static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    return (*s && !*end && s[0] != '-') ? (size_t)v : 0;
}

static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--rows") && v)
            a->rows = parse_size(argv[++i]);
        else if (!strcmp(k, "--seq") && v)
            a->seq = parse_size(argv[++i]);
        else if (!strcmp(k, "--out") && v)
            a->out = argv[++i];
        else if (k[0] != '-' && npos < 2)
            pos[npos++] = k;
        else
            return error_set("bad argument '%s'", k);
    }
    a->ckpt = pos[0];
    a->text = pos[1];
    if (!a->ckpt || !a->text || !a->out || !a->rows || !a->seq)
        return error_set("CKPT, TEXT, --rows N > 0, --seq M > 0 and --out are required");
    return 0;
}

/* TEXT as ids through the checkpoint's vocabulary (malloc'ed). */
static int load_ids(const char *path, const checkpoint *ck, uint32_t **ids, size_t *n)
{
    char *bytes;
    size_t len;
    if (corpus_read_file(path, &bytes, &len) != 0)
        return -1;
    int rc = corpus_decode(bytes, len, "utf-8", path, ids, n);
    free(bytes);
    if (rc != 0)
        return -1;
    if (corpus_map(ck->vocab, ck->layout.vocab, *ids, *n, *ids, path) != 0) {
        free(*ids);
        return -1;
    }
    return 0;
}

static int write_f32(hid_t f, const char *name, int rank, const hsize_t *dims, const float *data)
{
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = s < 0 ? -1
                    : H5Dcreate2(f, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (d >= 0)
        rc &= H5Dclose(d) >= 0;
    if (s >= 0)
        H5Sclose(s);
    return rc ? 0 : error_set("cannot write dataset '%s'", name);
}

/* The mean loss, as a float64 scalar dataset and a root attribute. */
static int write_loss(hid_t f, double loss)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(f, "loss", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t a = H5Acreate2(f, "loss", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && a >= 0 &&
             H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &loss) >= 0 &&
             H5Awrite(a, H5T_NATIVE_DOUBLE, &loss) >= 0;
    if (a >= 0)
        H5Aclose(a);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(s);
    return rc ? 0 : error_set("cannot write 'loss'");
}

static int write_grads(const char *path, const param_layout *p, const float *g, double loss)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return error_set("cannot create '%s'", path);
    int rc = write_loss(f, loss);
    for (size_t i = 0; !rc && i < p->n_tensors; i++) {
        const param_tensor *t = &p->tensors[i];
        hsize_t dims[2] = {t->rows, t->cols};
        rc = write_f32(f, t->name, t->cols ? 2 : 1, dims, g + t->offset);
    }
    if (H5Fclose(f) < 0 && !rc)
        rc = error_set("cannot close '%s'", path);
    return rc;
}

/* Window 0 of ids (N rows × M steps) through the model; gradients of the mean loss. */
static double run_window(model *m, const uint32_t *ids, const shard_layout *lay)
{
    size_t N = lay->rows, M = lay->seq;
    int32_t *x = xmalloc(N * M * sizeof *x, "inputs"), *y = xmalloc(N * M * sizeof *y, "targets");
    shard_window(lay, ids, 0, N, 0, x, y);
    model_work w;
    model_work_init(&w, m, N, M, 1);
    model_work_reset(&w, m);
    model_pass pass = {.dropout = 0, .grad_scale = 1.0 / (double)(N * M)};
    double sum = model_run(m, &w, M, x, y, &pass);
    model_work_free(&w, m);
    free(x);
    free(y);
    return sum / (double)(N * M);
}

static int grad_dump(const args *a)
{
    checkpoint ck;
    uint32_t *ids;
    size_t n;
    if (checkpoint_read(a->ckpt, &ck) != 0)
        return -1;
    shard_layout lay;
    int rc = load_ids(a->text, &ck, &ids, &n);
    if (rc == 0 && (rc = shard_layout_init(&lay, n, a->rows, a->seq, a->text)) != 0)
        free(ids);
    if (rc != 0) {
        checkpoint_free(&ck);
        return -1;
    }
    const backend *be = backend_cpu();
    const param_layout *p = &ck.layout;
    model m;
    model_init(&m, be, p->cell, p->vocab, p->hidden, p->layers);
    be->upload(be, m.params, ck.params, p->n_params * sizeof(real));
    double loss = run_window(&m, ids, &lay);
    float *g = xmalloc(p->n_params * sizeof *g, "gradients");
    be->download(be, g, m.grads, p->n_params * sizeof *g);
    rc = write_grads(a->out, p, g, loss);
    if (rc == 0)
        printf("{\"loss\": %.9g, \"windows\": %zu}\n", loss, lay.windows);
    free(g);
    model_free(&m);
    free(ids);
    checkpoint_free(&ck);
    return rc;
}

int main(int argc, char **argv)
{
    error_program("charnn-grad-dump");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    args a;
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (parse_args(argc, argv, &a) != 0 || grad_dump(&a) != 0) {
        error_print();
        fputs(usage, stderr);
        return 1;
    }
    return 0;
}
