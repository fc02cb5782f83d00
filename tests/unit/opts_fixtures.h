/* opts_fixtures.h — what the option tests (test_opts_*.c) share: the
 * trainer's and the sampler's tables with their defaults loaded, argument
 * lists parsed, the error expected. */
#ifndef CHARNN_OPTS_FIXTURES_H
#define CHARNN_OPTS_FIXTURES_H

#include <stddef.h>

#include "opts.h"
#include "sample_opts.h"
#include "train_opts.h"

#define MAX_SPECS 64

/* A train table with defaults loaded. */
typedef struct {
    train_options o;
    unsigned char set[MAX_SPECS];
    opt_table t;
} train_fx;

/* A sample table with defaults loaded. */
typedef struct {
    sample_options o;
    unsigned char set[MAX_SPECS];
    opt_table t;
} sample_fx;

/* calloc'ed, the defaults loaded; free() them. */
train_fx *train_new(void);
sample_fx *sample_new(void);

/* Parses a NULL-terminated argument list (argv[0] is added). */
int parse_args(const opt_table *t, char **pos, size_t max_pos, size_t *n_pos, int *help,
               const char *const *args);

/* parse_args on the train table, without positionals. */
int train_args(train_fx *fx, const char *const *args);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* rc is -1 and error_message() is exactly `message`. */
void expect_error(int rc, const char *message);

/* Whether option `name` was set (by the command line or a file). */
int is_set(const train_fx *fx, const char *name);

/* How many of set[0..n) are marked. */
size_t count_set(const unsigned char *set, size_t n);

#endif
