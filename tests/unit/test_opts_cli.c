/* test_opts_cli.c — the command line (opts_parse_argv in opts.c): --name value,
 * --name=value, the last one wins, every error class, long strings, sizes,
 * range edges, flags, the sampler's options, positionals, --help. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
