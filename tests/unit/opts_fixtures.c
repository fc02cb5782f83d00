/* opts_fixtures.c — the option tests' shared fixtures (see opts_fixtures.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "opts_fixtures.h"

#include "error.h"

#include <stdlib.h>

train_fx *train_new(void)
{
    train_fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_true(train_opts_count() <= MAX_SPECS);
    train_opts_table(&fx->t, &fx->o, fx->set);
    assert_int_equal(opts_defaults(&fx->t), 0);
    return fx;
}

sample_fx *sample_new(void)
{
    sample_fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_true(sample_opts_count() <= MAX_SPECS);
    sample_opts_table(&fx->t, &fx->o, fx->set);
    assert_int_equal(opts_defaults(&fx->t), 0);
    return fx;
}

/* Parses a NULL-terminated argument list (argv[0] is added). */
int parse_args(const opt_table *t, char **pos, size_t max_pos, size_t *n_pos, int *help,
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

int train_args(train_fx *fx, const char *const *args)
{
    int help = 0;
    return parse_args(&fx->t, NULL, 0, NULL, &help, args);
}

void expect_error(int rc, const char *message)
{
    assert_int_equal(rc, -1);
    assert_string_equal(error_message(), message);
}

int is_set(const train_fx *fx, const char *name)
{
    const opt_spec *s = opts_find(&fx->t, name);
    assert_non_null(s);
    return fx->set[s - fx->t.specs];
}

size_t count_set(const unsigned char *set, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += set[i] != 0;
    return k;
}
