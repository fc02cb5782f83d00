/* error.h — one error message per thread, set where a failure is found,
 * given context on the way up (error_context), and printed once by the entry
 * point ("charnn-train: error: <message>"); and the one fatal exit
 * (error_fatal) for failures that cannot be returned, which ends the whole
 * job once MPI is up (the hook comm_init installs), not just this rank. */
#ifndef CHARNN_ERROR_H
#define CHARNN_ERROR_H

#include <stddef.h>

/* Formats the message (printf-style) and returns -1, so `return error_set(...)`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error_set with the message prefixed "<kind> '<name>': " (e.g. "checkpoint
 * 'runs/x/ckpt-00000100.h5': truncated"). */
int error_about(const char *kind, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the current message with "<context>: " (printf-style), e.g.
 * error_context("resuming from '%s'", path); returns -1 like error_set. */
int error_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "<program>: error: <message>\n" and ends the job with status 1:
 * through the hook of error_on_fatal (comm_abort once MPI is up, so the
 * other ranks do not wait in a collective), else exit(1). */
void error_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The job's end for error_fatal (NULL: exit); it must not return. */
void error_on_fatal(void (*end_job)(int status));
/* The last message set (empty string when none). */
const char *error_message(void);
/* Sets the program name used by error_print (e.g. "charnn-train"). */
void error_program(const char *name);
const char *error_program_name(void);
/* Prints "<program>: error: <message>\n" to stderr. */
void error_print(void);
/* Prints "<program>: warning: ...\n" to stderr. */
void warn_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Allocation that never returns NULL: on failure error_fatal, naming
 * `what` and the size. */
void *xmalloc(size_t bytes, const char *what);
void *xcalloc(size_t count, size_t size, const char *what);
/* A scratch buffer grown, never shrunk: *buf (NULL at first) holds at
 * least `bytes` on return (its contents then undefined), *have its size;
 * allocated like xmalloc. For buffers a file keeps between calls. */
void *xgrow(void **buf, size_t *have, size_t bytes, const char *what);
/* A copy of the string s, allocated like xmalloc. */
char *xstrdup(const char *s, const char *what);

#endif
