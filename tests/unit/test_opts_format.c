/* test_opts_format.c — options back to text (opts_format: a value formats
 * to text that sets it again, bit for bit) and --help (opts_usage). */
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
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_format_flag),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
