/* osutil.c — mkdir -p and the monotonic clock (see osutil.h). */
#include "osutil.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

double os_process_age(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long start = 0;
    /* after the name: state (field 3) ... starttime (field 22) */
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                            "%*d %*d %*d %*d %llu", &start) != 1)
        return 0;
    struct timespec ts;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        return 0;
    double age = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - (double)start / (double)hz;
    return age > 0 ? age : 0;
}
