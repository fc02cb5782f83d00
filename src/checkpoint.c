/* checkpoint.c — HDF5 checkpoints: atomic write, validated read (see checkpoint.h). */
#define _GNU_SOURCE /* memmem */
#include "checkpoint.h"

#include "checkpoint_seal.h"
#include "error.h"
#include "fault.h"

#include <hdf5.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CK_CHUNK_ELEMS ((hsize_t)1 << 20) /* at most 4 MiB of float32 per chunk */
#define CK_MAX_VOCAB ((uint64_t)1 << 21)
#define CK_MAX_HIDDEN 65536u
#define CK_MAX_LAYERS 64u
#define CK_MAX_STR ((size_t)1 << 20) /* longest fixed-length string attribute read */

#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 11, 0))
#define CK_HAVE_FILE_LOCKING 1
#endif

/* ---------------------------------------------------------------- paths */

/* Formats a new string (never NULL). */
static char *ck_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ck_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)(n < 0 ? 0 : n) + 1, "checkpoint path");
    va_start(ap, fmt);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* DIR/NAME, without doubling a trailing slash; "" means the current directory. */
static char *ck_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n == 0)
        return ck_strf("%s", name);
    return ck_strf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* --------------------------------------------------------- HDF5 errors */

/* Why the last write step failed (first failure wins; reset per write). */
static _Thread_local char ck_reason[256];

static void ck_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Innermost HDF5 message, or the errno the file driver reported in it. */
static herr_t ck_h5_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    int *have_errno = data;
    const char *p = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (n == 0 && e->desc)
        snprintf(ck_reason, sizeof ck_reason, "%s", e->desc);
    if (p && !*have_errno && atoi(p + 8) > 0) {
        snprintf(ck_reason, sizeof ck_reason, "%s", strerror(atoi(p + 8)));
        *have_errno = 1;
    }
    return 0;
}

