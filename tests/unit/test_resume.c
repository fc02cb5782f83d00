/* test_resume.c — the rules of --resume (resume.h) on charnn-train's real
 * option table and in-memory checkpoints: options not given come from the
 * checkpoint; given ones that fix the model or the data must agree; this
 * invocation's own are never taken; a missing newline stands for keep, any
 * other missing arch option is an error; the model must match the options;
 * the vocabulary must match; the first good candidate is read. */
#include "checkpoint.h"
#include "error.h"
#include "opts.h"
#include "resume.h"
#include "train_opts.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { MAX_OPTS = 64 };

typedef struct {
    train_options o;
    unsigned char set[MAX_OPTS];
    opt_table t;
    checkpoint ck;
    char *keys[MAX_OPTS], *values[MAX_OPTS];
} fx;

/* A fixture: defaults, and a checkpoint recording a run with hidden 64,
 * lr 0.01 and every other option at its default (LSTM 2 x 64). */
static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_true(train_opts_count() <= MAX_OPTS);
    train_opts_table(&f->t, &f->o, f->set);
    assert_int_equal(opts_defaults(&f->t), 0);
    for (size_t i = 0; i < f->t.n; i++) {
        const opt_spec *s = &f->t.specs[i];
        f->keys[i] = (char *)s->name;
        f->values[i] = calloc(1, OPT_PATH_MAX);
        opts_format(&f->t, s, f->values[i], OPT_PATH_MAX);
        if (strcmp(s->name, "hidden") == 0)
            strcpy(f->values[i], "64");
        if (strcmp(s->name, "lr") == 0)
            strcpy(f->values[i], "0.01");
        if (strcmp(s->name, "out") == 0)
            strcpy(f->values[i], "runs/old");
    }
    f->ck.n_options = f->t.n;
    f->ck.option_keys = f->keys;
    f->ck.option_values = f->values;
    f->ck.layout.cell = CELL_LSTM;
    f->ck.layout.hidden = 64;
    f->ck.layout.layers = 2;
    return f;
}

static void fx_free(fx *f)
{
    for (size_t i = 0; i < f->t.n; i++)
        free(f->values[i]);
    free(f);
}

static void give(fx *f, const char *key, const char *value)
{
    assert_int_equal(opts_set(&f->t, key, value, "--test"), 0);
}

static void drop_option(fx *f, const char *key)
{
    for (size_t i = 0; i < f->ck.n_options; i++)
        if (strcmp(f->keys[i], key) == 0)
            f->keys[i] = "(dropped)";
}

static void test_not_given_come_from_checkpoint(void **state)
{
    (void)state;
    fx *f = fx_new();
    give(f, "out", "runs/new");
    give(f, "steps", "50");
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), 0);
    assert_int_equal(f->o.hidden, 64);       /* taken */
    assert_true(f->o.lr == 0.01);            /* taken */
    assert_int_equal(f->o.steps, 50);        /* given, not arch: kept */
    assert_string_equal(f->o.out, "runs/new"); /* this invocation's own */
    fx_free(f);
}

static void test_run_options_never_taken(void **state)
{
    (void)state;
    fx *f = fx_new();
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), 0);
    assert_string_equal(f->o.out, "runs/default"); /* not runs/old */
    fx_free(f);
}

static void test_arch_must_agree(void **state)
{
    (void)state;
    fx *f = fx_new();
    give(f, "hidden", "128");
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), -1);
    assert_string_equal(error_message(), "--hidden 128 contradicts checkpoint 'c.h5' (hidden = 64)");
    fx_free(f);
    f = fx_new();
    give(f, "hidden", "64");
    give(f, "lr", "0.5"); /* not arch: may change */
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), 0);
    assert_true(f->o.lr == 0.5);
    fx_free(f);
}

static void test_missing_newline_is_keep(void **state)
{
    (void)state;
    fx *f = fx_new();
    drop_option(f, "newline");
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "old.h5"), 0);
    assert_string_equal(f->o.newline, "keep");
    fx_free(f);
    f = fx_new();
    drop_option(f, "newline");
    give(f, "newline", "lf");
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "old.h5"), -1);
    assert_string_equal(error_message(), "--newline lf contradicts checkpoint 'old.h5' (newline = keep)");
    fx_free(f);
}

static void test_missing_arch_is_an_error(void **state)
{
    (void)state;
    fx *f = fx_new();
    drop_option(f, "seq");
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), -1);
    assert_string_equal(error_message(), "checkpoint 'c.h5' lacks option 'seq'");
    fx_free(f);
}

static void test_model_must_match(void **state)
{
    (void)state;
    fx *f = fx_new();
    f->ck.layout.layers = 3; /* the options say 2 */
    assert_int_equal(resume_merge_options(&f->t, &f->o, &f->ck, "c.h5"), -1);
    assert_string_equal(error_message(), "checkpoint 'c.h5': its options contradict its model");
    fx_free(f);
}

static void test_vocab(void **state)
{
    (void)state;
    uint32_t a[] = {'\n', 'a', 'b'}, b[] = {'\n', 'a', 'c'};
    corpus c = {.vocab = a, .vocab_size = 3};
    checkpoint ck = {.vocab = a};
    ck.layout.vocab = 3;
    assert_int_equal(resume_check_vocab(&c, &ck, "t.txt", "c.h5"), 0);
    ck.vocab = b;
    assert_int_equal(resume_check_vocab(&c, &ck, "t.txt", "c.h5"), -1);
    assert_string_equal(error_message(), "vocabulary of 't.txt' (3 characters) differs from "
                                         "checkpoint 'c.h5' (3 characters): resume needs the same text");
}

static void test_first_good_candidate(void **state)
{
    (void)state;
    checkpoint ck = {0};
    char path[64];
    char *none[] = {"/nonexistent/a.h5", "/nonexistent/b.h5"};
    assert_int_equal(resume_read_first_good(none, 0, "runs/x", 0, &ck, path, sizeof path), 0);
    assert_int_equal(resume_read_first_good(none, 1, "runs/x", 0, &ck, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "a.h5"));
    assert_int_equal(resume_read_first_good(none, 2, "runs/x", 0, &ck, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "no usable checkpoint in 'runs/x' (all 2 damaged; the newest: "));
    char *long_path[] = {"/a/very/long/path/that/does/not/fit/into/the/sixty/four/bytes/given.h5"};
    assert_int_equal(resume_read_first_good(long_path, 1, "runs/x", 0, &ck, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "is too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_given_come_from_checkpoint),
        cmocka_unit_test(test_run_options_never_taken),
        cmocka_unit_test(test_arch_must_agree),
        cmocka_unit_test(test_missing_newline_is_keep),
        cmocka_unit_test(test_missing_arch_is_an_error),
        cmocka_unit_test(test_model_must_match),
        cmocka_unit_test(test_vocab),
        cmocka_unit_test(test_first_good_candidate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
