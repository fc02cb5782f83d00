/* test_opts.c — option tables: defaults, argv and INI parsing, every error class, ranges, round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
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

typedef struct {
    sample_options o;
    unsigned char set[MAX_SPECS];
    opt_table t;
} sample_fx;

static train_fx *train_new(void)
{
    train_fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_true(train_opts_count() <= MAX_SPECS);
    train_opts_table(&fx->t, &fx->o, fx->set);
    assert_int_equal(opts_defaults(&fx->t), 0);
    return fx;
}

static sample_fx *sample_new(void)
{
    sample_fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_true(sample_opts_count() <= MAX_SPECS);
    sample_opts_table(&fx->t, &fx->o, fx->set);
    assert_int_equal(opts_defaults(&fx->t), 0);
    return fx;
}

/* Parses a NULL-terminated argument list (argv[0] is added). */
static int parse_args(const opt_table *t, char **pos, size_t max_pos, size_t *n_pos, int *help,
                      const char *const *args)
{
    char *argv[64] = {"prog"};
    int argc = 1;
    while (args[argc - 1]) {
        assert_true(argc < 63);
        argv[argc] = (char *)args[argc - 1];
        argc++;
    }
    return opts_parse_argv(t, argc, argv, pos, max_pos, n_pos, help);
}

