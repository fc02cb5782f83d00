/* onednn_side.c — oneDNN's run of one layer in the onednn_rnn benchmark: the
 * RNN primitives (LSTM, linear-before-reset GRU, vanilla RNN), their memories,
 * the reorders between charnn's layout and the primitives', forward and
 * backward.
 *
 * Conventions (charnn's = PyTorch's, backend.h): W_ih (G*H, C), W_hh (G*H, H)
 * row-major, gates LSTM i,f,g,o, GRU r,z,n; separate b_ih and b_hh. oneDNN's:
 * weights (L, D, I, G, O); its user layout ldgoi is byte for byte PyTorch's
 * (gate, out, in) matrix; gates LSTM i,f,c~,o (the same), GRU u,r,o (PyTorch's
 * z,r,n: the first two swapped), one bias per gate (b_ih + b_hh) and for the
 * linear-before-reset GRU a fourth one, b_hn. The conversions each training
 * step would need with charnn's parameter layout (weights and biases in, the
 * weight gradients out) are timed separately ("layout" column). */
#include "onednn_rnn.h"

#include <oneapi/dnnl/dnnl_debug.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK(call)                                                                                   \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) {                                                                 \
            fprintf(stderr, "onednn_rnn: %s:%d: %s: %s\n", __FILE__, __LINE__, #call,              \
                    dnnl_status2str(st_));                                                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    CK(dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag));
}

static dnnl_memory_t mem(dnnl_engine_t e, const dnnl_memory_desc_t *md, void *ptr)
{
    dnnl_memory_t m;
    CK(dnnl_memory_create(&m, md, e, ptr ? ptr : DNNL_MEMORY_ALLOCATE));
    return m;
}

static const dnnl_memory_desc_t *arg_md(const_dnnl_primitive_desc_t pd, int arg)
{
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}

/* the same plain layout: dense, unblocked, the same strides for every dim
 * longer than 1 (a primitive's descriptor may put other strides on the
 * dims of length 1, so dnnl_memory_desc_equal says no) */
static int same_layout(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b)
{
    if (a->ndims != b->ndims || a->data_type != b->data_type ||
        a->format_kind != dnnl_blocked || b->format_kind != dnnl_blocked || a->offset0 ||
        b->offset0 || a->extra.flags || b->extra.flags ||
        a->format_desc.blocking.inner_nblks || b->format_desc.blocking.inner_nblks)
        return 0;
    for (int i = 0; i < a->ndims; i++)
        if (a->dims[i] != b->dims[i] || a->padded_dims[i] != a->dims[i] ||
            b->padded_dims[i] != b->dims[i] ||
            (a->dims[i] > 1 &&
             a->format_desc.blocking.strides[i] != b->format_desc.blocking.strides[i]))
            return 0;
    return 1;
}

/* a reorder between the user layout and the primitive's layout `prim_md`:
 * from_ptr given: user -> primitive (weights in); else primitive -> user
 * buffer to_ptr (gradients out). *out is the memory the primitive takes; it
 * wraps the user buffer when the layouts are the same (no reorder) */
static void reorder_make(onednn_run *o, reorder *r, const dnnl_memory_desc_t *from_md,
                         void *from_ptr, const dnnl_memory_desc_t *to_md, void *to_ptr,
                         dnnl_memory_t *out)
{
    memset(r, 0, sizeof *r);
    if (same_layout(from_md, to_md)) {
        *out = from_ptr ? mem(o->eng, to_md, from_ptr) : mem(o->eng, from_md, to_ptr);
        return;
    }
    dnnl_primitive_desc_t pd;
    CK(dnnl_reorder_primitive_desc_create(&pd, from_md, o->eng, to_md, o->eng, NULL));
    CK(dnnl_primitive_create(&r->prim, pd));
    CK(dnnl_primitive_desc_destroy(pd));
    r->from = mem(o->eng, from_md, from_ptr);
    r->to = mem(o->eng, to_md, to_ptr);
    *out = from_ptr ? r->to : r->from;
}

