/* test_opts_tables.c — the trainer's and the sampler's option tables
 * (train_opts.c, sample_opts.c): their defaults, which options are
 * architecture options or command-line only, and lookup by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "opts_fixtures.h"

#include <stdlib.h>
#include <string.h>

static void test_train_defaults(void **state)
{
    (void)state;
    train_fx *fx = train_new();
    const train_options *o = &fx->o;
    assert_int_equal(train_opts_count(), 32);
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
    assert_string_equal(o->rnn_kernel, "auto");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_defaults),
        cmocka_unit_test(test_train_table_flags),
        cmocka_unit_test(test_sample_defaults),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
