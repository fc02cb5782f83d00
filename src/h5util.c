/* h5util.c — HDF5 helpers shared by the checkpoint, corpus and prep files (see h5util.h). */
#include "h5util.h"

#include "error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 11, 0))
#define H5U_HAVE_FILE_LOCKING 1
#endif

/* ------------------------------------------------------------ errors */

/* Why the last failure happened (the first failure wins until cleared). */
static _Thread_local char h5u_why[256];

void h5u_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5u_reason_clear(void) { h5u_why[0] = 0; }

const char *h5u_reason(void) { return h5u_why; }

/* Innermost HDF5 message, or the errno the file driver reported in it. */
static herr_t h5u_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    int *have_errno = data;
    const char *p = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (n == 0 && e->desc)
        snprintf(h5u_why, sizeof h5u_why, "%s", e->desc);
    if (p && !*have_errno && atoi(p + 8) > 0) {
        snprintf(h5u_why, sizeof h5u_why, "%s", strerror(atoi(p + 8)));
        *have_errno = 1;
    }
    return 0;
}

int h5u_fail(void)
{
    int have_errno = 0;
    if (h5u_why[0])
        return -1;
    snprintf(h5u_why, sizeof h5u_why, "HDF5 library error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5u_walk, &have_errno);
    return -1;
}

int h5u_fail_errno(int err)
{
    if (!h5u_why[0])
        snprintf(h5u_why, sizeof h5u_why, "%s", strerror(err));
    return -1;
}

/* ------------------------------------------------- files and types */

hid_t h5u_read_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
#ifdef H5U_HAVE_FILE_LOCKING
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

int h5u_is_hdf5(const char *name, hid_t fapl)
{
#if H5_VERSION_GE(1, 12, 0)
    htri_t ok = H5Fis_accessible(name, fapl);
#else
    (void)fapl;
    htri_t ok = H5Fis_hdf5(name);
#endif
    return ok > 0 ? 1 : ok < 0 ? -1 : 0;
}

int h5u_type_sane(hid_t t)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t), prec = H5Tget_precision(t), bits = 8 * size;
    int off = H5Tget_offset(t);
    H5T_order_t order = H5Tget_order(t);
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT) ||
        (size != 1 && size != 2 && size != 4 && size != 8) || prec == 0 || off < 0 ||
        (size_t)off + prec > bits || (order != H5T_ORDER_LE && order != H5T_ORDER_BE))
        return 0;
    if (cls == H5T_INTEGER)
        return 1;
    size_t spos, epos, esize, mpos, msize;
    return size >= 2 && H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) >= 0 &&
           spos < bits && esize >= 1 && esize <= 16 && epos + esize <= bits && msize >= 1 &&
           mpos + msize <= bits;
}

/* ------------------------------------------------------------ writing */

hid_t h5u_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