static int train_args(train_fx *fx, const char *const *args)
{
    int help = 0;
    return parse_args(&fx->t, NULL, 0, NULL, &help, args);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_error(int rc, const char *message)
{
    assert_int_equal(rc, -1);
    assert_string_equal(error_message(), message);
}

static int is_set(const train_fx *fx, const char *name)
{
    const opt_spec *s = opts_find(&fx->t, name);
    assert_non_null(s);
    return fx->set[s - fx->t.specs];
}

static size_t count_set(const unsigned char *set, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += set[i] != 0;
    return k;
}

/* A temporary file holding `text`; its path in `path` (char[64]). */
static void write_temp(char *path, const char *text)
{
    strcpy(path, "/tmp/charnn_test_opts_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* opts_parse_file on a temporary file, with the file name in the message
 * replaced by "x.ini" (returns rc). */
static int parse_text(const opt_table *t, const char *text, char *message, size_t len)
{
    char path[64];
    write_temp(path, text);
    int rc = opts_parse_file(t, path);
    unlink(path);
    const char *m = error_message();
    const char *at = strstr(m, path);
    if (rc < 0 && at)
        snprintf(message, len, "%.*sx.ini%s", (int)(at - m), m, at + strlen(path));
    else
        snprintf(message, len, "%s", m);
    return rc;
}

static void expect_file_error(const opt_table *t, const char *text, const char *message)
{
    char got[1200];
    assert_int_equal(parse_text(t, text, got, sizeof got), -1);
    assert_string_equal(got, message);
}

/* ---- defaults and tables ---- */

static void test_train_defaults(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    const train_options *o = &fx->o;
    assert_int_equal(train_opts_count(), 31);
    assert_string_equal(o->config, "");
    assert_string_equal(o->data, "");
    assert_string_equal(o->encoding, "utf-8");
    assert_string_equal(o->newline, "lf");
    assert_true(o->val_frac == 0.05);
    assert_string_equal(o->cell, "lstm");
    assert_int_equal(o->hidden, 512);
    assert_int_equal(o->layers, 2);
    assert_true(o->dropout == 0.5);
    assert_int_equal(o->batch, 100);
    assert_int_equal(o->seq, 100);
    assert_true(o->lr == 0.001);
    assert_true(o->grad_clip == 5.0);
    assert_int_equal(o->epochs, 20);
    assert_int_equal(o->steps, 0);
    assert_int_equal(o->seed, 1234);
    assert_string_equal(o->out, "runs/default");
    assert_int_equal(o->save_every, 1000);
    assert_true(o->save_minutes == 0);
    assert_true(o->max_minutes == 0);
    assert_int_equal(o->profile, 0);
    assert_int_equal(o->tf32, 0);
    assert_int_equal(o->keep, 5);
    assert_string_equal(o->resume, "");
    assert_int_equal(o->eval_every, 1000);
    assert_int_equal(o->log_every, 10);
    assert_string_equal(o->metrics, "");
    assert_string_equal(o->device, "auto");
    assert_int_equal(o->threads, 0);
    assert_int_equal(count_set(fx->set, fx->t.n), 0);
    free(fx);
}

static void test_train_table_flags(void **state)
{
    (void)state;
    static const char *const arch[] = {"cell", "hidden", "layers", "batch",
                                       "seq",  "seed",   "val-frac", "encoding",
                                       "newline"};
    train_fx *fx = train_new();
    size_t n_arch = 0;
    for (size_t i = 0; i < fx->t.n; i++) {
        const opt_spec *s = &fx->t.specs[i];
        int want = 0;
        for (size_t k = 0; k < sizeof arch / sizeof arch[0]; k++)
            want |= strcmp(s->name, arch[k]) == 0;
        assert_int_equal((s->flags & OPT_ARCH) != 0, want);
        n_arch += want;
        assert_int_equal((s->flags & OPT_NO_FILE) != 0, strcmp(s->name, "config") == 0);
        assert_non_null(s->help);
        assert_ptr_equal(opts_find(&fx->t, s->name), s);
    }
    assert_int_equal(n_arch, 9);
    free(fx);
}

static void test_sample_defaults(void **state)
{
    (void)state;
    sample_fx *fx = sample_new();
    assert_int_equal(sample_opts_count(), 11);
    assert_string_equal(fx->o.prime, "");
    assert_int_equal(fx->o.length, 500);
    assert_int_equal(fx->o.top_k, 5);
    assert_true(fx->o.temperature == 1.0);
    assert_int_equal(fx->o.seed, 1234);
    assert_int_equal(fx->o.argmax, 0);
    assert_string_equal(fx->o.score, "");
    assert_string_equal(fx->o.encoding, "utf-8");
    assert_string_equal(fx->o.device, "auto");
    assert_int_equal(fx->o.threads, 0);
    assert_null(opts_find(&fx->t, "config"));
    assert_int_equal(count_set(fx->set, fx->t.n), 0);
    free(fx);
}

static void test_find(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    assert_string_equal(opts_find(&fx->t, "grad_clip")->name, "grad-clip");
    assert_string_equal(opts_find(&fx->t, "grad-clip")->name, "grad-clip");
    assert_string_equal(opts_find(&fx->t, "val_frac")->name, "val-frac");
    assert_null(opts_find(&fx->t, "grad"));
    assert_null(opts_find(&fx->t, "grad-clipx"));
    assert_null(opts_find(&fx->t, ""));
    free(fx);
}

/* ---- the command line ---- */

static void test_cli_forms(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    assert_int_equal(train_args(fx, ARGS("--hidden", "256", "--layers=3", "--cell", "gru",
                                         "--dropout=0", "--lr", "0.01", "--data", "in.txt",
                                         "--grad_clip=2.5", "--resume=", "--out", "-")),
                     0);
    assert_int_equal(fx->o.hidden, 256);
    assert_int_equal(fx->o.layers, 3);
    assert_string_equal(fx->o.cell, "gru");
    assert_true(fx->o.dropout == 0.0);
    assert_true(fx->o.lr == 0.01);
    assert_string_equal(fx->o.data, "in.txt");
    assert_true(fx->o.grad_clip == 2.5);
    assert_string_equal(fx->o.resume, "");
    assert_string_equal(fx->o.out, "-");
    assert_true(is_set(fx, "hidden") && is_set(fx, "layers") && is_set(fx, "cell"));
    assert_true(is_set(fx, "dropout") && is_set(fx, "lr") && is_set(fx, "data"));
    assert_true(is_set(fx, "grad-clip") && is_set(fx, "resume") && is_set(fx, "out"));
    assert_int_equal(count_set(fx->set, fx->t.n), 9);
    assert_int_equal(fx->o.seq, 100); /* untouched */
    free(fx);
}

static void test_cli_last_wins(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    assert_int_equal(train_args(fx, ARGS("--seq", "10", "--seq=20")), 0);
    assert_int_equal(fx->o.seq, 20);
    /* a failed value leaves the old one and marks nothing new */
    expect_error(train_args(fx, ARGS("--batch", "x")), "--batch: 'x' is not a whole number");
    assert_int_equal(fx->o.batch, 100);
    assert_false(is_set(fx, "batch"));
    free(fx);
}

static void test_cli_errors(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    expect_error(train_args(fx, ARGS("--foo")), "unknown option --foo (see --help)");
    expect_error(train_args(fx, ARGS("--foo=3")), "unknown option --foo (see --help)");
    expect_error(train_args(fx, ARGS("-x")), "unknown option -x (see --help)");
    expect_error(train_args(fx, ARGS("--hidden")), "option --hidden needs a value");
    expect_error(train_args(fx, ARGS("--hidden", "--layers", "3")),
                 "option --hidden needs a value");
    expect_error(train_args(fx, ARGS("--config")), "option --config needs a value");
    expect_error(train_args(fx, ARGS("--hidden", "abc")), "--hidden: 'abc' is not a whole number");
    expect_error(train_args(fx, ARGS("--hidden", "0")),
                 "--hidden: 0 is out of range (must be >= 1)");
    expect_error(train_args(fx, ARGS("--dropout", "1")),
                 "--dropout: 1 is out of range (must be in [0, 1))");
    expect_error(train_args(fx, ARGS("--cell", "lstn")), "--cell: 'lstn' is not one of lstm|gru|rnn");
    expect_error(train_args(fx, ARGS("--device=gpu")), "--device: 'gpu' is not one of auto|cpu|cuda");
    expect_error(train_args(fx, ARGS("--lr", "nan")), "--lr: 'nan' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr", "inf")), "--lr: 'inf' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr", "1e999")), "--lr: '1e999' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr", "0.1x")), "--lr: '0.1x' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr", " 0.1")), "--lr: ' 0.1' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr=")), "--lr: '' is not a finite number");
    expect_error(train_args(fx, ARGS("--lr", "0")), "--lr: 0 is out of range (must be > 0)");
    expect_error(train_args(fx, ARGS("--grad-clip", "-1")),
                 "--grad-clip: -1 is out of range (must be > 0)");
    expect_error(train_args(fx, ARGS("--keep", "0")), "--keep: 0 is out of range (must be >= 1)");
    expect_error(train_args(fx, ARGS("--log-every", "0")),
                 "--log-every: 0 is out of range (must be >= 1)");
    expect_error(train_args(fx, ARGS("--layers", "65")),
                 "--layers: 65 is out of range (must be <= 64)");
    expect_error(train_args(fx, ARGS("in.txt")), "unexpected argument 'in.txt'");
    expect_error(train_args(fx, ARGS("-")), "unexpected argument '-'");
    expect_error(train_args(fx, ARGS("--cell=")), "--cell: '' is not one of lstm|gru|rnn");
    free(fx);
}

