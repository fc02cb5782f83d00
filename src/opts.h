/* opts.h — table-driven options: one table per program gives each option's
 * name, type, default, range and help; the same table parses the command
 * line, INI config files (`hidden = 512`, `#`/`;` comments, optional
 * [sections] ignored), prints --help and formats values for checkpoints. */
#ifndef CHARNN_OPTS_H
#define CHARNN_OPTS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    OPT_STRING, /* char[size] */
    OPT_CHOICE, /* char[size], one of `choices` ("lstm|gru|rnn") */
    OPT_SIZE,   /* size_t, whole number >= 0 */
    OPT_REAL,   /* double, finite */
    OPT_FLAG,   /* int 0/1; on the command line takes no value;
                   in a file: true/false/1/0/yes/no/on/off */
} opt_type;

enum {
    OPT_MIN_EXCL = 1u << 0, /* value must be > min (else >= min) */
    OPT_MAX_EXCL = 1u << 1, /* value must be < max (else <= max) */
    OPT_NO_FILE = 1u << 2,  /* command line only (e.g. config itself) */
    OPT_ARCH = 1u << 3,     /* fixed by a checkpoint: may not contradict it on resume */
    OPT_RUN = 1u << 4,      /* this invocation's own: never taken from a checkpoint */
};

typedef struct {
    const char *name;    /* "grad-clip": --grad-clip; in files grad-clip or grad_clip */
    opt_type type;
    size_t offset;       /* offsetof(the options struct, field) */
    size_t size;         /* OPT_STRING / OPT_CHOICE: buffer size */
    const char *def;     /* default, as text ("" for an empty string) */
    double min, max;     /* numeric range (OPT_SIZE, OPT_REAL) */
    unsigned flags;
    const char *choices; /* OPT_CHOICE */
    const char *metavar; /* "N", "FILE", ... for --help */
    const char *help;    /* one line */
    const char *legacy;  /* OPT_ARCH: the value a checkpoint written before the option
                            existed stands for (NULL: such a checkpoint lacks it, an error) */
} opt_spec;

typedef struct {
    const opt_spec *specs;
    size_t n;
    void *base;          /* the options struct */
    unsigned char *set;  /* (n) 1 where given by a file or the command line */
} opt_table;

/* The table over specs[0..n) for the options struct `base`; set (n flags)
 * says which were given. */
void opts_table_init(opt_table *t, const opt_spec *specs, size_t n, void *base,
                     unsigned char *set);

/* Fills every option with its default; clears `set`. */
int opts_defaults(const opt_table *t);

/* The spec named `key` (underscores match dashes), or NULL. */
const opt_spec *opts_find(const opt_table *t, const char *key);

/* Parses `value` into option `key`, checking type and range, and marks it
 * set. `origin` prefixes errors: "--hidden" or "FILE:LINE: hidden".
 * Errors: unknown key, not a number, out of range, not a choice. */
int opts_set(const opt_table *t, const char *key, const char *value, const char *origin);

/* Reads an INI file: every key through opts_set. Errors name the file and
 * line (missing/unreadable file, syntax error, unknown key, bad value). */
int opts_parse_file(const opt_table *t, const char *path);

/* Parses argv (argv[0] skipped): `--config FILE` (when the table has a
 * "config" option) is read first, wherever it stands, then every other
 * `--name VALUE` / `--name=VALUE` / `--flag` in order, so the command line
 * wins. Arguments not starting with "--" are positional: at most max_pos
 * of them into pos[]. `--help` sets *help = 1 and stops. */
int opts_parse_argv(const opt_table *t, int argc, char **argv, char **pos, size_t max_pos,
                    size_t *n_pos, int *help);

/* The value of option `s` as text (the same text opts_set accepts). */
void opts_format(const opt_table *t, const opt_spec *s, char *buf, size_t len);

/* --help: "usage: <synopsis>" then one line per option with its metavar,
 * help and default. */
void opts_usage(const opt_table *t, FILE *f, const char *synopsis);

#endif