int h5u_write_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                   const void *val)
{
    hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, val) >= 0 ? 0 : h5u_fail();
    if (a >= 0 && H5Aclose(a) < 0)
        rc = h5u_fail();
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int h5u_write_attr_strs(hid_t loc, const char *name, hsize_t n, const char *const *v)
{
    hid_t t = h5u_str_type();
    int rc = t < 0 ? h5u_fail() : h5u_write_attr(loc, name, t, t, n, v);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

hid_t h5u_dcpl(int rank, const hsize_t *dims, hsize_t chunk_elems, int no_fill)
{
    hsize_t chunk[H5S_MAX_RANK], budget = chunk_elems, total = 1;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    for (int i = rank - 1; i >= 0; i--) {
        chunk[i] = dims[i] < budget ? dims[i] : budget;
        budget = chunk[i] && budget / chunk[i] ? budget / chunk[i] : 1;
    }
    if (dcpl < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        (no_fill && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0) ||
        (total > 0 && (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0))) {
        h5u_fail();
        if (dcpl >= 0)
            H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

/* ------------------------------------------------- reading attributes */

/* "<kind> '<path>': <message>" */
#define h5u_err(o, ...) error_about((o)->kind, (o)->path, __VA_ARGS__)
/* The attribute's name in messages: where/name, or name at the root. */
#define H5U_AT(o, name) (o)->where, (o)->where[0] ? "/" : "", (name)

hid_t h5u_attr_open(const h5u_attrs *o, const char *name)
{
    if (H5Aexists(o->loc, name) <= 0)
        return h5u_err(o, "missing attribute %s%s%s", H5U_AT(o, name));
    hid_t a = H5Aopen(o->loc, name, H5P_DEFAULT);
    hid_t s = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    if (s >= 0)
        H5Sclose(s);
    if (n != 1) {
        if (a >= 0)
            H5Aclose(a);
        return h5u_err(o, "attribute %s%s%s is not a single value", H5U_AT(o, name));
    }
    return a;
}

/* Closes the attribute a and its type t (either may be -1); returns rc. */
static int h5u_attr_close(hid_t a, hid_t t, int rc)
{
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

/* The value read (signed or not) against [lo, hi]. */
static int h5u_u64_range(const h5u_attrs *o, const char *name, int64_t sv, int is_signed,
                         uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (sv < 0)
        return h5u_err(o, "attribute %s%s%s = %" PRId64 " is negative", H5U_AT(o, name), sv);
    if (is_signed)
        *out = (uint64_t)sv;
    if (*out < lo || *out > hi)
        return h5u_err(o, "attribute %s%s%s = %" PRIu64 " is out of range [%" PRIu64 ", %" PRIu64
                       "]", H5U_AT(o, name), *out, lo, hi);
    return 0;
}

int h5u_attr_u64(const h5u_attrs *o, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    hid_t a = h5u_attr_open(o, name);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    int is_int = t >= 0 && H5Tget_class(t) == H5T_INTEGER;
    int sane = is_int && h5u_type_sane(t);
    int is_signed = is_int && H5Tget_sign(t) == H5T_SGN_2;
    int64_t sv = 0;
    herr_t e = !sane       ? -1
               : is_signed ? H5Aread(a, H5T_NATIVE_INT64, &sv)
                           : H5Aread(a, H5T_NATIVE_UINT64, out);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    if (!is_int)
        return h5u_err(o, "attribute %s%s%s is not an integer", H5U_AT(o, name));
    if (!sane)
        return h5u_err(o, "attribute %s%s%s has a damaged integer type", H5U_AT(o, name));
    if (e < 0)
        return h5u_err(o, "cannot read attribute %s%s%s", H5U_AT(o, name));
    return h5u_u64_range(o, name, sv, is_signed, lo, hi, out);
}

int h5u_attr_f64(const h5u_attrs *o, const char *name, double *out)
{
    hid_t a = h5u_attr_open(o, name);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = a < 0 ? -1 : 0;
    if (!rc && (t < 0 || H5Tget_class(t) != H5T_FLOAT))
        rc = h5u_err(o, "attribute %s%s%s is not a floating-point number", H5U_AT(o, name));
    else if (!rc && !h5u_type_sane(t))
        rc = h5u_err(o, "attribute %s%s%s has a damaged floating-point type", H5U_AT(o, name));
    else if (!rc && H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        rc = h5u_err(o, "cannot read attribute %s%s%s", H5U_AT(o, name));
    return h5u_attr_close(a, t, rc);
}

static int h5u_read_vlen_str(hid_t a, hid_t m, char **out)
{
    char *s = NULL;
    if (H5Tset_size(m, H5T_VARIABLE) < 0 || H5Aread(a, m, &s) < 0)
        return -1;
    *out = xstrdup(s ? s : "", "HDF5 string attribute");
    H5free_memory(s);
    return 0;
}

/* A fixed-length string of n bytes, read NUL-terminated into n + 1 bytes. */
static int h5u_read_fixed_str(hid_t a, hid_t m, size_t n, size_t max, char **out)
{
    if (n == 0 || n > max || H5Tset_size(m, n + 1) < 0 || H5Tset_strpad(m, H5T_STR_NULLTERM) < 0)
        return -1;
    char *s = xmalloc(n + 1, "HDF5 string attribute");
    if (H5Aread(a, m, s) < 0) {
        free(s);
        return -1;
    }
    s[n] = 0;
    *out = s;
    return 0;
}

/* Reads a string attribute of file type ftype (fixed or variable length). */
static int h5u_read_str(hid_t a, hid_t ftype, size_t max, char **out)
{
    hid_t m = H5Tcopy(H5T_C_S1);
    int rc = -1;
    if (m >= 0 && H5Tset_cset(m, H5Tget_cset(ftype)) >= 0)
        rc = H5Tis_variable_str(ftype) > 0
                 ? h5u_read_vlen_str(a, m, out)
                 : h5u_read_fixed_str(a, m, H5Tget_size(ftype), max, out);
    if (m >= 0)
        H5Tclose(m);
    return rc;
}

int h5u_attr_str(const h5u_attrs *o, const char *name, size_t max, char **out)
{
    hid_t a = h5u_attr_open(o, name);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = a < 0 ? -1 : 0;
    if (!rc && (t < 0 || H5Tget_class(t) != H5T_STRING))
        rc = h5u_err(o, "attribute %s%s%s is not a string", H5U_AT(o, name));
    else if (!rc && h5u_read_str(a, t, max, out) < 0)
        rc = h5u_err(o, "cannot read attribute %s%s%s", H5U_AT(o, name));
    return h5u_attr_close(a, t, rc);
}