static void test_cli_long_string(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char value[OPT_PATH_MAX + 8];
    memset(value, 'a', sizeof value);
    value[OPT_PATH_MAX] = '\0'; /* 1024 chars: one too many */
    expect_error(train_args(fx, ARGS("--data", value)),
                 "--data: value is too long (1024 bytes; at most 1023)");
    value[OPT_PATH_MAX - 1] = '\0';
    assert_int_equal(train_args(fx, ARGS("--data", value)), 0);
    assert_int_equal(strlen(fx->o.data), OPT_PATH_MAX - 1);
    expect_error(train_args(fx, ARGS("--encoding", value)),
                 "--encoding: value is too long (1023 bytes; at most 63)");
    free(fx);
}

static void test_size_parsing(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    static const char *const bad[] = {"-1", "+1", "1x", " 1", "1 ", "", "1e3", "0x10", "1.0", "--1"};
    char arg[32], want[96];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(arg, sizeof arg, "--steps=%s", bad[i]);
        snprintf(want, sizeof want, "--steps: '%s' is not a whole number", bad[i]);
        expect_error(train_args(fx, ARGS(arg)), want);
    }
    assert_int_equal(train_args(fx, ARGS("--steps", "18446744073709551615")), 0);
    assert_true(fx->o.steps == SIZE_MAX);
    expect_error(train_args(fx, ARGS("--steps", "18446744073709551616")),
                 "--steps: 18446744073709551616 is out of range (must be <= 18446744073709551615)");
    expect_error(train_args(fx, ARGS("--hidden", "99999999999999999999999")),
                 "--hidden: 99999999999999999999999 is out of range (must be <= 65536)");
    assert_int_equal(train_args(fx, ARGS("--steps", "007")), 0);
    assert_int_equal(fx->o.steps, 7);
    free(fx);
}