static void reorder_run(onednn_run *o, reorder *r)
{
    if (!r->prim)
        return;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, r->from}, {DNNL_ARG_TO, r->to}};
    CK(dnnl_primitive_execute(r->prim, o->strm, 2, a));
}

/* a 5-d weights layout in words: "ld" and i, g, o by decreasing stride
 * (ldigo, ldgoi), with the outermost stride when it is padded; buf[32] */
static const char *format_name(const dnnl_memory_desc_t *md, char *buf)
{
    if (md->format_kind != dnnl_blocked || md->format_desc.blocking.inner_nblks) {
        snprintf(buf, 32, md->format_kind == dnnl_format_kind_rnn_packed ? "packed" : "blocked");
        return buf;
    }
    const dnnl_dim_t *st = md->format_desc.blocking.strides;
    int ord[3] = {2, 3, 4};
    for (int i = 0; i < 3; i++) /* sort by stride, largest first */
        for (int j = i + 1; j < 3; j++)
            if (st[ord[j]] > st[ord[i]]) {
                int t = ord[i];
                ord[i] = ord[j];
                ord[j] = t;
            }
    dnnl_dim_t dense = md->dims[ord[1]] * md->dims[ord[2]];
    int n = snprintf(buf, 32, "ld%c%c%c", "..igo"[ord[0]], "..igo"[ord[1]], "..igo"[ord[2]]);
    if (st[ord[0]] != dense || st[ord[1]] != md->dims[ord[2]] || st[ord[2]] != 1)
        snprintf(buf + n, 32 - (size_t)n, "(strides %ld,%ld,%ld)", (long)st[ord[0]],
                 (long)st[ord[1]], (long)st[ord[2]]);
    return buf;
}

/* oneDNN gate g takes charnn gate perm(g): GRU swaps the first two */
static size_t gate_perm(cell_kind c, size_t g) { return c == CELL_GRU && g < 2 ? 1 - g : g; }

