/* model.c — forward and backward of the stacked RNN + decoder over the
 * backend primitives (see model.h, backend.h for layouts). */
#include "model.h"

#include "error.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#define PARAM(m, buf, idx) ((buf) + (m)->layout.tensors[(idx)].offset)

void model_init(model *m, const backend *be, cell_kind cell, size_t vocab, size_t hidden,
                size_t layers)
{
    m->be = be;
    param_layout_init(&m->layout, cell, vocab, hidden, layers);
    size_t bytes = m->layout.n_params * sizeof(real);
    m->params = be->alloc(be, bytes, "parameters");
    m->grads = be->alloc(be, bytes, "gradients");
}

void model_init_params(model *m, uint64_t seed)
{
    const param_layout *p = &m->layout;
    real *host = xmalloc(p->n_params * sizeof *host, "initial parameters");
    uint32_t stream = rng_stream(RNG_STREAM_INIT, 0);
    for (size_t t = 0; t < p->n_tensors; t++) {
        const param_tensor *pt = &p->tensors[t];
        for (size_t e = 0; e < pt->size; e++) {
            double u = rng_uniform(seed, stream, (uint32_t)t, 0, (uint32_t)e);
            host[pt->offset + e] = (real)((2.0 * u - 1.0) * pt->init_bound);
        }
    }
    m->be->upload(m->be, m->params, host, p->n_params * sizeof *host);
    free(host);
}

void model_free(model *m)
{
    m->be->free(m->be, m->params);
    m->be->free(m->be, m->grads);
    param_layout_free(&m->layout);
}

static real **alloc_per_layer(const backend *be, size_t layers, size_t count,
                              const char *what)
{
    real **v = xcalloc(layers, sizeof *v, what);
    for (size_t l = 0; l < layers && count; l++)
        v[l] = be->alloc(be, count * sizeof(real), what);
    return v;
}

static void free_per_layer(const backend *be, real **v, size_t layers)
{
    for (size_t l = 0; v && l < layers; l++)
        if (v[l])
            be->free(be, v[l]);
    free(v);
}

void model_work_init(model_work *w, const model *m, size_t rows, size_t seq, int train)
{
    const backend *be = m->be;
    const param_layout *p = &m->layout;
    size_t L = p->layers, H = p->hidden, bh = rows * H;
    size_t gh = cell_gates(p->cell) * H, aw = cell_act_width(p->cell) * H;
    int lstm = p->cell == CELL_LSTM;
    memset(w, 0, sizeof *w);
    w->rows = rows;
    w->seq = seq;
    w->train = train;
    w->state_h = be->alloc(be, L * bh * sizeof(real), "hidden state");
    w->state_c = lstm ? be->alloc(be, L * bh * sizeof(real), "cell state") : NULL;
    w->hs = alloc_per_layer(be, L, (seq + 1) * bh, "hidden sequence");
    w->cs = alloc_per_layer(be, L, lstm ? (seq + 1) * bh : 0, "cell sequence");
    w->act = alloc_per_layer(be, L, seq * rows * aw, "cell activations");
    w->xg = alloc_per_layer(be, L, seq * rows * gh, "input projections");
    w->drop = alloc_per_layer(be, L, train ? seq * bh : 0, "dropout outputs");
    w->rnn_work =
        be->alloc(be, be->rnn_work(be, p->cell, rows, H) * sizeof(real), "recurrence scratch");
    w->logits = be->alloc(be, seq * rows * p->vocab * sizeof(real), "logits");
    w->loss = be->alloc(be, sizeof *w->loss, "loss");
    w->x = be->alloc(be, seq * rows * sizeof(int32_t), "input ids");
    w->y = be->alloc(be, seq * rows * sizeof(int32_t), "target ids");
    if (!train)
        return;
    w->dy = be->alloc(be, seq * bh * sizeof(real), "output gradient");
    w->dx = be->alloc(be, seq * bh * sizeof(real), "input gradient");
    w->dxg = be->alloc(be, seq * rows * gh * sizeof(real), "gate gradient");
    w->dhg = p->cell == CELL_GRU ? be->alloc(be, seq * rows * gh * sizeof(real), "GRU hh gradient")
                                 : w->dxg;
}

