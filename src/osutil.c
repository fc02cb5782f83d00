/* osutil.c — mkdir -p and the monotonic clock (see osutil.h). */
#include "osutil.h"

#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

int os_mkdirs(const char *dir)
{
    char *p = xstrdup(dir, "directory path");
    struct stat st;
    int rc = 0, err = 0;
    for (char *s = p + (p[0] != 0); !rc; s++) {
        char c = *s;
        if (c != '/' && c != 0)
            continue;
        *s = 0;
        if (p[0] && mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1, err = errno;
        *s = c;
        if (!c)
            break;
    }
    free(p);
    if (!rc && dir[0] && stat(dir, &st) != 0)
        rc = -1, err = errno;
    else if (!rc && dir[0] && !S_ISDIR(st.st_mode))
        rc = -1, err = ENOTDIR;
    if (rc)
        errno = err;
    return rc;
}

double os_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
