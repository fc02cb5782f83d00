/* h5util.h — the HDF5 helpers shared by the files charnn reads and writes
 * (checkpoints, CORPUS.h5 and charnn-prep's output): the quiet error stack
 * and the reason of a failed call, the property lists, a type's sanity,
 * and attributes written and read with errors that name the file.
 *
 * Error reasons: HDF5 clears its error stack at the start of every API
 * call, so the reason of a failed call must be taken before any other
 * (a close in the clean-up included). h5u_fail does that, and keeps the
 * first reason until h5u_reason_clear: one per thread. */
#ifndef CHARNN_H5UTIL_H
#define CHARNN_H5UTIL_H

#include <hdf5.h>

#include <stddef.h>
#include <stdint.h>

/* HDF5 never prints its error stack (charnn prints one line of its own). */
void h5u_quiet(void);

/* Forgets the recorded reason (call before a sequence of writes). */
void h5u_reason_clear(void);
/* Records the reason of the HDF5 call that just failed, unless one is
 * already recorded: the errno the file driver reported in it (e.g. "No
 * space left on device"), else the innermost HDF5 message, else "HDF5
 * library error". Returns -1. */
int h5u_fail(void);
/* Records strerror(err) likewise (a failed system call of the same
 * sequence). Returns -1. */
int h5u_fail_errno(int err);
/* The recorded reason ("" when none). */
const char *h5u_reason(void);

/* File access for reading, to close with H5Pclose: no file locking (it
 * fails on some network file systems; the files read are never written in
 * place), and closing the file closes whatever is left open in it. -1 on
 * failure. */
hid_t h5u_read_fapl(void);
/* 1 when `name` is an HDF5 file (by its signature), 0 when not, -1 when it
 * cannot tell: H5Fis_accessible with fapl (HDF5 1.12 and later), else
 * H5Fis_hdf5. */
int h5u_is_hdf5(const char *name, hid_t fapl);

/* 1 when t is an integer or floating-point type whose bits all lie inside
 * its 1, 2, 4 or 8 bytes, else 0. HDF5 1.10 converts with whatever
 * precision, bit offset and fields the file states, so a damaged type
 * makes H5Aread and H5Dread read outside the value (a crash); check a
 * type read from a file with this before reading through it. */
int h5u_type_sane(hid_t t);

/* The variable-length UTF-8 string type (h5py reads it as str), to close
 * with H5Tclose; -1 on failure. */
hid_t h5u_str_type(void);
/* Creates attribute `name` of loc with file type ftype and writes val
 * (memory type mtype) to it: n values, or one scalar when n is 0. -1 with
 * the reason recorded (h5u_fail) on failure. */
int h5u_write_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                   const void *val);
/* A variable-length UTF-8 string attribute: the n strings v[0, n), or
 * the one string v[0] as a scalar when n is 0. As h5u_write_attr. */
int h5u_write_attr_strs(hid_t loc, const char *name, hsize_t n, const char *const *v);
/* Dataset creation for data that must read back exactly: chunked with
 * Fletcher-32 checksums, chunks of at most chunk_elems elements filled from
 * the last dimension backwards (an empty dataset: contiguous, nothing to
 * checksum); no modification times, so the same data gives the same bytes;
 * no_fill: no fill values written (every byte is written later). To close
 * with H5Pclose; -1 with the reason recorded on failure. */
hid_t h5u_dcpl(int rank, const hsize_t *dims, hsize_t chunk_elems, int no_fill);

/* The attributes of one object, read with errors naming the file:
 * "<kind> '<path>': attribute <where>/<name> ..." ("attribute <name>"
 * when where is ""). */
typedef struct {
    const char *kind;  /* "checkpoint", "corpus" */
    const char *path;  /* the file */
    hid_t loc;         /* the object holding the attributes */
    const char *where; /* its path in messages: "/model"; "" for the root */
} h5u_attrs;

/* Opens attribute `name`, which must exist and hold exactly one value
 * ("missing attribute", "is not a single value"). To close with H5Aclose;
 * -1 with the error set. */
hid_t h5u_attr_open(const h5u_attrs *o, const char *name);
/* An attribute of any (sane) integer type, non-negative and in [lo, hi]. */
int h5u_attr_u64(const h5u_attrs *o, const char *name, uint64_t lo, uint64_t hi, uint64_t *out);
/* An attribute of any (sane) floating-point type, as a double. */
int h5u_attr_f64(const h5u_attrs *o, const char *name, double *out);
/* A string attribute, fixed (at most max bytes) or variable length, as a
 * new NUL-terminated string (*out, to free). */
int h5u_attr_str(const h5u_attrs *o, const char *name, size_t max, char **out);

#endif
