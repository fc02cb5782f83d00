/* fuzz_util.h — shared by the libFuzzer targets in tests/fuzz: a checked
 * assertion that aborts (libFuzzer then keeps the input as a crash), a small
 * deterministic PRNG driven by the input, and a scratch file per process. */
#ifndef CHARNN_FUZZ_UTIL_H
#define CHARNN_FUZZ_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A property that must hold: otherwise print why and abort (a crash). */
#define FUZZ_CHECK(cond, ...)                                                                     \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* splitmix64: chunk sizes and the like, from a seed taken from the input. */
static inline uint64_t fuzz_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A scratch file of this process (TMPDIR, else /tmp), removed at exit. */
static char fuzz_scratch_path[256];

static void fuzz_scratch_remove(void)
{
    if (fuzz_scratch_path[0])
        unlink(fuzz_scratch_path);
}

static inline const char *fuzz_scratch(const char *suffix)
{
    if (!fuzz_scratch_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(fuzz_scratch_path, sizeof fuzz_scratch_path, "%s/charnn-fuzz-%ld%s",
                 dir && dir[0] ? dir : "/tmp", (long)getpid(), suffix);
        atexit(fuzz_scratch_remove);
    }
    return fuzz_scratch_path;
}

/* Replaces the scratch file's contents with data[0, size). */
static inline void fuzz_scratch_write(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot create the scratch file %s", path);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0, "cannot write the scratch file %s", path);
        done += (size_t)n;
    }
    close(fd);
}

#endif
