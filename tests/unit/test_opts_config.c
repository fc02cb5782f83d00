/* test_opts_config.c — INI config files (opts_parse_file in opts.c, --config):
 * comments, quotes, sections, flags; every error with its file and line;
 * the command line winning over the file; --config given twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "opts_fixtures.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    /* a line longer than the reader's limit (199) is refused, not split (and, on an
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