/* Records the reason of a failed HDF5 call (call before any other H5 call). */
static int ck_fail_h5(void)
{
    int have_errno = 0;
    if (ck_reason[0])
        return -1;
    snprintf(ck_reason, sizeof ck_reason, "HDF5 library error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, ck_h5_walk, &have_errno);
    return -1;
}

static int ck_fail_errno(int err)
{
    if (!ck_reason[0])
        snprintf(ck_reason, sizeof ck_reason, "%s", strerror(err));
    return -1;
}

/* File access for reading: no file locking (checkpoints are immutable once
 * renamed into place), and closing the file closes whatever is left open. */
static hid_t ck_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
#ifdef CK_HAVE_FILE_LOCKING
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

/* ------------------------------------------------------- HDF5 writing */

static hid_t ck_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* A scalar attribute of file type ftype from *val in memory type mtype. */
static int ck_w_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? -1 : H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr >= 0 && H5Awrite(attr, mtype, val) >= 0 ? 0 : ck_fail_h5();
    if (attr >= 0 && H5Aclose(attr) < 0)
        rc = ck_fail_h5();
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* A variable-length UTF-8 string attribute (h5py reads it as str). */
static int ck_w_attr_str(hid_t loc, const char *name, const char *val)
{
    hid_t t = ck_str_type();
    int rc = t < 0 ? ck_fail_h5() : ck_w_attr(loc, name, t, t, &val);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

/* Chunked with Fletcher-32 checksums; chunks of at most CK_CHUNK_ELEMS
 * elements, filled from the last dimension backwards. No modification
 * times, so that the same checkpoint gives the same bytes. */
static hid_t ck_dcpl(int rank, const hsize_t *dims)
{
    hsize_t chunk[3], budget = CK_CHUNK_ELEMS, total = 1;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    for (int i = rank - 1; i >= 0; i--) {
        chunk[i] = dims[i] < budget ? dims[i] : budget;
        budget = chunk[i] && budget / chunk[i] ? budget / chunk[i] : 1;
    }
    if (dcpl >= 0 && (H5Pset_obj_track_times(dcpl, 0) < 0 ||
                      (total > 0 && /* empty: contiguous, nothing to checksum */
                       (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0)))) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

static int ck_w_dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                     const hsize_t *dims, const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = space < 0 ? -1 : ck_dcpl(rank, dims);
    hid_t d = dcpl < 0 ? -1 : H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                 ? 0
                 : ck_fail_h5();
    if (d >= 0 && H5Dclose(d) < 0)
        rc = ck_fail_h5();
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
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
        ck_fail_h5();
    if (gcpl >= 0)
        H5Pclose(gcpl);
    return g;
}

static int ck_close_group(hid_t g, int rc)
{
    if (H5Gclose(g) < 0)
        rc = ck_fail_h5();
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
        rc = ck_w_attr(g, "hidden_size", H5T_STD_I64LE, H5T_NATIVE_INT64, &hidden);
    if (!rc)
        rc = ck_w_attr(g, "num_layers", H5T_STD_I64LE, H5T_NATIVE_INT64, &layers);
    if (!rc)
        rc = ck_w_attr(g, "vocab_size", H5T_STD_I64LE, H5T_NATIVE_INT64, &vocab);
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
        rc = ck_w_attr(g, names[i], H5T_STD_U64LE, H5T_NATIVE_UINT64, &vals[i]);
    if (!rc)
        rc = ck_w_attr(g, "adam_t", H5T_STD_U64LE, H5T_NATIVE_UINT64, &ck->adam_t);
    if (!rc)
        rc = ck_w_attr(g, "bad_steps", H5T_STD_U64LE, H5T_NATIVE_UINT64, &ck->bad_steps);
    if (!rc)
        rc = ck_w_attr(g, "loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &ck->loss);
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

static int ck_w_contents(hid_t f, const checkpoint *ck)
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

/* The file is built in memory (HDF5's core driver, no backing store) and
 * written out with plain write(2): disk errors then surface as errno from
 * our own calls, and an HDF5 file close can never fail on I/O (in HDF5
 * 1.10 a failed H5Fclose leaves a file id behind that crashes at exit).
 * The image callbacks let us keep the driver's buffer past H5Fclose, so the
 * image is never copied. */
typedef struct {
    void *mem;   /* the driver's buffer, kept after close */
    size_t size; /* its size */
} ck_image;

/* Only the driver's own buffer (file open/resize) is tracked. */
static int ck_img_tracked(H5FD_file_image_op_t op)
{
    return op == H5FD_FILE_IMAGE_OP_FILE_OPEN || op == H5FD_FILE_IMAGE_OP_FILE_RESIZE;
}

static void *ck_img_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    ck_image *im = udata;
    void *p = malloc(size ? size : 1);
    if (p && ck_img_tracked(op)) {
        im->mem = p;
        im->size = size;
    }
    return p;
}

static void *ck_img_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                           void *udata)
{
    (void)op, (void)udata;
    return memcpy(dest, src, size);
}

static void *ck_img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata)
{
    ck_image *im = udata;
    void *p = realloc(ptr, size ? size : 1);
    if (p && ck_img_tracked(op)) {
        im->mem = p;
        im->size = size;
    }
    return p;
}

/* The buffer of the closing file is kept (im->mem); anything else is freed. */
static herr_t ck_img_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    ck_image *im = udata;
    if (ptr == im->mem && op == H5FD_FILE_IMAGE_OP_FILE_CLOSE)
        return 0;
    if (ptr == im->mem)
        im->mem = NULL, im->size = 0;
    free(ptr);
    return 0;
}

static void *ck_img_udata_copy(void *udata) { return udata; }
static herr_t ck_img_udata_free(void *udata) { (void)udata; return 0; }

/* Bytes the file will take, with room for metadata: the core driver's
 * growth increment, so the buffer is usually allocated once. */
static size_t ck_size_guess(const checkpoint *ck)
{
    const param_layout *p = &ck->layout;
    size_t state = ck->rows * p->layers * p->hidden * (ck->c ? 2 : 1);
    size_t bytes = 4 * (3 * p->n_params + state + p->vocab);
    return bytes + bytes / 16 + ((size_t)4 << 20);
}

static hid_t ck_core_fapl(ck_image *im, size_t increment)
{
    H5FD_file_image_callbacks_t cb = {ck_img_malloc,     ck_img_memcpy,     ck_img_realloc,
                                      ck_img_free,       ck_img_udata_copy, ck_img_udata_free,
                                      im};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && (H5Pset_fapl_core(fapl, increment, 0) < 0 ||
                      H5Pset_file_image_callbacks(fapl, &cb) < 0 ||
                      H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* File creation: a CK_SEAL_BYTES user block in front of the HDF5 data,
 * for the header (checkpoint_seal.h). HDF5 and h5py skip it. */
static hid_t ck_fcpl(void)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl >= 0 && H5Pset_userblock(fcpl, CK_SEAL_BYTES) < 0) {
        H5Pclose(fcpl);
        return -1;
    }
    return fcpl;
}

