/* checkpoint_seal.h — the 512-byte header in a checkpoint's HDF5 user block: payload length and CRC-64. */
#ifndef CHARNN_CHECKPOINT_SEAL_H
#define CHARNN_CHECKPOINT_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The user block size the writer asks HDF5 for (H5Pset_userblock). HDF5
 * then starts its superblock at this offset and never reads what is below. */
#define CK_SEAL_BYTES 512u

/* Format 1 of the header (docs/checkpoint-format.md), NUL-padded text:
 *   charnn checkpoint\n
 *   format 1\n
 *   payload-bytes <decimal: file bytes after the user block>\n
 *   payload-crc64 <16 hex digits: CRC-64/XZ of those bytes>\n
 *   header-crc64 <16 hex digits: CRC-64/XZ of every byte before this line>\n */
#define CK_SEAL_MAGIC "charnn checkpoint\n"
#define CK_SEAL_FORMAT 1u

/* Fills image[0, CK_SEAL_BYTES) with the header for image[CK_SEAL_BYTES, len). */
void ck_seal(unsigned char *image, size_t len);

/* Checks the header of the open file fd (`size` bytes; `path` for
 * messages) and, when there is one, the CRC of everything after it, read
 * in chunks. Returns 1 when the header is there and the file is intact, 0
 * when there is no header (neither CK_SEAL_MAGIC at the start nor a
 * "payload-crc64" line in the first CK_SEAL_BYTES: written by h5py or an
 * older charnn, nothing to check), and -1 with the error set when it is
 * truncated ("is truncated (N of M bytes)"), damaged ("is corrupted
 * (checksum mismatch)", "(damaged header)"), of a newer format or unreadable. */
int ck_seal_verify(int fd, const char *path, uint64_t size);
/* Up to len bytes from offset `at` of fd, EINTR and short reads retried:
 * the count (fewer only at the end of the file), or -1 on a read error. */
ssize_t checkpoint_pread(int fd, unsigned char *buf, size_t len, uint64_t at);

#endif
