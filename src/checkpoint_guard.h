/* checkpoint_guard.h — a checkpoint file checked before HDF5 parses any of
 * it, then opened. libhdf5 1.10 trusts the sizes it reads, so a damaged
 * file can make it crash: what HDF5 will read is checked first. */
#ifndef CHARNN_CHECKPOINT_GUARD_H
#define CHARNN_CHECKPOINT_GUARD_H

#include <hdf5.h>

/* Opens the checkpoint at path read-only, after these checks:
 *   - it is a regular file;
 *   - sealed (the header of checkpoint_seal.h): its length and CRC-64
 *     match, which refuses any damage to what HDF5 will read;
 *   - unsealed (h5py's, an older charnn's): every global heap collection
 *     (the variable-length strings) is walked as HDF5 will walk it, and
 *     one whose objects do not fit is refused.
 * HDF5 then opens the very file that was checked (through /proc/self/fd
 * where there is one), so a checkpoint renamed over `path` in between
 * cannot slip in. Returns the file (to close with H5Fclose), or -1 with
 * the error set naming the path ("is truncated", "is corrupted (...)",
 * "is not a regular file", "not an HDF5 file or truncated"). */
hid_t ck_guard_open(const char *path);

#endif
