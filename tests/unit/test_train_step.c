/* test_train_step.c — one training step (train_step.c) on a run set up
 * through train_setup (a small text, the CPU backend, one rank): seven
 * steps, across an epoch's end, bitwise the same as the step's parts run
 * by hand (the window, the carried state zeroed at window 0, the pass with
 * the step's dropout counter and rows, Adam); a non-finite step skipped
 * (nothing applied, the batch consumed) and the run stopped after more
 * than --max-bad-steps; the fault hook (nan-grad) on the gradient only; the
 * validation pass from a zero state, repeatable and leaving the training
 * state alone; the replica check on one rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fault.h"
#include "rng.h"
#include "train_setup.h"
#include "train_step.h"

static comm_info comm;
static char dir[] = "/tmp/charnn-step.XXXXXX";
static char text_path[sizeof dir + 16];

/* A text of words drawn from a few (about 400 characters). */
static void write_text(void)
{
    static const char *const words[] = {"the ", "cat ", "sat ", "on ", "a ", "mat.\n", "and "};
    FILE *f = fopen(text_path, "w");
    assert_non_null(f);
    for (uint32_t i = 0; i < 110; i++)
        fputs(words[(size_t)(rng_uniform(3, 4, 0, 0, i) * 7)], f);
    fclose(f);
}

typedef struct {
    train_options o;
    unsigned char *set;
    trainer tr;
} run;

/* A run set up as charnn-train would (options' defaults, then the test's). */
static void run_open(run *r, double dropout, size_t max_bad)
{
    opt_table t;
    memset(r, 0, sizeof *r);
    r->set = xcalloc(train_opts_count(), 1, "option marks");
    train_opts_table(&t, &r->o, r->set);
    opts_defaults(&t);
    snprintf(r->o.data, sizeof r->o.data, "%s", text_path);
    snprintf(r->o.out, sizeof r->o.out, "%s/out", dir);
    snprintf(r->o.device, sizeof r->o.device, "cpu");
    r->o.hidden = 16;
    r->o.layers = 2;
    r->o.batch = 4;
    r->o.seq = 16;
    r->o.val_frac = 0.2;
    r->o.dropout = dropout;
    r->o.max_bad_steps = max_bad;
    r->o.seed = 99;
    r->tr.o = &r->o;
    r->tr.comm = &comm;
    r->tr.pos.val_loss = NAN;
    assert_int_equal(train_setup(&r->tr, r->set), 0);
    assert_int_equal(train_setup_grads(&r->tr), 0);
}

static void run_close(run *r)
{
    train_release(&r->tr);
    free(r->set);
}

static size_t n_params(const run *r) { return r->tr.net.m.layout.n_params; }

/* The step's parts, by hand, for step number `step` (0-based). */
static double step_by_hand(trainer *tr, uint64_t step)
{
    batch_split *s = &tr->data.train;
    train_net *net = &tr->net;
    size_t window = step % s->lay.windows;
    if (window == 0)
        model_work_reset(&net->train_w, &net->m);
    batch_window(s, window);
    double global = (double)(s->lay.rows * s->lay.seq);
    model_pass pass = {.dropout = tr->o->dropout, .seed = tr->o->seed, .step = (uint32_t)step,
                       .row0 = s->first, .grad_scale = 1.0 / global,
                       .loss_out = optim_loss_slot(&net->opt)};
    model_run(&net->m, &net->train_w, s->lay.seq, s->x, s->y, &pass);
    optim_queue(&net->opt, net->m.params, net->m.grads);
    double loss_sum;
    optim_finish(&net->opt, &loss_sum);
    return loss_sum / global;
}

static void test_step_is_its_parts(void **state)
{
    (void)state;
    run a, b;
    run_open(&a, 0.3, 5);
    run_open(&b, 0.3, 5);
    size_t windows = a.tr.data.train.lay.windows, bytes = n_params(&a) * sizeof(real);
    assert_true(windows >= 2 && windows < 7); /* the steps cross an epoch's end */
    assert_string_equal(comm_grads_name(&a.tr.net.grads), comm.size == 1 ? "single" : "host");
    for (uint64_t k = 0; k < 7; k++) {
        assert_int_equal(train_step(&a.tr), 0);
        double loss = step_by_hand(&b.tr, k);
        assert_int_equal(a.tr.pos.step, k + 1);
        assert_true(a.tr.pos.loss == loss && isfinite(loss) && a.tr.pos.grad_norm > 0);
        assert_memory_equal(a.tr.net.m.params, b.tr.net.m.params, bytes);
        assert_memory_equal(a.tr.net.opt.m, b.tr.net.opt.m, bytes);
        assert_memory_equal(a.tr.net.opt.v, b.tr.net.opt.v, bytes);
    }
    assert_int_equal(a.tr.net.opt.t, 7);
    assert_int_equal(a.tr.pos.bad_in_row, 0);
    assert_true(a.tr.clk.chars_log == 7.0 * 4 * 16);
    assert_int_equal(train_check_replicas(&a.tr), 0); /* one rank: nothing to differ */
    run_close(&a);
    run_close(&b);
}