void onednn_init(onednn_run *o, const problem *p)
{
    memset(o, 0, sizeof *o);
    o->p = p;
    CK(dnnl_engine_create(&o->eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&o->strm, o->eng, dnnl_stream_default_flags));
    int64_t T = (int64_t)p->T, N = (int64_t)p->B, H = (int64_t)p->H, C = (int64_t)p->C,
            G = (int64_t)p->G;
    o->gb = p->cell == CELL_GRU ? 4 : p->G;
    dnnl_memory_desc_t src_l, iter, wl, wi, wl_any, wi_any, b, dst_l, dwl_any, dwi_any, db_any;
    dnnl_dims_t d_src = {T, N, C}, d_dst = {T, N, H}, d_iter = {1, 1, N, H},
                d_wl = {1, 1, C, G, H}, d_wi = {1, 1, H, G, H}, d_b = {1, 1, (int64_t)o->gb, H};
    md_tag(&src_l, 3, d_src, dnnl_tnc);
    md_tag(&dst_l, 3, d_dst, dnnl_tnc);
    md_tag(&iter, 4, d_iter, dnnl_ldnc);
    md_tag(&wl, 5, d_wl, dnnl_ldgoi);
    md_tag(&wi, 5, d_wi, dnnl_ldgoi);
    md_tag(&wl_any, 5, d_wl, dnnl_format_tag_any);
    md_tag(&wi_any, 5, d_wi, dnnl_format_tag_any);
    md_tag(&dwl_any, 5, d_wl, dnnl_format_tag_any);
    md_tag(&dwi_any, 5, d_wi, dnnl_format_tag_any);
    md_tag(&b, 4, d_b, dnnl_ldgo);
    md_tag(&db_any, 4, d_b, dnnl_format_tag_any);

    dnnl_rnn_desc_t fd, bd;
    dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    dnnl_prop_kind_t tr = dnnl_forward_training;
    if (p->cell == CELL_LSTM) {
        CK(dnnl_lstm_forward_desc_init(&fd, tr, dir, &src_l, &iter, &iter, &wl_any, &wi_any, &b,
                                       &dst_l, &iter, &iter, 0));
        CK(dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dir, &src_l, &iter, &iter, &wl_any,
                                        &wi_any, &b, &dst_l, &iter, &iter, &src_l, &iter, &iter,
                                        &dwl_any, &dwi_any, &db_any, &dst_l, &iter, &iter, 0));
    } else if (p->cell == CELL_GRU) {
        CK(dnnl_lbr_gru_forward_desc_init(&fd, tr, dir, &src_l, &iter, &wl_any, &wi_any, &b,
                                          &dst_l, &iter, 0));
        CK(dnnl_lbr_gru_backward_desc_init(&bd, dnnl_backward, dir, &src_l, &iter, &wl_any,
                                           &wi_any, &b, &dst_l, &iter, &src_l, &iter, &dwl_any,
                                           &dwi_any, &db_any, &dst_l, &iter, 0));
    } else {
        CK(dnnl_vanilla_rnn_forward_desc_init(&fd, tr, dnnl_eltwise_tanh, dir, &src_l, &iter,
                                              &wl_any, &wi_any, &b, &dst_l, &iter, 0, 0, 0));
        CK(dnnl_vanilla_rnn_backward_desc_init(
            &bd, dnnl_backward, dnnl_eltwise_tanh, dir, &src_l, &iter, &wl_any, &wi_any, &b,
            &dst_l, &iter, &src_l, &iter, &dwl_any, &dwi_any, &db_any, &dst_l, &iter, 0, 0, 0));
    }
    CK(dnnl_primitive_desc_create(&o->fpd, &fd, NULL, o->eng, NULL));
    CK(dnnl_primitive_desc_create(&o->bpd, &bd, NULL, o->eng, o->fpd));
    CK(dnnl_primitive_create(&o->fwd, o->fpd));
    CK(dnnl_primitive_create(&o->bwd, o->bpd));
    CK(dnnl_primitive_desc_query(o->fpd, dnnl_query_impl_info_str, 0, &o->fimpl));
    CK(dnnl_primitive_desc_query(o->bpd, dnnl_query_impl_info_str, 0, &o->bimpl));
    char f[6][32];
    snprintf(o->wfmt, sizeof o->wfmt, "weights fwd %s / %s, bwd %s / %s, gradients %s / %s",
             format_name(arg_md(o->fpd, DNNL_ARG_WEIGHTS_LAYER), f[0]),
             format_name(arg_md(o->fpd, DNNL_ARG_WEIGHTS_ITER), f[1]),
             format_name(arg_md(o->bpd, DNNL_ARG_WEIGHTS_LAYER), f[2]),
             format_name(arg_md(o->bpd, DNNL_ARG_WEIGHTS_ITER), f[3]),
             format_name(arg_md(o->bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), f[4]),
             format_name(arg_md(o->bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), f[5]));
    result_alloc(&o->out, p);
    size_t gh = p->G * p->H;
    o->wl_u = falloc(gh * p->C);
    o->wi_u = falloc(gh * p->H);
    o->b_u = falloc(o->gb * p->H);
    o->dwl_u = falloc(gh * p->C);
    o->dwi_u = falloc(gh * p->H);
    o->db_u = falloc(o->gb * p->H);
    o->src_layer = mem(o->eng, &src_l, p->x);
    o->src_iter = mem(o->eng, &iter, p->h0);
    o->src_iter_c = mem(o->eng, &iter, p->c0);
    o->dst_layer = mem(o->eng, &dst_l, o->out.h);
    o->dst_iter = mem(o->eng, &iter, NULL);
    o->dst_iter_c = mem(o->eng, &iter, NULL);
    o->ws = mem(o->eng, arg_md(o->fpd, DNNL_ARG_WORKSPACE), NULL);
    o->bias = mem(o->eng, &b, o->b_u);
    reorder_make(o, &o->r_fwl, &wl, o->wl_u, arg_md(o->fpd, DNNL_ARG_WEIGHTS_LAYER), NULL, &o->fwl);
    reorder_make(o, &o->r_fwi, &wi, o->wi_u, arg_md(o->fpd, DNNL_ARG_WEIGHTS_ITER), NULL, &o->fwi);
    reorder_make(o, &o->r_bwl, &wl, o->wl_u, arg_md(o->bpd, DNNL_ARG_WEIGHTS_LAYER), NULL, &o->bwl);
    reorder_make(o, &o->r_bwi, &wi, o->wi_u, arg_md(o->bpd, DNNL_ARG_WEIGHTS_ITER), NULL, &o->bwi);
    /* gradients: the primitive's layout into the user buffers */
    reorder_make(o, &o->r_dwl, arg_md(o->bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), NULL, &wl, o->dwl_u,
                 &o->dwl);
    reorder_make(o, &o->r_dwi, arg_md(o->bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), NULL, &wi, o->dwi_u,
                 &o->dwi);
    reorder_make(o, &o->r_db, arg_md(o->bpd, DNNL_ARG_DIFF_BIAS), NULL, &b, o->db_u, &o->dbias);
    o->dsrc_layer = mem(o->eng, &src_l, o->out.dx);
    o->dsrc_iter = mem(o->eng, &iter, NULL);
    o->dsrc_iter_c = mem(o->eng, &iter, NULL);
    o->ddst_layer = mem(o->eng, &dst_l, p->dy);
    o->ddst_iter = mem(o->eng, &iter, NULL);   /* zero: the carried state's gradient */
    o->ddst_iter_c = mem(o->eng, &iter, NULL); /* is dropped (truncated BPTT) */
    void *z;
    CK(dnnl_memory_get_data_handle(o->ddst_iter, &z));
    memset(z, 0, p->B * p->H * sizeof(float));
    CK(dnnl_memory_get_data_handle(o->ddst_iter_c, &z));
    memset(z, 0, p->B * p->H * sizeof(float));
}