/* Builds the file image in im (im->mem is the caller's to free); *len is
 * its length: the user block, then HDF5's data up to the end of allocated
 * space after the final flush (H5Fget_file_image counts from the end of
 * the user block, and the core driver's buffer holds the whole file). The
 * user block then gets the header: the length and CRC-64 of the rest. */
static int ck_w_image(const char *name, const checkpoint *ck, ck_image *im, size_t *len)
{
    hid_t fapl = ck_core_fapl(im, ck_size_guess(ck)), fcpl = ck_fcpl();
    hid_t f = fapl < 0 || fcpl < 0 ? -1 : H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    int rc = f < 0 ? ck_fail_h5() : ck_w_contents(f, ck);
    ssize_t n = -1;
    if (!rc && H5Fflush(f, H5F_SCOPE_LOCAL) < 0)
        rc = ck_fail_h5();
    if (!rc && (n = H5Fget_file_image(f, NULL, 0)) < 0)
        rc = ck_fail_h5();
    if (f >= 0 && H5Fclose(f) < 0)
        rc = ck_fail_h5();
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (!rc && (!im->mem || im->size < CK_SEAL_BYTES || (size_t)n > im->size - CK_SEAL_BYTES))
        rc = ck_fail_errno(ENOMEM);
    *len = rc ? 0 : CK_SEAL_BYTES + (size_t)n;
    if (!rc)
        ck_seal(im->mem, *len);
    return rc;
}

/* Writes buf to a new file at path and fsyncs it. */
/* All of buf to fd (short writes and EINTR retried). */
static int ck_write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len < ((size_t)1 << 30) ? len : ((size_t)1 << 30));
        if (n < 0 && errno != EINTR)
            return ck_fail_errno(errno);
        if (n > 0)
            buf += n, len -= (size_t)n;
    }
    return 0;
}

/* The image to path, in two halves (the fault point "ckpt-half" between
 * them: a writer killed mid-file), then fsync'ed. */
static int ck_w_posix(const char *path, const unsigned char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return ck_fail_errno(errno);
    int rc = ck_write_all(fd, buf, len / 2);
    fault_point("ckpt-half");
    if (!rc)
        rc = ck_write_all(fd, buf + len / 2, len - len / 2);
    if (!rc && fsync(fd) != 0)
        rc = ck_fail_errno(errno);
    if (close(fd) != 0 && !rc)
        rc = ck_fail_errno(errno);
    return rc;
}

/* ------------------------------------------------- files and directories */

