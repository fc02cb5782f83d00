/* fuzz_config.c — libFuzzer target: options (src/opts.c and its INI reader, and the
 * option tables of charnn-train and charnn-sample).
 *
 * Input: byte 0 picks the mode and the table, the rest is the payload.
 *   byte 0 % 3 == 0: the payload is an INI file, read by opts_parse_file
 *                    (written to a scratch file: the parser reads a path);
 *   byte 0 % 3 == 1: the payload is lines "key=value" (or "key" alone: no
 *                    value), each given to opts_set;
 *   byte 0 % 3 == 2: the payload is a command line, one argument per line,
 *                    through opts_parse_argv (--config arguments dropped:
 *                    they name files, and mode 0 covers files);
 *   byte 0 bit 7:    the charnn-sample table instead of charnn-train's.
 * Properties: nothing crashes or overflows; a failure leaves one message;
 * after any sequence of calls every option holds a value of its type within
 * its range (strings NUL-terminated in their buffers, choices among their
 * choices, reals finite); and every value formats (opts_format) to a text
 * that opts_set takes back to exactly the same value. */
#include "error.h"
#include "fuzz_util.h"
#include "opts.h"
#include "sample_opts.h"
#include "train_opts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef union {
    train_options train;
    sample_options sample;
} any_options;

static void table_for(int sample, opt_table *t, any_options *o, unsigned char *set)
{
    if (sample)
        sample_opts_table(t, &o->sample, set);
    else
        train_opts_table(t, &o->train, set);
}

static int is_choice(const char *choices, const char *v)
{
    size_t len = strlen(v);
    for (const char *p = choices;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, v, n) == 0)
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

static int in_range(const opt_spec *s, double v)
{
    int lo = (s->flags & OPT_MIN_EXCL) ? v > s->min : v >= s->min;
    int hi = (s->flags & OPT_MAX_EXCL) ? v < s->max : v <= s->max;
    return lo && hi;
}

/* Every option of t holds a valid value that survives format + set. */
static void check_table(const opt_table *t, int sample)
{
    any_options copy;
    unsigned char set2[64];
    opt_table t2;
    char text[8192];
    FUZZ_CHECK(t->n <= sizeof set2, "table too large");
    table_for(sample, &t2, &copy, set2);
    FUZZ_CHECK(opts_defaults(&t2) == 0, "defaults: %s", error_message());
    for (size_t i = 0; i < t->n; i++) {
        const opt_spec *s = &t->specs[i];
        const char *field = (const char *)t->base + s->offset;
        const char *field2 = (const char *)t2.base + s->offset;
        switch (s->type) {
        case OPT_STRING:
        case OPT_CHOICE:
            FUZZ_CHECK(memchr(field, 0, s->size) != NULL, "--%s is not NUL-terminated", s->name);
            FUZZ_CHECK(s->type != OPT_CHOICE || is_choice(s->choices, field),
                       "--%s = '%s' is not one of %s", s->name, field, s->choices);
            break;
        case OPT_SIZE:
            FUZZ_CHECK(in_range(s, (double)*(const size_t *)field), "--%s = %zu out of range",
                       s->name, *(const size_t *)field);
            break;
        case OPT_REAL: {
            double v = *(const double *)field;
            FUZZ_CHECK(isfinite(v) && in_range(s, v), "--%s = %g out of range", s->name, v);
            break;
        }
        case OPT_FLAG:
            FUZZ_CHECK(*(const int *)field == 0 || *(const int *)field == 1, "--%s = %d", s->name,
                       *(const int *)field);
            break;
        }
        opts_format(t, s, text, sizeof text);
        FUZZ_CHECK(opts_set(&t2, s->name, text, NULL) == 0, "--%s: its own text '%s' is refused: %s",
                   s->name, text, error_message());
        switch (s->type) {
        case OPT_STRING:
        case OPT_CHOICE:
            FUZZ_CHECK(strcmp(field, field2) == 0, "--%s: '%s' reads back as '%s'", s->name, field,
                       field2);
            break;
        case OPT_SIZE:
            FUZZ_CHECK(*(const size_t *)field == *(const size_t *)field2, "--%s: %zu reads back as %zu",
                       s->name, *(const size_t *)field, *(const size_t *)field2);
            break;
        case OPT_REAL:
            FUZZ_CHECK(memcmp(field, field2, sizeof(double)) == 0, "--%s: %.17g reads back as %.17g",
                       s->name, *(const double *)field, *(const double *)field2);
            break;
        case OPT_FLAG:
            FUZZ_CHECK(*(const int *)field == *(const int *)field2, "--%s: flag reads back differently",
                       s->name);
            break;
        }
    }
}