void model_work_free(model_work *w, const model *m)
{
    const backend *be = m->be;
    size_t L = m->layout.layers;
    free_per_layer(be, w->hs, L);
    free_per_layer(be, w->cs, L);
    free_per_layer(be, w->act, L);
    free_per_layer(be, w->xg, L);
    free_per_layer(be, w->drop, L);
    real *singles[] = {w->state_h, w->state_c, w->rnn_work, w->logits, w->dy, w->dx, w->dxg};
    for (size_t i = 0; i < sizeof singles / sizeof *singles; i++)
        if (singles[i])
            be->free(be, singles[i]);
    if (w->dhg && w->dhg != w->dxg)
        be->free(be, w->dhg);
    be->free(be, w->loss);
    be->free(be, w->x);
    be->free(be, w->y);
    memset(w, 0, sizeof *w);
}

void model_work_reset(model_work *w, const model *m)
{
    size_t n = m->layout.layers * w->rows * m->layout.hidden * sizeof(real);
    m->be->zero(m->be, w->state_h, n);
    if (w->state_c)
        m->be->zero(m->be, w->state_c, n);
}

/* The output of layer l as seen by the layer above / the decoder: h_1..h_M,
 * or their dropped copy. */
static real *layer_out(const model *m, const model_work *w, size_t l, int dropped)
{
    return dropped ? w->drop[l] : w->hs[l] + w->rows * m->layout.hidden;
}

/* The recurrence of layer l over the window, as the backend's rnn_seq. */
static rnn_seq layer_seq(const model *m, const model_work *w, size_t l, size_t steps)
{
    rnn_seq s = {
        .cell = m->layout.cell,
        .steps = steps,
        .rows = w->rows,
        .hidden = m->layout.hidden,
        .w_hh = PARAM(m, m->params, param_w_hh(l)),
        .b_hh = PARAM(m, m->params, param_b_hh(l)),
        .xg = w->xg[l],
        .hs = w->hs[l],
        .cs = w->cs[l],
        .act = w->act[l],
        .work = w->rnn_work,
    };
    return s;
}

static void layer_forward(model *m, model_work *w, size_t l, size_t steps, const real *in)
{
    const backend *be = m->be;
    const param_layout *p = &m->layout;
    size_t B = w->rows, H = p->hidden, bh = B * H, n = steps * B;
    size_t gh = cell_gates(p->cell) * H;
    const real *w_ih = PARAM(m, m->params, param_w_ih(l));
    real *hs = w->hs[l], *cs = w->cs[l];

    be->copy(be, hs, w->state_h + l * bh, bh * sizeof(real));
    if (cs)
        be->copy(be, cs, w->state_c + l * bh, bh * sizeof(real));
    be->fill_rows(be, w->xg[l], PARAM(m, m->params, param_b_ih(l)), n, gh);
    if (l == 0)
        be->embed_fwd(be, w->xg[l], w_ih, w->x, n, gh, p->vocab);
    else
        be->gemm(be, 0, 1, n, gh, H, 1, in, H, w_ih, H, 1, w->xg[l], gh);
    rnn_seq s = layer_seq(m, w, l, steps);
    be->rnn_fwd(be, &s);
    be->copy(be, w->state_h + l * bh, hs + steps * bh, bh * sizeof(real));
    if (cs)
        be->copy(be, w->state_c + l * bh, cs + steps * bh, bh * sizeof(real));
}

/* the loss sum (with targets) goes to the device double *loss */
static void model_forward(model *m, model_work *w, size_t steps, int has_targets,
                          const model_pass *pass, double *loss)
{
    const backend *be = m->be;
    const param_layout *p = &m->layout;
    size_t H = p->hidden, n = steps * w->rows;
    int dropped = pass->dropout > 0 && w->train;
    const real *in = NULL;
    for (size_t l = 0; l < p->layers; l++) {
        layer_forward(m, w, l, steps, in);
        if (dropped)
            be->dropout(be, w->drop[l], w->hs[l] + w->rows * H, steps, w->rows, H,
                        (real)pass->dropout, pass->seed, pass->step, (uint32_t)l, pass->row0);
        in = layer_out(m, w, l, dropped);
    }
    be->fill_rows(be, w->logits, PARAM(m, m->params, param_dec_b(p)), n, p->vocab);
    be->gemm(be, 0, 1, n, p->vocab, H, 1, in, H, PARAM(m, m->params, param_dec_w(p)), H, 1,
             w->logits, p->vocab);
    if (has_targets)
        be->xent(be, w->logits, w->y, n, p->vocab, (real)pass->grad_scale, loss);
}

/* Backward through layer l: w->dy holds the gradient of its (dropped)
 * output; leaves the gradient of its input in w->dx (l > 0). */
