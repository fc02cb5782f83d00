/* checkpoint_guard.c — what a checkpoint file must pass before HDF5 parses it (see checkpoint_guard.h). */
#define _GNU_SOURCE /* memmem */
#include "checkpoint_guard.h"

#include "checkpoint_seal.h"
#include "error.h"
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * header (checkpoint_seal.h), its length and CRC-64 must match; without
 * one, its global heap collections must be intact. A sealed file whose
 * CRC-64 matched is the file as its writer closed it: it is not read a
 * second time for the heaps. */
static int ck_precheck(const char *path, int *fd_out)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set("cannot open checkpoint '%s': %s", path, strerror(errno));
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    int sealed = regular ? ck_seal_verify(fd, path, (uint64_t)st.st_size) : 0;
    if (regular && sealed == 0 && ck_heap_check(fd, path, (uint64_t)st.st_size) < 0)
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
hid_t ck_guard_open(const char *path)
{
    int fd = -1;
    char proc[64];
    if (ck_precheck(path, &fd) < 0)
        return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    const char *name = access(proc, R_OK) == 0 ? proc : path;
    hid_t fapl = h5u_read_fapl();
    int ok = fapl < 0 ? -1 : h5u_is_hdf5(name, fapl);
    hid_t f = ok > 0 && fapl >= 0 ? H5Fopen(name, H5F_ACC_RDONLY, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    close(fd); /* HDF5 has its own descriptor (or the whole file, in memory) */
    if (f < 0)
        return error_set("checkpoint '%s': not an HDF5 file or truncated", path);
    return f;
}