static void test_range_edges(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    assert_int_equal(train_args(fx, ARGS("--dropout", "0")), 0);
    assert_true(fx->o.dropout == 0.0);
    assert_int_equal(train_args(fx, ARGS("--dropout", "0.999")), 0);
    assert_true(fx->o.dropout == 0.999);
    expect_error(train_args(fx, ARGS("--dropout", "1")),
                 "--dropout: 1 is out of range (must be in [0, 1))");
    expect_error(train_args(fx, ARGS("--dropout", "-0.1")),
                 "--dropout: -0.1 is out of range (must be in [0, 1))");
    assert_true(fx->o.dropout == 0.999);
    assert_int_equal(train_args(fx, ARGS("--val-frac", "0")), 0);
    expect_error(train_args(fx, ARGS("--val-frac", "1.0")),
                 "--val-frac: 1.0 is out of range (must be in [0, 1))");
    expect_error(train_args(fx, ARGS("--hidden", "0")),
                 "--hidden: 0 is out of range (must be >= 1)");
    assert_int_equal(train_args(fx, ARGS("--hidden", "1")), 0);
    assert_int_equal(fx->o.hidden, 1);
    assert_int_equal(train_args(fx, ARGS("--hidden", "65536")), 0);
    expect_error(train_args(fx, ARGS("--hidden", "65537")),
                 "--hidden: 65537 is out of range (must be <= 65536)");
    assert_int_equal(train_args(fx, ARGS("--seq", "1000000", "--batch", "10000000")), 0);
    expect_error(train_args(fx, ARGS("--seq", "1000001")),
                 "--seq: 1000001 is out of range (must be <= 1000000)");
    expect_error(train_args(fx, ARGS("--batch", "10000001")),
                 "--batch: 10000001 is out of range (must be <= 10000000)");
    assert_int_equal(train_args(fx, ARGS("--lr", "1e-300", "--steps", "0", "--save-every=0",
                                         "--eval-every=0", "--threads=0", "--seed=0")),
                     0);
    assert_true(fx->o.lr == 1e-300);
    free(fx);
}

static void test_flags(void **state)
{
    (void)state;
    sample_fx *fx = sample_new();
    int help = 0;
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax")), 0);
    assert_int_equal(fx->o.argmax, 1);
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax=false")), 0);
    assert_int_equal(fx->o.argmax, 0);
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax=YES")), 0);
    assert_int_equal(fx->o.argmax, 1);
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax=0")), 0);
    assert_int_equal(fx->o.argmax, 0);
    /* a flag takes no value from the next argument */
    expect_error(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax", "true")),
                 "unexpected argument 'true'");
    expect_error(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax=maybe")),
                 "--argmax: 'maybe' is not a boolean (true|false|yes|no|on|off|1|0)");
    expect_error(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--argmax=")),
                 "--argmax: '' is not a boolean (true|false|yes|no|on|off|1|0)");
    free(fx);
}