/* charnn's parameters -> oneDNN's user layout and the primitives' layouts */
void onednn_layout_in(onednn_run *o)
{
    const problem *p = o->p;
    size_t H = p->H, C = p->C;
    for (size_t g = 0; g < p->G; g++) {
        size_t s = gate_perm(p->cell, g);
        if (p->cell == CELL_GRU) { /* else the same bytes: could be aliased */
            memcpy(o->wl_u + g * H * C, p->w_ih + s * H * C, H * C * sizeof(float));
            memcpy(o->wi_u + g * H * H, p->w_hh + s * H * H, H * H * sizeof(float));
        } else if (g == 0) {
            memcpy(o->wl_u, p->w_ih, p->G * H * C * sizeof(float));
            memcpy(o->wi_u, p->w_hh, p->G * H * H * sizeof(float));
        }
        for (size_t u = 0; u < H; u++) {
            float bi = p->b_ih[s * H + u], bh = p->b_hh[s * H + u];
            o->b_u[g * H + u] = p->cell == CELL_GRU && g == 2 ? bi : bi + bh;
        }
    }
    if (p->cell == CELL_GRU)
        memcpy(o->b_u + 3 * H, p->b_hh + 2 * H, H * sizeof(float));
    reorder_run(o, &o->r_fwl);
    reorder_run(o, &o->r_fwi);
    reorder_run(o, &o->r_bwl);
    reorder_run(o, &o->r_bwi);
    CK(dnnl_stream_wait(o->strm));
}

/* the gradients back into charnn's layout */
void onednn_layout_out(onednn_run *o)
{
    const problem *p = o->p;
    size_t H = p->H, C = p->C;
    result *r = &o->out;
    reorder_run(o, &o->r_dwl);
    reorder_run(o, &o->r_dwi);
    reorder_run(o, &o->r_db);
    CK(dnnl_stream_wait(o->strm));
    for (size_t g = 0; g < p->G; g++) {
        size_t s = gate_perm(p->cell, g);
        memcpy(r->dw_ih + s * H * C, o->dwl_u + g * H * C, H * C * sizeof(float));
        memcpy(r->dw_hh + s * H * H, o->dwi_u + g * H * H, H * H * sizeof(float));
        memcpy(r->db_ih + s * H, o->db_u + g * H, H * sizeof(float));
        memcpy(r->db_hh + s * H, o->db_u + (p->cell == CELL_GRU && g == 2 ? 3 : g) * H,
               H * sizeof(float));
    }
}

