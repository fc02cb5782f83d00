/* test_params.c — the flat parameter layout (params.c): PyTorch's
 * state_dict names, order and shapes for every cell, tensors packed back to
 * back, the parameter counts of nn.LSTM/GRU/RNN + nn.Linear, the init
 * bounds, lookups by name and by index, cell names, and the model's limits
 * being the ones the options and the checkpoint reader use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "error.h"
#include "params.h"
#include "train_opts.h"

/* nn.LSTM/GRU/RNN(V, H, L) + nn.Linear(H, V), as PyTorch counts them. */
static size_t torch_count(size_t gates, size_t v, size_t h, size_t l)
{
    size_t n = 0;
    for (size_t i = 0; i < l; i++)
        n += gates * h * ((i ? h : v) + h + 2);
    return n + v * h + v;
}

static void check_layout(cell_kind cell, size_t v, size_t h, size_t l)
{
    param_layout p;
    param_layout_init(&p, cell, v, h, l);
    size_t gh = cell_gates(cell) * h;
    assert_int_equal(p.n_tensors, 4 * l + 2);
    assert_int_equal(p.n_params, torch_count(cell_gates(cell), v, h, l));
    size_t offset = 0;
    for (size_t i = 0; i < p.n_tensors; i++) { /* packed in order, no gaps */
        const param_tensor *t = &p.tensors[i];
        assert_int_equal(t->offset, offset);
        assert_int_equal(t->size, t->cols ? t->rows * t->cols : t->rows);
        offset += t->size;
    }
    assert_int_equal(offset, p.n_params);
    char name[32];
    for (size_t i = 0; i < l; i++) {
        const param_tensor *w_ih = &p.tensors[param_w_ih(i)], *w_hh = &p.tensors[param_w_hh(i)];
        snprintf(name, sizeof name, "rnn.weight_ih_l%zu", i);
        assert_string_equal(w_ih->name, name);
        assert_int_equal(w_ih->rows, gh);
        assert_int_equal(w_ih->cols, i ? h : v);
        snprintf(name, sizeof name, "rnn.weight_hh_l%zu", i);
        assert_string_equal(w_hh->name, name);
        assert_int_equal(w_hh->rows, gh);
        assert_int_equal(w_hh->cols, h);
        snprintf(name, sizeof name, "rnn.bias_ih_l%zu", i);
        assert_string_equal(p.tensors[param_b_ih(i)].name, name);
        assert_int_equal(p.tensors[param_b_ih(i)].cols, 0);
        snprintf(name, sizeof name, "rnn.bias_hh_l%zu", i);
        assert_string_equal(p.tensors[param_b_hh(i)].name, name);
        assert_int_equal(p.tensors[param_b_hh(i)].rows, gh);
        assert_true(fabs(w_ih->init_bound - 1.0 / sqrt((double)h)) < 1e-15);
        assert_int_equal(param_layout_find(&p, name), (long)param_b_hh(i));
    }
    const param_tensor *dec = &p.tensors[param_dec_w(&p)];
    assert_string_equal(dec->name, "decoder.weight");
    assert_int_equal(dec->rows, v);
    assert_int_equal(dec->cols, h);
    assert_string_equal(p.tensors[param_dec_b(&p)].name, "decoder.bias");
    assert_int_equal(p.tensors[param_dec_b(&p)].offset + v, p.n_params); /* last */
    assert_int_equal(param_layout_find(&p, "decoder.weight"), (long)param_dec_w(&p));
    assert_int_equal(param_layout_find(&p, "rnn.weight_ih_l99"), -1);
    assert_int_equal(param_layout_find(&p, ""), -1);
    param_layout_free(&p);
    assert_null(p.tensors);
}

static void test_layouts(void **state)
{
    (void)state;
    check_layout(CELL_LSTM, 65, 128, 2);
    check_layout(CELL_GRU, 65, 128, 2);
    check_layout(CELL_RNN, 65, 128, 2);
    check_layout(CELL_LSTM, 3, 1, 1);
    check_layout(CELL_GRU, 1000, 7, 3);
    /* the notebook's model: nn.LSTM(65, 128, 2) + nn.Linear(128, 65) */
    param_layout p;
    param_layout_init(&p, CELL_LSTM, 65, 128, 2);
    assert_int_equal(p.n_params, 240321);
    param_layout_free(&p);
}

static void test_cells(void **state)
{
    (void)state;
    const char *names[] = {"lstm", "gru", "rnn"};
    const size_t gates[] = {4, 3, 1};
    for (int i = 0; i < 3; i++) {
        cell_kind k;
        assert_int_equal(cell_parse(names[i], &k), 0);
        assert_int_equal(k, (cell_kind)i);
        assert_string_equal(cell_name(k), names[i]);
        assert_int_equal(cell_gates(k), gates[i]);
    }
    cell_kind k = CELL_GRU;
    assert_int_equal(cell_parse("LSTM", &k), -1);
    assert_non_null(strstr(error_message(), "unknown cell 'LSTM'"));
    assert_int_equal(k, CELL_GRU); /* untouched */
}

/* --hidden and --layers accept what a checkpoint may hold, no more. */
static void test_limits(void **state)
{
    (void)state;
    assert_true(CK_MAX_HIDDEN == PARAM_MAX_HIDDEN);
    assert_true(CK_MAX_LAYERS == PARAM_MAX_LAYERS);
    assert_true(CK_MAX_VOCAB == PARAM_MAX_VOCAB);
    train_options o;
    unsigned char *set = xcalloc(train_opts_count(), 1, "option marks");
    opt_table t;
    train_opts_table(&t, &o, set);
    assert_true(opts_find(&t, "hidden")->max == (double)PARAM_MAX_HIDDEN);
    assert_true(opts_find(&t, "layers")->max == (double)PARAM_MAX_LAYERS);
    free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