static void check_failure(void)
{
    const char *m = error_message();
    FUZZ_CHECK(m[0] != '\0', "a failure without a message");
    FUZZ_CHECK(strlen(m) < 1024, "message not terminated");
}

/* The payload as NUL-terminated lines (a copy; '\n' ends a line). */
static char **split_lines(const uint8_t *data, size_t size, size_t *n, char **buf)
{
    char *b = malloc(size + 1);
    char **lines = malloc((size + 1) * sizeof *lines);
    FUZZ_CHECK(b && lines, "out of memory");
    memcpy(b, data, size);
    b[size] = '\0';
    *n = 0;
    char *p = b;
    for (;;) {
        char *nl = memchr(p, '\n', (size_t)(b + size - p));
        lines[(*n)++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    *buf = b;
    return lines;
}

static void mode_file(const opt_table *t, int sample, const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch(".ini");
    fuzz_scratch_write(path, data, size);
    if (opts_parse_file(t, path) == 0)
        check_table(t, sample);
    else
        check_failure();
}

static void mode_set(const opt_table *t, int sample, const uint8_t *data, size_t size)
{
    size_t n;
    char *buf, **lines = split_lines(data, size, &n, &buf);
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(lines[i], '=');
        if (eq)
            *eq = '\0';
        if (opts_set(t, lines[i], eq ? eq + 1 : NULL, NULL) != 0)
            check_failure();
    }
    check_table(t, sample);
    free(lines);
    free(buf);
}

static void mode_argv(const opt_table *t, int sample, const uint8_t *data, size_t size)
{
    size_t n, argc = 1, n_pos = 0;
    char *buf, **lines = split_lines(data, size, &n, &buf);
    char **argv = malloc((n + 2) * sizeof *argv), *pos[2];
    int help = 0;
    FUZZ_CHECK(argv != NULL, "out of memory");
    argv[0] = "charnn-fuzz";
    for (size_t i = 0; i < n; i++)
        if (strncmp(lines[i], "--config", 8) != 0)
            argv[argc++] = lines[i];
    argv[argc] = NULL;
    if (opts_parse_argv(t, (int)argc, argv, pos, 2, &n_pos, &help) == 0) {
        FUZZ_CHECK(n_pos <= 2, "%zu positional arguments kept, at most 2", n_pos);
        if (!help)
            check_table(t, sample);
    } else {
        check_failure();
    }
    free(argv);
    free(lines);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int sample = (data[0] & 0x80) != 0;
    any_options o;
    unsigned char set[64];
    opt_table t;
    memset(&o, 0xA5, sizeof o); /* opts_defaults must set every byte that matters */
    table_for(sample, &t, &o, set);
    FUZZ_CHECK(t.n <= sizeof set, "table too large");
    FUZZ_CHECK(opts_defaults(&t) == 0, "defaults: %s", error_message());
    check_table(&t, sample);
    switch ((data[0] & 0x7F) % 3) {
    case 0: mode_file(&t, sample, data + 1, size - 1); break;
    case 1: mode_set(&t, sample, data + 1, size - 1); break;
    default: mode_argv(&t, sample, data + 1, size - 1); break;
    }
    return 0;
}