/* fsync a directory; EINVAL (no fsync there) is fine. */
static int ck_fsync_dir(const char *path)
{
    int fd = open(path[0] ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ck_fail_errno(errno);
    int rc = fsync(fd) != 0 && errno != EINVAL ? ck_fail_errno(errno) : 0;
    close(fd);
    return rc;
}

/* mkdir -p */
static int ck_mkdirs(const char *dir)
{
    char *p = xstrdup(dir, "checkpoint path");
    struct stat st;
    int rc = 0;
    for (char *s = p + (p[0] != 0); !rc; s++) {
        char c = *s;
        if (c != '/' && c != 0)
            continue;
        *s = 0;
        if (p[0] && mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = error_set("cannot create checkpoint directory '%s': %s", dir, strerror(errno));
        *s = c;
        if (!c)
            break;
    }
    free(p);
    if (!rc && dir[0] && stat(dir, &st) != 0)
        rc = error_set("cannot create checkpoint directory '%s': %s", dir, strerror(errno));
    else if (!rc && dir[0] && !S_ISDIR(st.st_mode))
        rc = error_set("cannot create checkpoint directory '%s': %s", dir, strerror(ENOTDIR));
    return rc;
}

/* The HDF5 file into tmp, fsync'ed, renamed to final, directory synced. */
static int ck_write_file(const char *dir, const char *tmp, const char *final,
                         const checkpoint *ck)
{
    ck_image im = {NULL, 0};
    size_t len = 0;
    ck_reason[0] = 0;
    int rc = ck_w_image(tmp, ck, &im, &len);
    if (!rc)
        rc = ck_w_posix(tmp, im.mem, len);
    free(im.mem);
    if (!rc)
        fault_point("ckpt-written");
    if (!rc && rename(tmp, final) != 0)
        rc = ck_fail_errno(errno);
    if (rc)
        unlink(tmp);
    if (!rc)
        rc = ck_fsync_dir(dir);
    if (rc)
        return error_set("cannot write checkpoint '%s': %s", final, ck_reason);
    return 0;
}

/* DIR/latest.h5 -> name, replaced atomically (symlink to a temporary + rename). */
static int ck_link_latest(const char *dir, const char *name)
{
    char *link = ck_join(dir, "latest.h5");
    char *tmp_name = ck_strf(".latest.h5.tmp-%ld", (long)getpid());
    char *tmp = ck_join(dir, tmp_name);
    int rc = 0;
    unlink(tmp);
    if (symlink(name, tmp) != 0 || rename(tmp, link) != 0) {
        int err = errno;
        unlink(tmp);
        rc = error_set("cannot update '%s': %s", link, strerror(err));
    }
    ck_reason[0] = 0;
    if (!rc && ck_fsync_dir(dir) != 0)
        rc = error_set("cannot update '%s': %s", link, ck_reason);
    free(tmp);
    free(tmp_name);
    free(link);
    return rc;
}

typedef struct {
    uint64_t step;
    char *name;
} ck_entry;

/* Step of "ckpt-<digits>.h5", or -1 for any other name. */
static int ck_parse_name(const char *name, uint64_t *step)
{
    const char *s = name + 5;
    if (strncmp(name, "ckpt-", 5) != 0 || *s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9')
        s++;
    if (strcmp(s, ".h5") != 0)
        return -1;
    *step = strtoull(name + 5, NULL, 10);
    return 0;
}

static int ck_entry_newer(const void *a, const void *b)
{
    uint64_t x = ((const ck_entry *)a)->step, y = ((const ck_entry *)b)->step;
    return x > y ? -1 : x < y;
}

/* The ckpt-*.h5 in dir, newest first. */
static ck_entry *ck_list(DIR *d, size_t *n)
{
    size_t cap = 16;
    ck_entry *e = xmalloc(cap * sizeof *e, "checkpoint list");
    struct dirent *de;
    uint64_t step;
    *n = 0;
    while ((de = readdir(d)) != NULL) {
        if (ck_parse_name(de->d_name, &step) != 0)
            continue;
        if (*n == cap) {
            cap *= 2;
            ck_entry *bigger = xmalloc(cap * sizeof *e, "checkpoint list");
            memcpy(bigger, e, *n * sizeof *e);
            free(e);
            e = bigger;
        }
        e[*n].step = step;
        e[(*n)++].name = xstrdup(de->d_name, "checkpoint path");
    }
    qsort(e, *n, sizeof *e, ck_entry_newer);
    return e;
}

/* 1 for a temporary file of a writer that is not this process (one killed
 * mid-write): ".ckpt-<step>.h5.tmp-<pid>", ".latest.h5.tmp-<pid>". */
static int ck_stale_tmp(const char *name)
{
    const char *tag = strstr(name, ".h5.tmp-");
    if (!tag || (strncmp(name, ".ckpt-", 6) != 0 && strncmp(name, ".latest.h5", 10) != 0))
        return 0;
    return strtol(tag + 8, NULL, 10) != (long)getpid();
}

/* Removes the temporary files that killed writers left behind. */
static void ck_remove_stale(DIR *d, const char *dir)
{
    struct dirent *de;
    rewinddir(d);
    while ((de = readdir(d)) != NULL) {
        if (!ck_stale_tmp(de->d_name))
            continue;
        char *path = ck_join(dir, de->d_name);
        if (unlink(path) != 0 && errno != ENOENT)
            warn_print("cannot remove the unfinished checkpoint '%s': %s", path, strerror(errno));
        free(path);
    }
}

/* Removes all but the newest `keep` checkpoints, never `latest`, and what
 * killed writers left behind. Failures here only warn: the new checkpoint
 * is already safely in place. */
static void ck_prune(const char *dir, size_t keep, const char *latest)
{
    DIR *d = opendir(dir[0] ? dir : ".");
    size_t n = 0;
    if (!d) {
        warn_print("cannot list '%s' to remove old checkpoints: %s", dir, strerror(errno));
        return;
    }
    ck_entry *e = ck_list(d, &n);
    ck_remove_stale(d, dir);
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char *path = ck_join(dir, e[i].name);
        if (i >= keep && strcmp(e[i].name, latest) != 0 && unlink(path) != 0)
            warn_print("cannot remove old checkpoint '%s': %s", path, strerror(errno));
        free(path);
        free(e[i].name);
    }
    free(e);
}

/* Refuses what checkpoint_read would reject (a programming error). */
static const char *ck_write_problem(const checkpoint *ck)
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
    for (size_t i = 0; i < p->vocab; i++)
        if (ck->vocab[i] > 0x10FFFF || (ck->vocab[i] >= 0xD800 && ck->vocab[i] <= 0xDFFF) ||
            (i && ck->vocab[i] <= ck->vocab[i - 1]))
            return "vocabulary not strictly increasing Unicode code points";
    return NULL;
}

static int ck_write_check(const checkpoint *ck, const char *final, size_t path_len,
                          const char *path_out)
{
    const char *problem = ck_write_problem(ck);
    if (path_out && strlen(final) >= path_len)
        return error_set("checkpoint path '%s' is too long", final);
    if (problem)
        return error_set("cannot write checkpoint '%s': %s", final, problem);
    return 0;
}

int checkpoint_write(const char *dir, const checkpoint *ck, size_t keep, char *path_out,
                     size_t path_len)
{
    char name[48], tmp_name[80];
    ck_h5_quiet();
    snprintf(name, sizeof name, "ckpt-%08" PRIu64 ".h5", ck->step);
    snprintf(tmp_name, sizeof tmp_name, ".ckpt-%" PRIu64 ".h5.tmp-%ld", ck->step,
             (long)getpid());
    char *final = ck_join(dir, name), *tmp = ck_join(dir, tmp_name);
    int rc = ck_write_check(ck, final, path_len, path_out);
    if (!rc)
        rc = ck_mkdirs(dir);
    if (!rc)
        rc = ck_write_file(dir, tmp, final, ck);
    if (!rc)
        fault_point("ckpt-renamed");
    if (!rc)
        rc = ck_link_latest(dir, name);
    if (!rc)
        fault_point("ckpt-linked");
    if (!rc)
        ck_prune(dir, keep, name);
    if (!rc && path_out)
        snprintf(path_out, path_len, "%s", final);
    free(final);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------- HDF5 reading */

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

/* Opens attribute where/name, which must hold exactly one value. */
static hid_t ck_attr_open(const ck_reader *r, hid_t loc, const char *where, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return ck_rerr(r, "missing attribute %s/%s", where, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t s = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    if (s >= 0)
        H5Sclose(s);
    if (n != 1) {
        if (a >= 0)
            H5Aclose(a);
        return ck_rerr(r, "attribute %s/%s is not a single value", where, name);
    }
    return a;
}

/* 1 when t is an integer or floating-point type whose bits all lie inside
 * its 1, 2, 4 or 8 bytes. HDF5 1.10 converts with whatever precision, bit
 * offset and fields the file states, so a damaged type makes H5Aread and
 * H5Dread read outside the value (a crash); such a type is refused first. */
static int ck_type_sane(hid_t t)
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

/* Reads an integer attribute of any integer type into *out, within [lo, hi]. */
static int ck_attr_u64(const ck_reader *r, hid_t loc, const char *where, const char *name,
                       uint64_t lo, uint64_t hi, uint64_t *out)
{
    hid_t a = ck_attr_open(r, loc, where, name);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    int is_int = t >= 0 && H5Tget_class(t) == H5T_INTEGER;
    int sane = is_int && ck_type_sane(t);
    int is_signed = is_int && H5Tget_sign(t) == H5T_SGN_2;
    int64_t sv = 0;
    herr_t e = !sane       ? -1
               : is_signed ? H5Aread(a, H5T_NATIVE_INT64, &sv)
                           : H5Aread(a, H5T_NATIVE_UINT64, out);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    if (!is_int)
        return ck_rerr(r, "attribute %s/%s is not an integer", where, name);
    if (!sane)
        return ck_rerr(r, "attribute %s/%s has a damaged integer type", where, name);
    if (e < 0)
        return ck_rerr(r, "cannot read attribute %s/%s", where, name);
    if (sv < 0)
        return ck_rerr(r, "attribute %s/%s = %" PRId64 " is negative", where, name, sv);
    if (is_signed)
        *out = (uint64_t)sv;
    if (*out < lo || *out > hi)
        return ck_rerr(r, "attribute %s/%s = %" PRIu64 " is out of range [%" PRIu64 ", %" PRIu64 "]",
                       where, name, *out, lo, hi);
    return 0;
}

static int ck_attr_f64(const ck_reader *r, hid_t loc, const char *where, const char *name,
                       double *out)
{
    hid_t a = ck_attr_open(r, loc, where, name);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = a < 0 ? -1 : 0;
    if (!rc && (t < 0 || H5Tget_class(t) != H5T_FLOAT))
        rc = ck_rerr(r, "attribute %s/%s is not a floating-point number", where, name);
    else if (!rc && !ck_type_sane(t))
        rc = ck_rerr(r, "attribute %s/%s has a damaged floating-point type", where, name);
    else if (!rc && H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        rc = ck_rerr(r, "cannot read attribute %s/%s", where, name);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

static int ck_read_vlen_str(hid_t a, hid_t m, char **out)
{
    char *s = NULL;
    if (H5Tset_size(m, H5T_VARIABLE) < 0 || H5Aread(a, m, &s) < 0)
        return -1;
    *out = xstrdup(s ? s : "", "checkpoint string");
    H5free_memory(s);
    return 0;
}

/* A fixed-length string of n bytes, read NUL-terminated into n + 1 bytes. */
static int ck_read_fixed_str(hid_t a, hid_t m, size_t n, char **out)
{
    if (n == 0 || n > CK_MAX_STR || H5Tset_size(m, n + 1) < 0 ||
        H5Tset_strpad(m, H5T_STR_NULLTERM) < 0)
        return -1;
    char *s = xmalloc(n + 1, "checkpoint string");
    if (H5Aread(a, m, s) < 0) {
        free(s);
        return -1;
    }
    s[n] = 0;
    *out = s;
    return 0;
}

/* Reads a string attribute of file type ftype (fixed or variable length). */
static int ck_read_str(hid_t a, hid_t ftype, char **out)
{
    hid_t m = H5Tcopy(H5T_C_S1);
    int rc = -1;
    if (m >= 0 && H5Tset_cset(m, H5Tget_cset(ftype)) >= 0)
        rc = H5Tis_variable_str(ftype) > 0 ? ck_read_vlen_str(a, m, out)
                                           : ck_read_fixed_str(a, m, H5Tget_size(ftype), out);
    if (m >= 0)
        H5Tclose(m);
    return rc;
}

static int ck_attr_str(const ck_reader *r, hid_t loc, const char *where, const char *name,
                       char **out)
{
    hid_t a = ck_attr_open(r, loc, where, name);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = a < 0 ? -1 : 0;
    if (!rc && (t < 0 || H5Tget_class(t) != H5T_STRING))
        rc = ck_rerr(r, "attribute %s/%s is not a string", where, name);
    else if (!rc && ck_read_str(a, t, out) < 0)
        rc = ck_rerr(r, "cannot read attribute %s/%s", where, name);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
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
    int rc = ck_attr_str(r, g, "/model", "cell", &cell);
    if (!rc && cell_parse(cell, &kind) < 0)
        rc = ck_rerr(r, "attribute /model/cell is '%.40s', expected lstm, gru or rnn", cell);
    if (!rc)
        rc = ck_attr_u64(r, g, "/model", "vocab_size", 1, CK_MAX_VOCAB, &vocab);
    if (!rc)
        rc = ck_attr_u64(r, g, "/model", "hidden_size", 1, CK_MAX_HIDDEN, &hidden);
    if (!rc)
        rc = ck_attr_u64(r, g, "/model", "num_layers", 1, CK_MAX_LAYERS, &layers);
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
    int rc = g < 0 ? -1 : 0;
    for (int i = 0; !rc && i < 6; i++)
        rc = ck_attr_u64(r, g, "/train", names[i], i >= 3 ? 1 : 0, i == 4 ? max_rows : UINT64_MAX,
                         dst[i]);
    if (!rc)
        rc = ck_attr_f64(r, g, "/train", "loss", &ck->loss);
    /* optional (older checkpoints): no step skipped */
    ck->adam_t = ck->step;
    ck->bad_steps = 0;
    if (!rc && H5Aexists(g, "adam_t") > 0)
        rc = ck_attr_u64(r, g, "/train", "adam_t", 0, ck->step, &ck->adam_t);
    if (!rc && H5Aexists(g, "bad_steps") > 0)
        rc = ck_attr_u64(r, g, "/train", "bad_steps", 0, ck->step, &ck->bad_steps);
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
    else if (!ck_type_sane(t))
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

/* /vocab: code points, strictly increasing, no surrogates. */
static int ck_r_vocab(const ck_reader *r, checkpoint *ck)
{
    size_t n = ck->layout.vocab;
    int64_t *v = xmalloc(n * sizeof *v, "checkpoint vocabulary");
    int rc = ck_read_dset(r, "/vocab", H5T_NATIVE_INT64, v);
    for (size_t i = 0; !rc && i < n; i++) {
        if (v[i] < 0 || v[i] > 0x10FFFF || (v[i] >= 0xD800 && v[i] <= 0xDFFF))
            rc = ck_rerr(r, "/vocab[%zu] = %" PRId64 " is not a Unicode code point", i, v[i]);
        else if (i && v[i] <= v[i - 1])
            rc = ck_rerr(r, "/vocab is not strictly increasing at index %zu", i);
        else
            ck->vocab[i] = (uint32_t)v[i];
    }
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
    if (ck_attr_str(it->r, loc, "/options", name, &value) < 0) {
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

/* ------------------------------------------------ global heap collections */

#define CK_HEAP_SCAN ((size_t)4 << 20) /* bytes searched per read */
#define CK_HEAP_HDR 16u                /* collection and object headers (8-byte lengths) */
#define CK_HEAP_MIN 4096u              /* HDF5's smallest collection */

/* Up to len bytes at `at`: the count read (short at the end of the file),
 * 0 on a read error. */
static size_t ck_pread_some(int fd, unsigned char *buf, size_t len, uint64_t at)
{
    ssize_t n = checkpoint_pread(fd, buf, len, at);
    return n < 0 ? 0 : (size_t)n;
}

static uint64_t ck_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The collection whose "GCOL" signature is at `at`, walked as HDF5 1.10
 * walks it when it loads it (H5HG__cache_heap_deserialize): object headers
 * (index, references, object size), each object's data padded to 8 bytes,
 * index 0 the free space (its size counting its header). HDF5 checks none
 * of those sizes, so a damaged one makes it read and copy outside the heap
 * (a crash), or loop forever on a zero size. Signatures that are not a
 * plausible collection (version 1, 4 KiB up to the end of the file) are
 * data that happens to spell "GCOL": ignored. -1 with the error set when an
 * object does not fit. */
static int ck_heap_walk(int fd, const char *path, uint64_t at, uint64_t file_size)
{
    unsigned char h[CK_HEAP_HDR];
    if (ck_pread_some(fd, h, CK_HEAP_HDR, at) < CK_HEAP_HDR)
        return 0;
    uint64_t size = ck_le(h + 8, 8);
    if (h[4] != 1 || size < CK_HEAP_MIN || size > file_size - at)
        return 0;
    for (uint64_t p = CK_HEAP_HDR; size - p >= CK_HEAP_HDR;) {
        if (ck_pread_some(fd, h, CK_HEAP_HDR, at + p) < CK_HEAP_HDR)
            return 0; /* cannot happen: inside the file */
        uint64_t index = ck_le(h, 2), osize = ck_le(h + 8, 8);
        uint64_t need = index == 0 ? osize
                        : osize > size ? UINT64_MAX
                                       : CK_HEAP_HDR + ((osize + 7) & ~(uint64_t)7);
        if (need < CK_HEAP_HDR || need > size - p)
            return error_set("checkpoint '%s' is corrupted (global heap at byte %" PRIu64
                             ": object %" PRIu64 " of %" PRIu64 " bytes does not fit)",
                             path, at, index, osize);
        p += need;
    }
    return 0;
}

/* Every global heap collection of the file (the variable-length strings:
 * /model@cell, the /options values) must be intact before HDF5 reads one. */
static int ck_heap_check(int fd, const char *path, uint64_t file_size)
{
    static const char sig[] = "GCOL";
    unsigned char *buf = xmalloc(CK_HEAP_SCAN, "checkpoint heap scan");
    int rc = 0;
    for (uint64_t base = 0; !rc && base < file_size;) {
        size_t n = ck_pread_some(fd, buf, CK_HEAP_SCAN, base);
        if (n < sizeof sig - 1)
            break;
        for (const unsigned char *p = buf;
             !rc && (p = memmem(p, n - (size_t)(p - buf), sig, sizeof sig - 1)) != NULL; p++)
            rc = ck_heap_walk(fd, path, base + (uint64_t)(p - buf), file_size);
        if (n < CK_HEAP_SCAN)
            break;
        base += n - (sizeof sig - 2); /* a signature across two reads is found in the second */
    }
    free(buf);
    return rc;
}

/* Before HDF5 sees the file: it must be a regular file; when it has the
 * header (checkpoint_seal.h), its length and CRC-64 must match; and its
 * global heap collections must be intact. */
static int ck_precheck(const char *path, int *fd_out)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set("cannot open checkpoint '%s': %s", path, strerror(errno));
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    int sealed = regular ? ck_seal_verify(fd, path, (uint64_t)st.st_size) : 0;
    if (regular && sealed >= 0 && ck_heap_check(fd, path, (uint64_t)st.st_size) < 0)
        sealed = -1;
    if (!regular || sealed < 0) {
        close(fd);
        return regular ? -1 : error_set("checkpoint '%s' is not a regular file", path);
    }
    *fd_out = fd;
    return 0;
}

/* HDF5 opens the very file the precheck verified, through /proc/self/fd
 * (where there is one): a checkpoint renamed over `path` in between (a
 * trainer saving while the sampler reads latest.h5) cannot slip in. */
static hid_t ck_open_file(const char *path)
{
    int fd = -1;
    char proc[64];
    if (ck_precheck(path, &fd) < 0)
        return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    const char *name = access(proc, R_OK) == 0 ? proc : path;
    hid_t fapl = ck_fapl();
#if H5_VERSION_GE(1, 12, 0)
    htri_t ok = fapl < 0 ? -1 : H5Fis_accessible(name, fapl);
#else
    htri_t ok = H5Fis_hdf5(name);
#endif
    hid_t f = ok > 0 && fapl >= 0 ? H5Fopen(name, H5F_ACC_RDONLY, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    close(fd); /* HDF5 has its own descriptor (or the whole file, in memory) */
    if (f < 0)
        return error_set("checkpoint '%s': not an HDF5 file or truncated", path);
    return f;
}

int checkpoint_read(const char *path, checkpoint *ck)
{
    memset(ck, 0, sizeof *ck);
    ck_h5_quiet();
    ck_reader r = {ck_open_file(path), path};
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

/* ------------------------------------------------------ resume, options */

/* The newest checkpoint DIR/latest.h5 names, as a path (a dangling link
 * too: reading it then fails and names it), or NULL without latest.h5.
 * *below: its step when its name is ckpt-<step>.h5, else UINT64_MAX. */
static char *ck_latest_target(const char *dir, uint64_t *below)
{
    char *link = ck_join(dir, "latest.h5"), target[4096], *path = NULL;
    struct stat st;
    ssize_t len = readlink(link, target, sizeof target - 1);
    *below = UINT64_MAX;
    if (len > 0) {
        target[len] = 0;
        const char *base = strrchr(target, '/');
        if (ck_parse_name(base ? base + 1 : target, below) != 0)
            *below = UINT64_MAX;
        path = target[0] == '/' ? xstrdup(target, "checkpoint path") : ck_join(dir, target);
    } else if (lstat(link, &st) == 0) {
        path = xstrdup(link, "checkpoint path"); /* a copy, not a link */
    }
    free(link);
    return path;
}

/* --resume auto: latest.h5's checkpoint, then the older ckpt-*.h5. */
static int ck_candidates_auto(const char *dir, char ***paths, size_t *n)
{
    uint64_t below;
    size_t m = 0;
    char *latest = ck_latest_target(dir, &below);
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d && errno != ENOENT) {
        int err = errno;
        free(latest);
        return error_set("cannot list checkpoint directory '%s': %s", dir, strerror(err));
    }
    ck_entry *e = d ? ck_list(d, &m) : NULL;
    if (d)
        closedir(d);
    *paths = xmalloc((m + 1) * sizeof **paths, "checkpoint list");
    if (latest)
        (*paths)[(*n)++] = latest;
    for (size_t i = 0; i < m; i++) {
        if (e[i].step < below)
            (*paths)[(*n)++] = ck_join(dir, e[i].name);
        free(e[i].name);
    }
    free(e);
    return 0;
}

int checkpoint_candidates(const char *spec, const char *dir, char ***paths, size_t *n)
{
    struct stat st;
    *paths = NULL;
    *n = 0;
    if (strcmp(spec, "auto") == 0)
        return ck_candidates_auto(dir ? dir : "", paths, n);
    if (stat(spec, &st) != 0)
        return error_set("checkpoint '%s': %s", spec, strerror(errno));
    *paths = xmalloc(sizeof **paths, "checkpoint list");
    (*paths)[(*n)++] = xstrdup(spec, "checkpoint path");
    return 0;
}

void checkpoint_candidates_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
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
