/* checkpoint_image.h — a checkpoint as a whole file image in memory:
 * built with HDF5's core driver (no backing store), with the header of
 * checkpoint_seal.h in its user block. The store then writes it with
 * plain write(2), so disk errors surface as errno from charnn's own calls
 * and an HDF5 file close never fails on I/O (in HDF5 1.10 a failed
 * H5Fclose leaves a file id behind that crashes at exit). */
#ifndef CHARNN_CHECKPOINT_IMAGE_H
#define CHARNN_CHECKPOINT_IMAGE_H

#include "checkpoint.h"

#include <stddef.h>

/* Builds the sealed image of ck: *image (to free) holds *len bytes, the
 * CK_SEAL_BYTES user block with the header first. `name` is the file name
 * HDF5 is given (nothing is written there). -1 with the reason recorded
 * (h5util.h: h5u_fail, h5u_fail_errno) on failure, *image NULL. */
int ck_image_build(const char *name, const checkpoint *ck, unsigned char **image, size_t *len);

#endif
