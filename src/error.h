/* error.h — one error message per thread, set where a failure is found and
 * printed once by the entry point ("charnn-train: error: <message>"). */
#ifndef CHARNN_ERROR_H
#define CHARNN_ERROR_H

#include <stddef.h>

/* Formats the message (printf-style) and returns -1, so `return error_set(...)`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error_set with the message prefixed "<kind> '<name>': " (e.g. "checkpoint
 * 'runs/x/ckpt-00000100.h5': truncated"). */
int error_about(const char *kind, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The last message set (empty string when none). */
const char *error_message(void);
/* Sets the program name used by error_print (e.g. "charnn-train"). */
void error_program(const char *name);
const char *error_program_name(void);
/* Prints "<program>: error: <message>\n" to stderr. */
void error_print(void);
/* Prints "<program>: warning: ...\n" to stderr. */
void warn_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Allocation that never returns NULL: on failure prints an error naming
 * `what` and the size, and exits. */
void *xmalloc(size_t bytes, const char *what);
void *xcalloc(size_t count, size_t size, const char *what);
/* A copy of the string s, allocated like xmalloc. */
char *xstrdup(const char *s, const char *what);

#endif