static void layer_backward(model *m, model_work *w, size_t l, size_t steps,
                           const model_pass *pass, const real *in)
{
    const backend *be = m->be;
    const param_layout *p = &m->layout;
    size_t B = w->rows, H = p->hidden, n = steps * B;
    size_t gh = cell_gates(p->cell) * H;
    if (pass->dropout > 0)
        be->dropout(be, w->dy, w->dy, steps, B, H, (real)pass->dropout, pass->seed, pass->step,
                    (uint32_t)l, pass->row0);
    rnn_seq s = layer_seq(m, w, l, steps);
    rnn_seq_grad g = {
        .dy = w->dy,
        .dxg = w->dxg,
        .dhg = w->dhg,
        .dw_hh = PARAM(m, m->grads, param_w_hh(l)),
        .db_hh = PARAM(m, m->grads, param_b_hh(l)),
        .db_ih = PARAM(m, m->grads, param_b_ih(l)),
    };
    be->rnn_bwd(be, &s, &g);
    /* the input side's gradients as large GEMMs over the whole window */
    real *dw_ih = PARAM(m, m->grads, param_w_ih(l));
    if (l == 0) {
        be->embed_bwd(be, dw_ih, w->dxg, w->x, n, gh, p->vocab);
        return;
    }
    be->gemm(be, 1, 0, gh, H, n, 1, w->dxg, gh, in, H, 1, dw_ih, H);
    be->gemm(be, 0, 0, n, H, gh, 1, w->dxg, gh, PARAM(m, m->params, param_w_ih(l)), H, 0, w->dx, H);
}

static void model_backward(model *m, model_work *w, size_t steps, const model_pass *pass)
{
    const backend *be = m->be;
    const param_layout *p = &m->layout;
    size_t H = p->hidden, V = p->vocab, n = steps * w->rows, L = p->layers;
    int dropped = pass->dropout > 0;
    be->zero(be, m->grads, p->n_params * sizeof(real));
    const real *top = layer_out(m, w, L - 1, dropped);
    be->sum_rows(be, PARAM(m, m->grads, param_dec_b(p)), w->logits, n, V);
    be->gemm(be, 1, 0, V, H, n, 1, w->logits, V, top, H, 1, PARAM(m, m->grads, param_dec_w(p)), H);
    be->gemm(be, 0, 0, n, H, V, 1, w->logits, V, PARAM(m, m->params, param_dec_w(p)), H, 0, w->dy,
             H);
    for (size_t l = L; l-- > 0;) {
        layer_backward(m, w, l, steps, pass, l ? layer_out(m, w, l - 1, dropped) : NULL);
        real *swap = w->dy;
        w->dy = w->dx;
        w->dx = swap;
    }
}

double model_run(model *m, model_work *w, size_t steps, const int32_t *x_host,
                 const int32_t *y_host, const model_pass *pass)
{
    const backend *be = m->be;
    size_t n = steps * w->rows;
    double *loss_dev = pass->loss_out ? pass->loss_out : w->loss, loss = 0;
    be->zero(be, loss_dev, sizeof *loss_dev);
    if (n == 0)
        return 0;
    be->upload(be, w->x, x_host, n * sizeof(int32_t));
    if (y_host)
        be->upload(be, w->y, y_host, n * sizeof(int32_t));
    model_forward(m, w, steps, y_host != NULL, pass, loss_dev);
    if (y_host && pass->grad_scale != 0 && w->train)
        model_backward(m, w, steps, pass);
    if (y_host && !pass->loss_out)
        be->download(be, &loss, loss_dev, sizeof loss);
    return loss;
}

/* (L, B, H) device <-> (B, L, H) host */
static void state_transpose(const model *m, const model_work *w, real *dev, real *host,
                            int to_host)
{
    size_t L = m->layout.layers, B = w->rows, H = m->layout.hidden;
    real *tmp = xmalloc(L * B * H * sizeof *tmp, "state copy");
    if (to_host)
        m->be->download(m->be, tmp, dev, L * B * H * sizeof *tmp);
    for (size_t l = 0; l < L; l++)
        for (size_t r = 0; r < B; r++) {
            real *a = tmp + (l * B + r) * H, *b = host + (r * L + l) * H;
            memcpy(to_host ? b : a, to_host ? a : b, H * sizeof *a);
        }
    if (!to_host)
        m->be->upload(m->be, dev, tmp, L * B * H * sizeof *tmp);
    free(tmp);
}

void model_state_export(const model *m, const model_work *w, real *h, real *c)
{
    state_transpose(m, w, w->state_h, h, 1);
    if (w->state_c && c)
        state_transpose(m, w, w->state_c, c, 1);
}

void model_state_import(const model *m, model_work *w, const real *h, const real *c)
{
    state_transpose(m, w, w->state_h, (real *)h, 0);
    if (w->state_c && c)
        state_transpose(m, w, w->state_c, (real *)c, 0);
}