static void test_sample_cli(void **state)
{
    (void)state;
    sample_fx *fx = sample_new();
    char *pos[2];
    size_t n_pos = 9;
    int help = 1;
    assert_int_equal(parse_args(&fx->t, pos, 1, &n_pos, &help,
                                ARGS("model.h5", "--prime", "The ", "--length=10", "--top-k",
                                     "3", "--temperature", "0.5", "--seed", "7", "--score",
                                     "t.txt", "--encoding", "latin-1", "--device", "cpu",
                                     "--threads", "2")),
                     0);
    assert_int_equal(help, 0);
    assert_int_equal(n_pos, 1);
    assert_string_equal(pos[0], "model.h5");
    assert_string_equal(fx->o.prime, "The ");
    assert_int_equal(fx->o.length, 10);
    assert_int_equal(fx->o.top_k, 3);
    assert_true(fx->o.temperature == 0.5);
    assert_int_equal(fx->o.seed, 7);
    assert_string_equal(fx->o.score, "t.txt");
    assert_string_equal(fx->o.encoding, "latin-1");
    assert_string_equal(fx->o.device, "cpu");
    assert_int_equal(fx->o.threads, 2);
    expect_error(parse_args(&fx->t, pos, 1, &n_pos, &help, ARGS("--temperature", "0")),
                 "--temperature: 0 is out of range (must be > 0)");
    expect_error(parse_args(&fx->t, pos, 1, &n_pos, &help, ARGS("--top-k", "0")),
                 "--top-k: 0 is out of range (must be >= 1)");
    expect_error(parse_args(&fx->t, pos, 1, &n_pos, &help, ARGS("--length", "0")),
                 "--length: 0 is out of range (must be >= 1)");
    expect_error(parse_args(&fx->t, pos, 1, &n_pos, &help, ARGS("--config", "x.ini")),
                 "unknown option --config (see --help)");
    free(fx);
}

static void test_positional(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char *pos[3] = {NULL, NULL, NULL};
    size_t n_pos = 0;
    int help = 0;
    assert_int_equal(parse_args(&fx->t, pos, 2, &n_pos, &help, ARGS("a", "--seq", "5", "-")), 0);
    assert_int_equal(n_pos, 2);
    assert_string_equal(pos[0], "a");
    assert_string_equal(pos[1], "-");
    assert_int_equal(fx->o.seq, 5);
    expect_error(parse_args(&fx->t, pos, 2, &n_pos, &help, ARGS("a", "b", "c")),
                 "unexpected argument 'c'");
    /* "--" ends the options */
    assert_int_equal(parse_args(&fx->t, pos, 2, &n_pos, &help, ARGS("--", "--seq", "-x")), 0);
    assert_int_equal(n_pos, 2);
    assert_string_equal(pos[0], "--seq");
    assert_string_equal(pos[1], "-x");
    /* a negative number is a value, not an option */
    expect_error(parse_args(&fx->t, pos, 2, &n_pos, &help, ARGS("--seq", "-5")),
                 "--seq: '-5' is not a whole number");
    assert_int_equal(parse_args(&fx->t, pos, 2, &n_pos, &help, (const char *const[]){NULL}), 0);
    assert_int_equal(n_pos, 0);
    free(fx);
}

static void test_help(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    int help = 0;
    size_t n_pos = 5;
    assert_int_equal(parse_args(&fx->t, NULL, 0, &n_pos, &help, ARGS("--help")), 0);
    assert_int_equal(help, 1);
    assert_int_equal(n_pos, 0);
    help = 0;
    /* help wins over errors anywhere, and nothing is applied */
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help,
                                ARGS("--hidden", "7", "--bogus", "-h", "--config", "/nonexistent")),
                     0);
    assert_int_equal(help, 1);
    assert_int_equal(fx->o.hidden, 512);
    assert_int_equal(count_set(fx->set, fx->t.n), 0);
    /* as a value with '=' it is just a value; after "--" a positional */
    assert_int_equal(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--data=--help")), 0);
    assert_int_equal(help, 0);
    assert_string_equal(fx->o.data, "--help");
    expect_error(parse_args(&fx->t, NULL, 0, NULL, &help, ARGS("--", "--help")),
                 "unexpected argument '--help'");
    assert_int_equal(help, 0);
    free(fx);
}

/* ---- config files ---- */

