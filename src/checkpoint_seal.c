/* checkpoint_seal.c — the checkpoint header in the HDF5 user block: written, parsed, verified (see checkpoint_seal.h). */
#define _GNU_SOURCE /* memmem */
#include "checkpoint_seal.h"

#include "crc64.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CK_SEAL_CHUNK ((size_t)4 << 20) /* bytes read per step while checking */
#define CK_SEAL_CRC_KEY "header-crc64 "
#define CK_SEAL_CRC_LINE (sizeof CK_SEAL_CRC_KEY - 1 + 16 + 1)

typedef struct {
    uint64_t format;  /* CK_SEAL_FORMAT */
    uint64_t payload; /* bytes after the user block */
    uint64_t digest;  /* their CRC-64/XZ */
} ck_seal_fields;

/* The header of format 1 for f, NUL-padded to CK_SEAL_BYTES. */
static void ck_seal_text(unsigned char *buf, const ck_seal_fields *f)
{
    char *s = (char *)buf;
    memset(buf, 0, CK_SEAL_BYTES);
    int n = snprintf(s, CK_SEAL_BYTES,
                     CK_SEAL_MAGIC "format %" PRIu64 "\npayload-bytes %" PRIu64
                                   "\npayload-crc64 %016" PRIx64 "\n",
                     f->format, f->payload, f->digest);
    uint64_t crc = crc64_update(0, buf, (size_t)n);
    snprintf(s + n, CK_SEAL_BYTES - (size_t)n, CK_SEAL_CRC_KEY "%016" PRIx64 "\n", crc);
}

void ck_seal(unsigned char *image, size_t len)
{
    ck_seal_fields f = {CK_SEAL_FORMAT, len - CK_SEAL_BYTES, 0};
    f.digest = crc64_update(0, image + CK_SEAL_BYTES, len - CK_SEAL_BYTES);
    ck_seal_text(image, &f);
}

/* ------------------------------------------------------------ parsing */

