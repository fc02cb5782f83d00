/* checkpoint_image.c — a checkpoint as a sealed HDF5 file image in memory (see checkpoint_image.h). */
#include "checkpoint_image.h"

#include "checkpoint_seal.h"
#include "checkpoint_writer.h"
#include "h5util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The image callbacks let us keep the core driver's buffer past H5Fclose,
 * so the image is never copied. */
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
    int rc = f < 0 ? h5u_fail() : 0;
    ssize_t n = -1;
    if (fapl >= 0) /* the file keeps its own copies */
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (!rc)
        rc = ck_write_contents(f, ck);
    if (!rc && (H5Fflush(f, H5F_SCOPE_LOCAL) < 0 || (n = H5Fget_file_image(f, NULL, 0)) < 0))
        rc = h5u_fail();
    if (f >= 0 && H5Fclose(f) < 0)
        rc = h5u_fail();
    if (!rc && (!im->mem || im->size < CK_SEAL_BYTES || (size_t)n > im->size - CK_SEAL_BYTES))
        rc = h5u_fail_errno(ENOMEM);
    *len = rc ? 0 : CK_SEAL_BYTES + (size_t)n;
    if (!rc)
        ck_seal(im->mem, *len);
    return rc;
}

int ck_image_build(const char *name, const checkpoint *ck, unsigned char **image, size_t *len)
{
    ck_image im = {NULL, 0};
    int rc = ck_w_image(name, ck, &im, len);
    if (rc) {
        free(im.mem);
        im.mem = NULL;
    }
    *image = im.mem;
    return rc;
}
