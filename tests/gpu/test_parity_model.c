/* test_parity_model.c — the whole model on the CUDA backend against the CPU
 * backend (part of test_parity): the loss, the gradient norm and every
 * gradient tensor of the first steps, the host waits of each step, and the
 * weights after 20 Adam steps, for every cell on a small and a notebook-like
 * shape. */
#include "backend_cuda.h"
#include "model.h"
#include "optim.h"
#include "parity_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    size_t vocab, hidden, layers, rows, seq;
} model_size;

static void random_window(int32_t *x, int32_t *y, size_t n, size_t v)
{
    fill_ids(x, n, v);
    fill_ids(y, n, v);
}

/* every tensor of the GPU buffer against the CPU one */
static double compare_tensors(const char *cell, const char *kind, const model *mc,
                              const float *cpu_buf, const float *gpu_dev, double tol)
{
    const param_layout *p = &mc->layout;
    float *h = fetch(gpu_dev, p->n_params);
    double worst = 0;
    for (size_t t = 0; t < p->n_tensors; t++) {
        const param_tensor *pt = &p->tensors[t];
        char what[96];
        snprintf(what, sizeof what, "model %s %s %s", cell, kind, pt->name);
        worst = fmax(worst, expect_rel_norm(what, h + pt->offset, cpu_buf + pt->offset,
                                            pt->size, tol));
    }
    free(h);
    return worst;
}

typedef struct {
    model m;
    model_work w;
    optim o;
} trainee;

static void trainee_init(trainee *t, const backend *be, cell_kind cell, const model_size *s)
{
    model_init(&t->m, be, cell, s->vocab, s->hidden, s->layers);
    model_init_params(&t->m, 42);
    model_work_init(&t->w, &t->m, s->rows, s->seq, 1);
    optim_init(&t->o, be, t->m.layout.n_params, 2e-3, 5.0);
}

static void trainee_free(trainee *t)
{
    optim_free(&t->o);
    model_work_free(&t->w, &t->m);
    model_free(&t->m);
}

/* One training step on both; the first one's loss and gradients compared. */
static void model_step(trainee *c, trainee *g, const model_size *s, uint32_t step,
                       int32_t *x, int32_t *y, int compare)
{
    size_t steps = step % 3 == 2 ? s->seq - 2 : s->seq; /* partial windows too */
    random_window(x, y, steps * s->rows, s->vocab);
    model_pass pass = {.dropout = 0.5, .seed = 99, .step = step, .row0 = 5,
                       .grad_scale = 1.0 / (double)(steps * s->rows)};
    /* the trainer's step: loss, norm, clip and finite check on the device,
     * one read-back (optim_finish) and no other wait on the GPU */
    double lc, lg, nc, ng;
    pass.loss_out = optim_loss_slot(&c->o);
    model_run(&c->m, &c->w, steps, x, y, &pass);
    optim_queue(&c->o, c->m.params, c->m.grads);
    nc = optim_finish(&c->o, &lc);
    pass.loss_out = optim_loss_slot(&g->o);
    size_t waits = backend_cuda_host_waits(gpu);
    model_run(&g->m, &g->w, steps, x, y, &pass);
    optim_queue(&g->o, g->m.params, g->m.grads);
    ng = optim_finish(&g->o, &lg);
    waits = backend_cuda_host_waits(gpu) - waits;
    const char *name = cell_name(c->m.layout.cell);
    char what[96];
    snprintf(what, sizeof what, "model %s step %u: host waits", name, step);
    if (step > 0) /* step 0 grows the scratch and the staging ring */
        report(waits == 1, "%g waits for the GPU (want 1: the read-back)", what, (double)waits);
    snprintf(what, sizeof what, "model %s step %u gradient norm", name, step);
    report(fabs(ng - nc) <= 1e-4 * nc, "relative error %.3g", what, fabs(ng - nc) / nc);
    if (!compare)
        return;
    snprintf(what, sizeof what, "model %s step %u loss", name, step);
    report(fabs(lg - lc) <= 1e-5 * fabs(lc), "relative error %.3g", what,
           fabs(lg - lc) / fabs(lc));
    compare_tensors(name, "gradient", &c->m, c->m.grads, g->m.grads, 1e-4);
}

static void model_case(cell_kind cell, const model_size *s)
{
    trainee c, g;
    trainee_init(&c, cpu, cell, s);
    trainee_init(&g, gpu, cell, s);
    int32_t *x = xalloc(s->seq * s->rows * sizeof *x), *y = xalloc(s->seq * s->rows * sizeof *y);
    for (uint32_t step = 0; step < 20; step++)
        model_step(&c, &g, s, step, x, y, step == 0 || step == 1);
    double e = compare_tensors(cell_name(cell), "weights after 20 steps", &c.m, c.m.params,
                               g.m.params, 1e-4);
    printf("model %s V=%zu H=%zu L=%zu B=%zu M=%zu: worst weight error %.3g after 20 steps\n",
           cell_name(cell), s->vocab, s->hidden, s->layers, s->rows, s->seq, e);
    free(x);
    free(y);
    trainee_free(&c);
    trainee_free(&g);
}

void test_model(void)
{
    const model_size sizes[] = {{83, 37, 2, 3, 7}, {4447, 128, 2, 100, 10}};
    for (size_t s = 0; s < COUNT(sizes); s++)
        for (int c = 0; c < 3; c++)
            model_case((cell_kind)c, &sizes[s]);
}