static void test_nonfinite_steps(void **state)
{
    (void)state;
    run r;
    run_open(&r, 0, 1);
    trainer *tr = &r.tr;
    size_t bytes = n_params(&r) * sizeof(real);
    real nan = NAN, *before = xmalloc(bytes, "parameters");
    tr->be->upload(tr->be, tr->net.m.params, &nan, sizeof nan); /* the loss becomes NaN */
    memcpy(before, tr->net.m.params, bytes);
    assert_int_equal(train_step(tr), 0); /* skipped, with a warning */
    assert_int_equal(tr->pos.step, 1);
    assert_int_equal(tr->pos.bad_in_row, 1);
    assert_int_equal(tr->net.opt.t, 0);
    assert_memory_equal(tr->net.m.params, before, bytes);
    assert_int_equal(train_step(tr), -1); /* the second in a row: more than 1 */
    assert_int_equal(tr->pos.step, 2);
    assert_non_null(strstr(error_message(), "training loss is non-finite (nan) at step 2"));
    assert_non_null(strstr(error_message(), "more than --max-bad-steps 1"));
    free(before);
    run_close(&r);
}

/* CHARNN_FAULT_INJECT=nan-grad@2 (set in main): step 2's gradient only. */
static void test_fault_gradient(void **state)
{
    (void)state;
    run r;
    run_open(&r, 0, 5);
    trainer *tr = &r.tr;
    assert_int_equal(train_step(tr), 0);
    assert_int_equal(tr->pos.bad_in_row, 0);
    double loss1 = tr->pos.loss;
    assert_int_equal(train_step(tr), 0);
    assert_int_equal(tr->pos.bad_in_row, 1); /* the gradient norm, not the loss */
    assert_true(tr->pos.loss == loss1);      /* the last good step's */
    assert_int_equal(tr->net.opt.t, 1);
    assert_int_equal(train_step(tr), 0);
    assert_int_equal(tr->pos.bad_in_row, 0);
    assert_int_equal(tr->net.opt.t, 2);
    run_close(&r);
}

static void test_evaluate(void **state)
{
    (void)state;
    run r;
    run_open(&r, 0.5, 5);
    trainer *tr = &r.tr;
    assert_true(tr->data.has_val);
    const param_layout *p = &tr->net.m.layout;
    size_t n = tr->data.train.count * p->layers * p->hidden;
    real *h0 = xmalloc(n * sizeof *h0, "state"), *h1 = xmalloc(n * sizeof *h1, "state");
    real *c0 = xmalloc(n * sizeof *c0, "state"), *c1 = xmalloc(n * sizeof *c1, "state");
    assert_int_equal(train_step(tr), 0);
    model_state_export(&tr->net.m, &tr->net.train_w, h0, c0);
    double v1 = train_evaluate(tr), v2 = train_evaluate(tr);
    model_state_export(&tr->net.m, &tr->net.train_w, h1, c1);
    assert_true(v1 == v2); /* a zero state each time, no dropout */
    assert_true(fabs(v1 - log((double)p->vocab)) < 0.5); /* one step from uniform */
    assert_memory_equal(h0, h1, n * sizeof *h0);
    assert_memory_equal(c0, c1, n * sizeof *c0);
    free(h0);
    free(h1);
    free(c0);
    free(c1);
    run_close(&r);
}

int main(int argc, char **argv)
{
    comm_init(&argc, &argv, &comm);
    assert_non_null(mkdtemp(dir));
    snprintf(text_path, sizeof text_path, "%s/text.txt", dir);
    write_text();
    setenv("CHARNN_FAULT_INJECT", "nan-grad@2", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_is_its_parts),
        cmocka_unit_test(test_nonfinite_steps),
        cmocka_unit_test(test_evaluate),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    assert_int_equal(fault_init(), 0); /* from here on nan-grad@2 */
    const struct CMUnitTest faults[] = {cmocka_unit_test(test_fault_gradient)};
    rc |= cmocka_run_group_tests(faults, NULL, NULL);
    unlink(text_path);
    rmdir(dir);
    comm_finalize();
    return rc;
}