static void test_config_file(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char path[64];
    write_temp(path, "# a comment\n"
                     "; another\n"
                     "hidden = 128\n"
                     "[model]\n"
                     "  layers=3\n"
                     "grad_clip = 2.5 ; inline\n"
                     "out = \"my dir\" # inline too\n"
                     "val_frac: 0.25\n"
                     "resume = 'auto'\n"
                     "data = a#b.txt\r\n"
                     "\n"
                     "cell = gru\n");
    assert_int_equal(train_args(fx, ARGS("--hidden", "64", "--config", path, "--layers=4")), 0);
    unlink(path);
    assert_int_equal(fx->o.hidden, 64);     /* the command line wins ... */
    assert_int_equal(fx->o.layers, 4);      /* ... wherever --config stands */
    assert_true(fx->o.grad_clip == 2.5);
    assert_string_equal(fx->o.out, "my dir");
    assert_string_equal(fx->o.resume, "auto");
    assert_string_equal(fx->o.data, "a#b.txt");
    assert_string_equal(fx->o.cell, "gru");
    assert_string_equal(fx->o.config, path);
    assert_true(fx->o.val_frac == 0.25);
    /* keys are case-sensitive */
    expect_file_error(&fx->t, "Hidden = 5\n", "config 'x.ini' line 1: unknown key 'Hidden'");
    free(fx);
}

static void test_config_values(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    sample_fx *sx = sample_new();
    char got[1200];
    assert_int_equal(parse_text(&fx->t, "val_frac: 0.1\nsave_every = 0\nlog-every=1\n", got,
                                sizeof got),
                     0);
    assert_true(fx->o.val_frac == 0.1);
    assert_int_equal(fx->o.save_every, 0);
    assert_int_equal(fx->o.log_every, 1);
    assert_true(is_set(fx, "val-frac") && is_set(fx, "save-every") && is_set(fx, "log-every"));
    assert_int_equal(count_set(fx->set, fx->t.n), 3);
    /* flags in files (the sampler has no --config, but its table reads files too) */
    static const char *const on[] = {"true", "1", "yes", "on", "TRUE", "On"};
    static const char *const off[] = {"false", "0", "no", "off", "False", "NO"};
    char text[64];
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        snprintf(text, sizeof text, "argmax = %s\n", on[i]);
        assert_int_equal(parse_text(&sx->t, text, got, sizeof got), 0);
        assert_int_equal(sx->o.argmax, 1);
        snprintf(text, sizeof text, "argmax = %s\n", off[i]);
        assert_int_equal(parse_text(&sx->t, text, got, sizeof got), 0);
        assert_int_equal(sx->o.argmax, 0);
    }
    expect_file_error(&sx->t, "argmax\n", "config 'x.ini' line 1: syntax error");
    /* a lone quote is kept; an empty value is an empty string */
    assert_int_equal(parse_text(&fx->t, "data = \"\nresume =\n", got, sizeof got), 0);
    assert_string_equal(fx->o.data, "\"");
    assert_string_equal(fx->o.resume, "");
    free(fx);
    free(sx);
}

