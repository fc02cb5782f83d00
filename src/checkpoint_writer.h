/* checkpoint_writer.h — the checkpoint schema (checkpoint.h,
 * docs/checkpoint-format.md) written into an open HDF5 file: the groups
 * /model, /optim, /train, /state and /options, their attributes, and one
 * chunked, Fletcher-32-checked dataset per array. No modification times
 * anywhere, so the same checkpoint gives the same bytes. */
#ifndef CHARNN_CHECKPOINT_WRITER_H
#define CHARNN_CHECKPOINT_WRITER_H

#include "checkpoint.h"

#include <hdf5.h>

/* Why checkpoint_read would refuse ck (a programming error in the
 * caller), or NULL when it would accept it. */
const char *ck_write_problem(const checkpoint *ck);

/* Writes every group, attribute and dataset of ck into the new, empty file
 * f. -1 with the reason recorded (h5util.h: h5u_fail) on failure. */
int ck_write_contents(hid_t f, const checkpoint *ck);

#endif
