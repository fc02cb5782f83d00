/* gradcheck.c — finite-difference check of the model's analytic gradients,
 * in double precision (the model and the CPU backend compiled with
 * -DCHARNN_DOUBLE), for every cell type, 2+ layers, dropout on, a non-zero
 * carried state, and every parameter of the model. */
#include "backend.h"
#include "model.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V = 7, H = 5, L = 3, B = 3, M = 4 };

static double loss_at(model *m, model_work *w, const real *h0, const real *c0,
                      const int32_t *x, const int32_t *y, const model_pass *pass)
{
    model_pass fwd = *pass;
    fwd.grad_scale = 0;
    model_state_import(m, w, h0, c0);
    return model_run(m, w, M, x, y, &fwd);
}

static int check_cell(cell_kind cell)
{
    model m;
    model_work w;
    model_init(&m, backend_cpu(), cell, V, H, L);
    model_init_params(&m, 42);
    model_work_init(&w, &m, B, M, 1);
    real h0[B * L * H], c0[B * L * H];
    int32_t x[M * B], y[M * B];
    for (size_t i = 0; i < B * L * H; i++) {
        h0[i] = 0.8 * (rng_uniform(7, 9, 0, 0, (uint32_t)i) - 0.5);
        c0[i] = 2.0 * (rng_uniform(7, 9, 1, 0, (uint32_t)i) - 0.5);
    }
    for (size_t i = 0; i < M * B; i++) {
        x[i] = (int32_t)(rng_bits(3, 9, 0, 0, (uint32_t)i) % V);
        y[i] = (int32_t)(rng_bits(3, 9, 1, 0, (uint32_t)i) % V);
    }
    double scale = 1.0 / (B * M);
    model_pass pass = {.dropout = 0.3, .seed = 5, .step = 11, .row0 = 2, .grad_scale = scale};
    model_state_import(&m, &w, h0, c0);
    model_run(&m, &w, M, x, y, &pass);

    size_t n = m.layout.n_params;
    real *p = m.params, *g = m.grads; /* CPU backend: host memory */
    double eps = 1e-5, num2 = 0, diff2 = 0, worst = 0;
    size_t bad = 0;
    size_t worst_i = 0, dropped_units = 0;
    for (size_t i = 0; i < n; i++) {
        real keep = p[i];
        p[i] = keep + eps;
        double lp = loss_at(&m, &w, h0, c0, x, y, &pass);
        p[i] = keep - eps;
        double lm = loss_at(&m, &w, h0, c0, x, y, &pass);
        p[i] = keep;
        double numeric = (lp - lm) / (2 * eps) * scale;
        double d = fabs(numeric - g[i]);
        double rel = d / fmax(1e-7, fabs(numeric) + fabs(g[i]));
        bad += d > 1e-5 * (fabs(numeric) + fabs(g[i])) + 1e-9; /* rel. with an abs. floor */
        if (rel > worst && fabs(numeric) + fabs(g[i]) > 1e-6) {
            worst = rel;
            worst_i = i;
        }
        num2 += numeric * numeric;
        diff2 += d * d;
    }
    for (size_t l = 0; l < L; l++) /* dropout really on: some outputs zeroed */
        for (size_t i = 0; i < M * B * H; i++)
            dropped_units += w.drop[l][i] == 0;
    double rel_norm = sqrt(diff2 / num2);
    int ok = rel_norm < 1e-7 && bad == 0 && dropped_units > 0;
    printf("%-4s params %zu  dropped outputs %zu  relative error norm %.3g  worst element %.3g (index %zu)  out of tolerance %zu  %s\n",
           cell_name(cell), n, dropped_units, rel_norm, worst, worst_i, bad, ok ? "ok" : "FAILED");
    model_work_free(&w, &m);
    model_free(&m);
    return ok;
}

int main(void)
{
    int ok = 1;
    ok &= check_cell(CELL_LSTM);
    ok &= check_cell(CELL_GRU);
    ok &= check_cell(CELL_RNN);
    return ok ? 0 : 1;
}
