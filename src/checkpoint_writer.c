/* checkpoint_writer.c — the checkpoint schema written into an open HDF5 file (see checkpoint_writer.h). */
#include "checkpoint_writer.h"

#include "h5util.h"
#include "vocab.h"

#define CK_CHUNK_ELEMS ((hsize_t)1 << 20) /* at most 4 MiB of float32 per chunk */

static int ck_w_dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                     const hsize_t *dims, const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = space < 0 ? -1 : h5u_dcpl(rank, dims, CK_CHUNK_ELEMS, 0);
    hid_t d = dcpl < 0 ? -1 : H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                 ? 0
                 : h5u_fail();
    if (d >= 0 && H5Dclose(d) < 0)
        rc = h5u_fail();
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* A variable-length UTF-8 string attribute (h5py reads it as str). */
static int ck_w_attr_str(hid_t loc, const char *name, const char *val)
{
    return h5u_write_attr_strs(loc, name, 0, &val);
}

static int ck_w_floats(hid_t loc, const char *name, int rank, const hsize_t *dims,
                       const float *data)
{
    return ck_w_dset(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, dims, data);
}

/* A new group without modification times (checkpoints are reproducible
 * byte for byte); `ordered` tracks its attributes' creation order. */
static hid_t ck_w_group(hid_t loc, const char *name, int ordered)
{
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0 &&
        (!ordered || H5Pset_attr_creation_order(gcpl, order) >= 0))
        g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (g < 0)
        h5u_fail();
    if (gcpl >= 0)
        H5Pclose(gcpl);
    return g;
}

static int ck_close_group(hid_t g, int rc)
{
    if (H5Gclose(g) < 0)
        rc = h5u_fail();
    return rc;
}

static int ck_w_model(hid_t f, const checkpoint *ck)
{
    const param_layout *p = &ck->layout;
    int64_t hidden = (int64_t)p->hidden, layers = (int64_t)p->layers;
    int64_t vocab = (int64_t)p->vocab;
    hid_t g = ck_w_group(f, "model", 0);
    if (g < 0)
        return -1;
    int rc = ck_w_attr_str(g, "cell", cell_name(p->cell));
    if (!rc)
        rc = h5u_write_attr(g, "hidden_size", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &hidden);
    if (!rc)
        rc = h5u_write_attr(g, "num_layers", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &layers);
    if (!rc)
        rc = h5u_write_attr(g, "vocab_size", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &vocab);
    for (size_t i = 0; !rc && i < p->n_tensors; i++) {
        const param_tensor *t = &p->tensors[i];
        hsize_t dims[2] = {t->rows, t->cols};
        rc = ck_w_floats(g, t->name, t->cols ? 2 : 1, dims, ck->params + t->offset);
    }
    return ck_close_group(g, rc);
}

static int ck_w_arrays(hid_t f, const checkpoint *ck)
{
    hsize_t v = ck->layout.vocab, n = ck->layout.n_params;
    int rc = ck_w_dset(f, "vocab", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &v, ck->vocab);
    hid_t g = rc ? -1 : ck_w_group(f, "optim", 0);
    if (g < 0)
        return -1;
    rc = ck_w_floats(g, "adam_m", 1, &n, ck->adam_m);
    if (!rc)
        rc = ck_w_floats(g, "adam_v", 1, &n, ck->adam_v);
    return ck_close_group(g, rc);
}

static int ck_w_train(hid_t f, const checkpoint *ck)
{
    static const char *const names[6] = {"step", "epoch", "window", "windows", "rows", "seq"};
    const uint64_t vals[6] = {ck->step, ck->epoch, ck->window, ck->windows, ck->rows, ck->seq};
    hid_t g = ck_w_group(f, "train", 0);
    if (g < 0)
        return -1;
    int rc = 0;
    for (int i = 0; !rc && i < 6; i++)
        rc = h5u_write_attr(g, names[i], H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &vals[i]);
    if (!rc)
        rc = h5u_write_attr(g, "adam_t", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &ck->adam_t);
    if (!rc)
        rc = h5u_write_attr(g, "bad_steps", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &ck->bad_steps);
    if (!rc)
        rc = h5u_write_attr(g, "loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &ck->loss);
    if (!rc && ck->cpu_isa[0])
        rc = ck_w_attr_str(g, "cpu_isa", ck->cpu_isa);
    return ck_close_group(g, rc);
}

static int ck_w_state(hid_t f, const checkpoint *ck)
{
    hsize_t dims[3] = {ck->rows, ck->layout.layers, ck->layout.hidden};
    hid_t g = ck_w_group(f, "state", 0);
    if (g < 0)
        return -1;
    int rc = ck_w_floats(g, "h", 3, dims, ck->h);
    if (!rc && ck->c)
        rc = ck_w_floats(g, "c", 3, dims, ck->c);
    return ck_close_group(g, rc);
}

/* /options keeps the attributes' creation order so they read back in order. */
static int ck_w_options(hid_t f, const checkpoint *ck)
{
    hid_t g = ck_w_group(f, "options", 1);
    int rc = g < 0 ? -1 : 0;
    for (size_t i = 0; !rc && i < ck->n_options; i++)
        rc = ck_w_attr_str(g, ck->option_keys[i], ck->option_values[i]);
    return g < 0 ? rc : ck_close_group(g, rc);
}

int ck_write_contents(hid_t f, const checkpoint *ck)
{
    int rc = ck_w_model(f, ck);
    if (!rc)
        rc = ck_w_arrays(f, ck);
    if (!rc)
        rc = ck_w_train(f, ck);
    if (!rc)
        rc = ck_w_state(f, ck);
    if (!rc)
        rc = ck_w_options(f, ck);
    return rc;
}


/* Refuses what checkpoint_read would reject (a programming error). */
const char *ck_write_problem(const checkpoint *ck)
{
    const param_layout *p = &ck->layout;
    if (!p->tensors || !ck->params || !ck->vocab || !ck->adam_m || !ck->adam_v || !ck->h)
        return "incomplete checkpoint";
    if ((p->cell == CELL_LSTM) != (ck->c != NULL))
        return ck->c ? "cell state given for a non-LSTM model" : "cell state missing for an LSTM";
    if (p->vocab < 1 || p->vocab > CK_MAX_VOCAB || p->hidden < 1 || p->hidden > CK_MAX_HIDDEN ||
        p->layers < 1 || p->layers > CK_MAX_LAYERS)
        return "model size out of range";
    if (ck->rows < 1 || ck->windows < 1 || ck->seq < 1)
        return "rows, windows and seq must be at least 1";
    if (ck->epoch != ck->step / ck->windows || ck->window != ck->step % ck->windows)
        return "epoch and window do not match step and windows";
    if (ck->adam_t > ck->step || ck->bad_steps > ck->step)
        return "adam_t and bad_steps cannot exceed step";
    size_t at;
    if (vocab_check(ck->vocab, p->vocab, &at) != VOCAB_OK)
        return "vocabulary not strictly increasing Unicode code points";
    return NULL;
}
