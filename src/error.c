/* error.c — the per-thread error message, the one fatal exit and the
 * checked allocators. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char error_buf[1024];
static const char *program_name = "charnn";
static void (*fatal_end)(int status); /* error_on_fatal's hook, NULL: exit */

int error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_buf, sizeof error_buf, fmt, ap);
    va_end(ap);
    return -1;
}

int error_about(const char *kind, const char *name, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_set("%s '%s': %s", kind, name, msg);
}

int error_context(const char *fmt, ...)
{
    char ctx[512], msg[sizeof error_buf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s", error_buf);
    return error_set("%s: %s", ctx, msg);
}

void error_on_fatal(void (*end_job)(int status)) { fatal_end = end_job; }

void error_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_buf, sizeof error_buf, fmt, ap);
    va_end(ap);
    error_print();
    fflush(stderr);
    if (fatal_end)
        fatal_end(1);
    exit(1);
}

const char *error_message(void) { return error_buf; }

void error_program(const char *name) { program_name = name; }

const char *error_program_name(void) { return program_name; }

void error_print(void)
{
    fprintf(stderr, "%s: error: %s\n", program_name,
            error_buf[0] ? error_buf : "unknown error");
}

void warn_print(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: warning: ", program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *check_alloc(void *p, size_t bytes, const char *what)
{
    if (!p && bytes)
        error_fatal("out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void *xmalloc(size_t bytes, const char *what)
{
    return check_alloc(malloc(bytes ? bytes : 1), bytes, what);
}

void *xgrow(void **buf, size_t *have, size_t bytes, const char *what)
{
    if (bytes > *have || !*buf) {
        free(*buf);
        *buf = xmalloc(bytes, what);
        *have = bytes;
    }
    return *buf;
}

void *xcalloc(size_t count, size_t size, const char *what)
{
    return check_alloc(calloc(count ? count : 1, size ? size : 1), count * size, what);
}

char *xstrdup(const char *s, const char *what)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n, what), s, n);
}