void onednn_fwd(onednn_run *o)
{
    dnnl_exec_arg_t a[12];
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, o->src_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, o->src_iter};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, o->fwl};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, o->fwi};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, o->bias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, o->dst_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, o->dst_iter};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, o->ws};
    if (o->p->cell == CELL_LSTM) {
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, o->src_iter_c};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, o->dst_iter_c};
    }
    CK(dnnl_primitive_execute(o->fwd, o->strm, n, a));
    CK(dnnl_stream_wait(o->strm));
}

static void zero_mem(dnnl_memory_t m)
{
    void *ptr;
    const dnnl_memory_desc_t *md;
    CK(dnnl_memory_get_data_handle(m, &ptr));
    CK(dnnl_memory_get_memory_desc(m, &md));
    memset(ptr, 0, dnnl_memory_desc_get_size(md));
}

void onednn_bwd(onednn_run *o)
{
    /* oneDNN adds to the weight gradients: zero them, as the model does */
    zero_mem(o->dwl);
    zero_mem(o->dwi);
    zero_mem(o->dbias);
    dnnl_exec_arg_t a[24];
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, o->src_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, o->src_iter};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, o->bwl};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, o->bwi};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, o->bias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, o->dst_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, o->dst_iter};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, o->ws};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_LAYER, o->dsrc_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER, o->dsrc_iter};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_LAYER, o->dwl};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_ITER, o->dwi};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, o->dbias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_LAYER, o->ddst_layer};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER, o->ddst_iter};
    if (o->p->cell == CELL_LSTM) {
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, o->src_iter_c};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, o->dst_iter_c};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, o->dsrc_iter_c};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER_C, o->ddst_iter_c};
    }
    CK(dnnl_primitive_execute(o->bwd, o->strm, n, a));
    CK(dnnl_stream_wait(o->strm));
}

void onednn_free(onednn_run *o)
{
    dnnl_memory_t ms[] = {o->src_layer, o->src_iter, o->src_iter_c, o->dst_layer, o->dst_iter,
                          o->dst_iter_c, o->ws, o->bias, o->dsrc_layer, o->dsrc_iter,
                          o->dsrc_iter_c, o->ddst_layer, o->ddst_iter, o->ddst_iter_c};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
        dnnl_memory_destroy(ms[i]);
    reorder *rs[] = {&o->r_fwl, &o->r_fwi, &o->r_bwl, &o->r_bwi, &o->r_dwl, &o->r_dwi, &o->r_db};
    dnnl_memory_t alone[] = {o->fwl, o->fwi, o->bwl, o->bwi, o->dwl, o->dwi, o->dbias};
    for (size_t i = 0; i < 7; i++) {
        if (rs[i]->prim) {
            dnnl_primitive_destroy(rs[i]->prim);
            dnnl_memory_destroy(rs[i]->from);
            dnnl_memory_destroy(rs[i]->to);
        } else {
            dnnl_memory_destroy(alone[i]);
        }
    }
    dnnl_primitive_destroy(o->fwd);
    dnnl_primitive_destroy(o->bwd);
    dnnl_primitive_desc_destroy(o->fpd);
    dnnl_primitive_desc_destroy(o->bpd);
    dnnl_stream_destroy(o->strm);
    dnnl_engine_destroy(o->eng);
    free(o->wl_u), free(o->wi_u), free(o->b_u), free(o->dwl_u), free(o->dwi_u), free(o->db_u);
    result *r = &o->out;
    free(r->h), free(r->dx), free(r->dw_ih), free(r->dw_hh), free(r->db_ih), free(r->db_hh);
}