/* Value of a hex (base 16) or decimal digit, or -1. */
static int ck_seal_digit(char c, int base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* "KEY VALUE\n" at *s, VALUE in `base` without overflow; *s moves past it. */
static int ck_seal_field(const char **s, const char *key, int base, uint64_t *out)
{
    size_t k = strlen(key);
    const char *p = *s + k;
    uint64_t v = 0;
    int d, digits = 0;
    if (strncmp(*s, key, k) != 0 || *p++ != ' ')
        return -1;
    for (; (d = ck_seal_digit(*p, base)) >= 0; p++, digits++) {
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (digits == 0 || *p != '\n')
        return -1;
    *s = p + 1;
    *out = v;
    return 0;
}

/* The header's own check, the same in every format: the text ends with
 * "header-crc64 X\n" (X: CRC-64 of all bytes before that line) and only
 * NULs follow. buf holds CK_SEAL_BYTES + 1 bytes, the last one NUL.
 * Returns the offset of that line, or 0 when the check fails. */
static size_t ck_seal_self_check(const unsigned char *buf)
{
    const char *s = (const char *)buf;
    size_t end = strlen(s);
    if (end < sizeof CK_SEAL_MAGIC - 1 + CK_SEAL_CRC_LINE)
        return 0;
    size_t at = end - CK_SEAL_CRC_LINE;
    const char *p = s + at;
    uint64_t want = 0;
    if (s[at - 1] != '\n' || ck_seal_field(&p, "header-crc64", 16, &want) < 0 ||
        (size_t)(p - s) != end)
        return 0;
    for (size_t i = end; i < CK_SEAL_BYTES; i++)
        if (buf[i])
            return 0;
    return crc64_update(0, buf, at) == want ? at : 0;
}

/* The fields of a header that passed its own check; 0 when they are a
 * canonical format-1 header, 1 for another format (f->format set), -1 when
 * damaged (a field out of place, or not written the way ck_seal_text does). */
static int ck_seal_parse(const unsigned char *buf, ck_seal_fields *f)
{
    const char *p = (const char *)buf + sizeof CK_SEAL_MAGIC - 1;
    unsigned char canon[CK_SEAL_BYTES];
    if (memcmp(buf, CK_SEAL_MAGIC, sizeof CK_SEAL_MAGIC - 1) != 0 ||
        ck_seal_field(&p, "format", 10, &f->format) < 0)
        return -1;
    if (f->format != CK_SEAL_FORMAT)
        return 1;
    if (ck_seal_field(&p, "payload-bytes", 10, &f->payload) < 0 ||
        ck_seal_field(&p, "payload-crc64", 16, &f->digest) < 0 ||
        f->payload > UINT64_MAX - CK_SEAL_BYTES)
        return -1;
    ck_seal_text(canon, f);
    return memcmp(canon, buf, CK_SEAL_BYTES) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------- verifying */

ssize_t checkpoint_pread(int fd, unsigned char *buf, size_t len, uint64_t at)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(at + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int ck_seal_truncated(const char *path, uint64_t have, uint64_t want)
{
    return error_set("checkpoint '%s' is truncated (%" PRIu64 " of %" PRIu64 " bytes)", path, have,
                     want);
}

static int ck_seal_read_error(const char *path)
{
    return error_set("cannot read checkpoint '%s': %s", path, strerror(errno));
}

/* The CRC of the payload, read in chunks, against the header's. */
static int ck_seal_check_payload(int fd, const char *path, const ck_seal_fields *f)
{
    unsigned char *buf = xmalloc(CK_SEAL_CHUNK, "checkpoint check buffer");
    uint64_t crc = 0, done = 0;
    int rc = 0;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, CK_SEAL_BYTES, 0, POSIX_FADV_SEQUENTIAL);
#endif
    while (!rc && done < f->payload) {
        uint64_t left = f->payload - done;
        size_t want = left < CK_SEAL_CHUNK ? (size_t)left : CK_SEAL_CHUNK;
        ssize_t n = checkpoint_pread(fd, buf, want, CK_SEAL_BYTES + done);
        if (n < 0)
            rc = ck_seal_read_error(path);
        else if ((size_t)n < want) /* shrunk since it was measured */
            rc = ck_seal_truncated(path, CK_SEAL_BYTES + done + (uint64_t)n,
                                   CK_SEAL_BYTES + f->payload);
        crc = crc64_update(crc, buf, n > 0 ? (size_t)n : 0);
        done += want;
    }
    free(buf);
    if (!rc && crc != f->digest)
        rc = error_set("checkpoint '%s' is corrupted (checksum mismatch)", path);
    return rc;
}

/* The file's size against the header's payload length, then its CRC. */
static int ck_seal_check_file(int fd, const char *path, uint64_t size, const ck_seal_fields *f)
{
    uint64_t want = CK_SEAL_BYTES + f->payload;
    if (size < want)
        return ck_seal_truncated(path, size, want);
    if (size > want)
        return error_set("checkpoint '%s' is corrupted (%" PRIu64 " bytes, the header says %" PRIu64
                         ")",
                         path, size, want);
    return ck_seal_check_payload(fd, path, f);
}

/* 1 when the first n bytes hold a header, damaged or not: they start with
 * the magic line, or (the magic itself damaged) contain a field line. */
static int ck_seal_present(const unsigned char *buf, size_t n)
{
    static const char field[] = "\npayload-crc64 ";
    size_t magic = sizeof CK_SEAL_MAGIC - 1;
    return (n >= magic && memcmp(buf, CK_SEAL_MAGIC, magic) == 0) ||
           memmem(buf, n, field, sizeof field - 1) != NULL;
}

int ck_seal_verify(int fd, const char *path, uint64_t size)
{
    unsigned char buf[CK_SEAL_BYTES + 1];
    ck_seal_fields f;
    ssize_t n = checkpoint_pread(fd, buf, CK_SEAL_BYTES, 0);
    if (n < 0)
        return ck_seal_read_error(path);
    if (!ck_seal_present(buf, (size_t)n))
        return 0;
    memset(buf + n, 0, sizeof buf - (size_t)n);
    int rc = ck_seal_self_check(buf) ? ck_seal_parse(buf, &f) : -1;
    if (rc < 0 && (size_t)n < CK_SEAL_BYTES)
        return error_set("checkpoint '%s' is truncated (%zd bytes, less than its %u-byte header)",
                         path, n, CK_SEAL_BYTES);
    if (rc < 0)
        return error_set("checkpoint '%s' is corrupted (damaged header)", path);
    if (rc > 0)
        return error_set("checkpoint '%s' has format %" PRIu64 "; this charnn reads format %u",
                         path, f.format, CK_SEAL_FORMAT);
    return ck_seal_check_file(fd, path, size, &f) < 0 ? -1 : 1;
}
