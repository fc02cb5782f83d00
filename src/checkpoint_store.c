/* checkpoint_store.c — checkpoint files in a directory: atomic write, latest.h5, retention, resume candidates (see checkpoint.h). */
#include "checkpoint.h"

#include "checkpoint_image.h"
#include "checkpoint_writer.h"
#include "error.h"
#include "fault.h"
#include "h5util.h"
#include "osutil.h"

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

/* ------------------------------------------------------------ writing */

/* All of buf to fd (short writes and EINTR retried). */
static int ck_write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len < ((size_t)1 << 30) ? len : ((size_t)1 << 30));
        if (n < 0 && errno != EINTR)
            return h5u_fail_errno(errno);
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
        return h5u_fail_errno(errno);
    int rc = ck_write_all(fd, buf, len / 2);
    fault_point("ckpt-half");
    if (!rc)
        rc = ck_write_all(fd, buf + len / 2, len - len / 2);
    if (!rc && fsync(fd) != 0)
        rc = h5u_fail_errno(errno);
    if (close(fd) != 0 && !rc)
        rc = h5u_fail_errno(errno);
    return rc;
}

/* ------------------------------------------------- files and directories */

/* fsync a directory; EINVAL (no fsync there) is fine. */
static int ck_fsync_dir(const char *path)
{
    int fd = open(path[0] ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return h5u_fail_errno(errno);
    int rc = fsync(fd) != 0 && errno != EINVAL ? h5u_fail_errno(errno) : 0;
    close(fd);
    return rc;
}

/* mkdir -p, failing with an error naming dir. */
static int ck_mkdirs(const char *dir)
{
    if (os_mkdirs(dir) != 0)
        return error_set("cannot create checkpoint directory '%s': %s", dir, strerror(errno));
    return 0;
}

/* The HDF5 file into tmp, fsync'ed, renamed to final, directory synced. */
static int ck_write_file(const char *dir, const char *tmp, const char *final,
                         const checkpoint *ck)
{
    unsigned char *image = NULL;
    size_t len = 0;
    h5u_reason_clear();
    int rc = ck_image_build(tmp, ck, &image, &len);
    if (!rc)
        rc = ck_w_posix(tmp, image, len);
    free(image);
    if (!rc)
        fault_point("ckpt-written");
    if (!rc && rename(tmp, final) != 0)
        rc = h5u_fail_errno(errno);
    if (rc)
        unlink(tmp);
    if (!rc)
        rc = ck_fsync_dir(dir);
    if (rc)
        return error_set("cannot write checkpoint '%s': %s", final, h5u_reason());
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
    h5u_reason_clear();
    if (!rc && ck_fsync_dir(dir) != 0)
        rc = error_set("cannot update '%s': %s", link, h5u_reason());
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
    h5u_quiet();
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

/* ---------------------------------------------------- resume candidates */

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