static void test_config_errors(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char got[1200];
    expect_error(opts_parse_file(&fx->t, "/nonexistent/x.ini"),
                 "config '/nonexistent/x.ini': cannot open: No such file or directory");
    expect_file_error(&fx->t, "hidden = 5\n# c\nhiden = 6\n",
                      "config 'x.ini' line 3: unknown key 'hiden'");
    expect_file_error(&fx->t, "\n\n\nhidden = x\n",
                      "config 'x.ini' line 4: hidden: 'x' is not a whole number");
    expect_file_error(&fx->t, "hidden = 5\nnonsense\nhidden = 6\n",
                      "config 'x.ini' line 2: syntax error");
    expect_file_error(&fx->t, "[model\n", "config 'x.ini' line 1: syntax error");
    expect_file_error(&fx->t, "seq = 5\n  600\n", "config 'x.ini' line 2: syntax error");
    expect_file_error(&fx->t, "dropout = 1\n",
                      "config 'x.ini' line 1: dropout: 1 is out of range (must be in [0, 1))");
    expect_file_error(&fx->t, "cell = \"lstn\"\n",
                      "config 'x.ini' line 1: cell: 'lstn' is not one of lstm|gru|rnn");
    expect_file_error(&fx->t, "grad_clip = 0\n",
                      "config 'x.ini' line 1: grad_clip: 0 is out of range (must be > 0)");
    expect_file_error(&fx->t, "lr = nan\n", "config 'x.ini' line 1: lr: 'nan' is not a finite number");
    expect_file_error(&fx->t, "config = other.ini\n",
                      "config 'x.ini' line 1: 'config' is only allowed on the command line");
    /* the first error wins, a syntax error included */
    expect_file_error(&fx->t, "oops\nhiden = 1\n", "config 'x.ini' line 1: syntax error");
    expect_file_error(&fx->t, "hiden = 1\noops\n", "config 'x.ini' line 1: unknown key 'hiden'");
    /* a line longer than inih's buffer is refused, not split (and, on an
     * error, later lines are not applied) */
    assert_int_equal(opts_defaults(&fx->t), 0);
    char text[1200];
    memset(text, 0, sizeof text);
    strcpy(text, "data = ");
    memset(text + 7, 'a', 1000);
    strcat(text, "\nhidden = 7\n");
    assert_int_equal(parse_text(&fx->t, text, got, sizeof got), -1);
    assert_non_null(strstr(got, "config 'x.ini' line 1: line too long"));
    assert_int_equal(fx->o.hidden, 512);
    /* through the command line: the file's error is the error */
    expect_error(train_args(fx, ARGS("--config", "/nonexistent/x.ini")),
                 "config '/nonexistent/x.ini': cannot open: No such file or directory");
    /* a directory */
    assert_int_equal(opts_parse_file(&fx->t, "/tmp"), -1);
    assert_non_null(strstr(error_message(), "config '/tmp'"));
    free(fx);
}

static void test_config_twice(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char a[64], b[64];
    write_temp(a, "hidden = 10\nlayers = 3\n");
    write_temp(b, "hidden = 20\n");
    assert_int_equal(train_args(fx, ARGS("--config", a, "--seq=7", "--config=" , "x")), -1);
    assert_int_equal(train_args(fx, ARGS("--config", a, "--seq=7", "--config", b)), 0);
    unlink(a);
    unlink(b);
    assert_int_equal(fx->o.hidden, 20);
    assert_int_equal(fx->o.layers, 3);
    assert_int_equal(fx->o.seq, 7);
    assert_string_equal(fx->o.config, b);
    free(fx);
}

/* ---- formatting ---- */

static void test_format_round_trip(void **state)
{
    (void)state;
    train_fx *a = train_new(), *b = train_new();
    /* values that need care: non-default everything, awkward reals */
    assert_int_equal(train_args(a, ARGS("--data", "some/file with spaces.txt", "--encoding",
                                        "latin-1", "--cell", "rnn", "--hidden", "65536",
                                        "--layers", "64", "--batch", "7", "--seq", "3", "--epochs",
                                        "9", "--steps", "18446744073709551615", "--seed", "0",
                                        "--out", "o", "--save-every", "1", "--keep", "2",
                                        "--resume", "auto", "--eval-every", "3", "--log-every",
                                        "4", "--metrics", "m.jsonl", "--device", "cuda",
                                        "--threads", "12", "--config", "/dev/null")),
                     0);
    a->o.val_frac = 1.0 / 3.0;
    a->o.dropout = 0.1 + 0.2;
    a->o.lr = 3e-4;
    a->o.grad_clip = 1e300;
    char text[OPT_PATH_MAX + 16];
    for (size_t i = 0; i < a->t.n; i++) {
        const opt_spec *s = &a->t.specs[i];
        opts_format(&a->t, s, text, sizeof text);
        assert_int_equal(opts_set(&b->t, s->name, text, NULL), 0);
        assert_int_equal(b->set[i], 1);
    }
    assert_memory_equal(&a->o, &b->o, sizeof a->o);
    opts_format(&a->t, opts_find(&a->t, "lr"), text, sizeof text);
    assert_string_equal(text, "0.0003");
    opts_format(&a->t, opts_find(&a->t, "dropout"), text, sizeof text);
    assert_string_equal(text, "0.30000000000000004");
    opts_format(&a->t, opts_find(&a->t, "steps"), text, sizeof text);
    assert_string_equal(text, "18446744073709551615");
    /* defaults format back to their spec text (numbers canonically) */
    train_fx *d = train_new();
    for (size_t i = 0; i < d->t.n; i++) {
        opts_format(&d->t, &d->t.specs[i], text, sizeof text);
        assert_string_equal(text, d->t.specs[i].def);
    }
    /* a short buffer truncates, NUL-terminated */
    char small[4];
    opts_format(&d->t, opts_find(&d->t, "out"), small, sizeof small);
    assert_string_equal(small, "run");
    free(a);
    free(b);
    free(d);
}

