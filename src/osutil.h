/* osutil.h — small operating-system helpers used across charnn: making a
 * directory with its parents, the monotonic clock and the process's age. */
#ifndef CHARNN_OSUTIL_H
#define CHARNN_OSUTIL_H

/* mkdir -p: creates dir and every missing parent (mode 0777 less the
 * umask). "" is the current directory: nothing to do. Returns 0 when dir
 * is (now) a directory; -1 with errno set otherwise (ENOTDIR when dir or a
 * parent exists but is not a directory). Sets no error message: the caller
 * says what the directory was for. */
int os_mkdirs(const char *dir);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for intervals only. */
double os_now(void);

/* Seconds since this process started (Linux: /proc/self/stat against the
 * boot clock; an exec keeps the start, so charnn's re-exec counts too);
 * 0 when it cannot be told. */
double os_process_age(void);

#endif
