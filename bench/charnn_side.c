/* charnn_side.c — charnn's run of one layer in the onednn_rnn benchmark:
 * the model's calls (src/model.c) on backend_cpu(): the input projection
 * (GEMM, or embed for one-hot input), rnn_fwd, rnn_bwd and the input-side
 * gradients. */
#include "onednn_rnn.h"

#include <stdlib.h>
#include <string.h>


void charnn_init(charnn_run *r, const problem *p)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->be = backend_cpu();
    size_t T = p->T, B = p->B, H = p->H, gh = p->G * H;
    r->xg = falloc(T * B * gh);
    r->hs = falloc((T + 1) * B * H);
    r->cs = p->cell == CELL_LSTM ? falloc((T + 1) * B * H) : NULL;
    r->act = falloc(T * B * cell_act_width(p->cell) * H);
    r->work = falloc(r->be->rnn_work(r->be, p->cell, B, H));
    r->dxg = falloc(T * B * gh);
    r->dhg = p->cell == CELL_GRU ? falloc(T * B * gh) : r->dxg;
    result_alloc(&r->out, p);
}

static rnn_seq charnn_seq(const charnn_run *r)
{
    const problem *p = r->p;
    rnn_seq s = {.cell = p->cell, .steps = p->T, .rows = p->B, .hidden = p->H,
                 .w_hh = p->w_hh, .b_hh = p->b_hh, .xg = r->xg, .hs = r->hs, .cs = r->cs,
                 .act = r->act, .work = r->work};
    return s;
}

void charnn_fwd(charnn_run *r)
{
    const problem *p = r->p;
    const backend *be = r->be;
    size_t n = p->T * p->B, bh = p->B * p->H, gh = p->G * p->H;
    be->copy(be, r->hs, p->h0, bh * sizeof(float));
    if (r->cs)
        be->copy(be, r->cs, p->c0, bh * sizeof(float));
    be->fill_rows(be, r->xg, p->b_ih, n, gh);
    if (p->onehot)
        be->embed_fwd(be, r->xg, p->w_ih, p->idx, n, gh, p->C);
    else
        be->gemm(be, 0, 1, n, gh, p->C, 1, p->x, p->C, p->w_ih, p->C, 1, r->xg, gh);
    rnn_seq s = charnn_seq(r);
    be->rnn_fwd(be, &s);
}

void charnn_bwd(charnn_run *r)
{
    const problem *p = r->p;
    const backend *be = r->be;
    size_t n = p->T * p->B, gh = p->G * p->H;
    result *o = &r->out;
    /* the model zeroes all gradients once per step */
    be->zero(be, o->dw_ih, gh * p->C * sizeof(float));
    be->zero(be, o->dw_hh, gh * p->H * sizeof(float));
    be->zero(be, o->db_ih, gh * sizeof(float));
    be->zero(be, o->db_hh, gh * sizeof(float));
    rnn_seq s = charnn_seq(r);
    rnn_seq_grad g = {.dy = p->dy, .dxg = r->dxg, .dhg = r->dhg, .dw_hh = o->dw_hh,
                      .db_hh = o->db_hh, .db_ih = o->db_ih};
    be->rnn_bwd(be, &s, &g);
    if (p->onehot) {
        be->embed_bwd(be, o->dw_ih, r->dxg, p->idx, n, gh, p->C);
        return;
    }
    be->gemm(be, 1, 0, gh, p->C, n, 1, r->dxg, gh, p->x, p->C, 1, o->dw_ih, p->C);
    be->gemm(be, 0, 0, n, p->C, gh, 1, r->dxg, gh, p->w_ih, p->C, 0, o->dx, p->C);
}

void charnn_collect(charnn_run *r)
{
    const problem *p = r->p;
    memcpy(r->out.h, r->hs + p->B * p->H, p->T * p->B * p->H * sizeof(float));
}

void charnn_free(charnn_run *r)
{
    free(r->xg), free(r->hs), free(r->cs), free(r->act), free(r->work), free(r->dxg);
    if (r->dhg != r->dxg)
        free(r->dhg);
    result *o = &r->out;
    free(o->h), free(o->dx), free(o->dw_ih), free(o->dw_hh), free(o->db_ih), free(o->db_hh);
}