static void test_format_flag(void **state)
{
    (void)state;
    sample_fx *a = sample_new(), *b = sample_new();
    char text[32];
    const opt_spec *s = opts_find(&a->t, "argmax");
    a->o.argmax = 1;
    opts_format(&a->t, s, text, sizeof text);
    assert_string_equal(text, "true");
    assert_int_equal(opts_set(&b->t, "argmax", text, NULL), 0);
    assert_int_equal(b->o.argmax, 1);
    a->o.argmax = 0;
    opts_format(&a->t, s, text, sizeof text);
    assert_int_equal(opts_set(&b->t, "argmax", text, NULL), 0);
    assert_int_equal(b->o.argmax, 0);
    expect_error(opts_set(&b->t, "nope", "1", NULL), "--nope: unknown option");
    expect_error(opts_set(&b->t, "length", "0", "checkpoint 'c.h5': length"),
                 "checkpoint 'c.h5': length: 0 is out of range (must be >= 1)");
    free(a);
    free(b);
}

/* ---- --help ---- */

static void test_usage(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    opts_usage(&fx->t, f, "charnn-train [options]");
    fclose(f);
    assert_true(strncmp(text, "usage: charnn-train [options]\n", 30) == 0);
    assert_non_null(strstr(text, "\n  --hidden H "));
    assert_non_null(strstr(text, "(default: 512)\n"));
    assert_non_null(strstr(text, "\n  --cell lstm|gru|rnn "));
    assert_non_null(strstr(text, "\n  -h, --help "));
    assert_null(strstr(text, "(default: )"));
    /* one line per option, in table order, help text in one column */
    size_t lines = 0, column = 0;
    const char *prev = text;
    for (char *line = strstr(text, "\n  -"); line; line = strstr(line + 1, "\n  -")) {
        const char *gap = strstr(line + 3, "   ");
        assert_non_null(gap);
        while (*gap == ' ')
            gap++;
        size_t col = (size_t)(gap - (line + 1));
        if (lines == 0)
            column = col;
        assert_int_equal(col, column);
        if (lines < fx->t.n) {
            char want[64];
            snprintf(want, sizeof want, "\n  --%s", fx->t.specs[lines].name);
            assert_true(strncmp(line, want, strlen(want)) == 0);
        }
        assert_true(line >= prev);
        prev = line;
        lines++;
    }
    assert_int_equal(lines, fx->t.n + 1);
    free(text);

    sample_fx *sx = sample_new();
    f = open_memstream(&text, &len);
    opts_usage(&sx->t, f, "charnn-sample [options] CHECKPOINT");
    fclose(f);
    assert_non_null(strstr(text, "\n  --argmax "));
    assert_null(strstr(text, "--argmax  X"));
    free(text);
    free(sx);
    free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_defaults),
        cmocka_unit_test(test_train_table_flags),
        cmocka_unit_test(test_sample_defaults),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_cli_forms),
        cmocka_unit_test(test_cli_last_wins),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_long_string),
        cmocka_unit_test(test_size_parsing),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_sample_cli),
        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_twice),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_format_flag),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
