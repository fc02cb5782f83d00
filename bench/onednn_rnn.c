/* onednn_rnn.c — one recurrent layer's training work (forward + backward over
 * a window) with oneDNN's RNN primitives against charnn's own CPU primitives
 * (backend_cpu(): the input-projection GEMM, rnn_fwd, rnn_bwd and the
 * input-side gradient GEMMs, as src/model.c calls them), on the same weights
 * and inputs. Prints one line per (cell, input width, threads, library) with
 * the best-of-R times and GFLOP/s, and the exactness checks: agreement of h
 * and the gradients, run-to-run bitwise equality, and bitwise equality across
 * the thread counts. See docs/onednn.md; driven by bench/onednn_vs_charnn.sh.
 *
 * Conventions (charnn's = PyTorch's, backend.h): W_ih (G*H, C), W_hh (G*H, H)
 * row-major, gates LSTM i,f,g,o, GRU r,z,n; separate b_ih and b_hh. oneDNN's:
 * weights (L, D, I, G, O); its user layout ldgoi is byte for byte PyTorch's
 * (gate, out, in) matrix; gates LSTM i,f,c~,o (the same), GRU u,r,o (PyTorch's
 * z,r,n: the first two swapped), one bias per gate (b_ih + b_hh) and for the
 * linear-before-reset GRU a fourth one, b_hn. The conversions each training
 * step would need with charnn's parameter layout (weights and biases in, the
 * weight gradients out) are timed separately ("layout" column).
 *
 * usage: onednn_rnn [--cells lstm,gru,rnn] [--inputs 512,65] [--threads 1,2]
 *                   [--check-threads 3,4] [--steps T] [--rows B] [--hidden H]
 *                   [--reps R]
 * --inputs: input widths C; a C other than H stands for the one-hot first
 * layer (charnn gathers columns of W_ih with embed_fwd/embed_bwd as it does
 * for layer 0; oneDNN multiplies the dense one-hot matrix); with both, the
 * two-layer stack is printed too. --check-threads: thread counts run (twice,
 * untimed) only for the bitwise comparisons. Build: the optional CMake
 * target onednn_rnn (bench/onednn.cmake). */
#include "backend.h"
#include "params.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CK(call)                                                                                   \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) {                                                                 \
            fprintf(stderr, "onednn_rnn: %s:%d: %s: %s\n", __FILE__, __LINE__, #call,              \
                    dnnl_status2str(st_));                                                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) {
        fprintf(stderr, "onednn_rnn: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n ? n : 64);
    return p;
}
static float *falloc(size_t n) { return xalloc(n * sizeof(float)); }

/* user + system CPU seconds of the process (all threads) */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* xorshift64*: a fixed stream of uniform floats in [-a, a) */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float urand(float a)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545f4914f6cdd1dull;
    return a * (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static void fill(float *p, size_t n, float a)
{
    for (size_t i = 0; i < n; i++)
        p[i] = urand(a);
}

/* ---- the problem: PyTorch-layout parameters and inputs ---- */
typedef struct {
    cell_kind cell;
    size_t T, B, H, C, G;
    int onehot;                /* C != H: one-hot input (charnn: embed) */
    float *x;                  /* (T, B, C) dense (one-hot rows when onehot) */
    int32_t *idx;              /* (T*B) the ids when onehot */
    float *h0, *c0;            /* (B, H) carried state */
    float *w_ih, *w_hh;        /* (G*H, C), (G*H, H) */
    float *b_ih, *b_hh;        /* (G*H) */
    float *dy;                 /* (T, B, H) gradient reaching h_1..h_T */
} problem;

/* what a window produces, in charnn's layout */
typedef struct {
    float *h;            /* (T, B, H) */
    float *dx;           /* (T, B, C), dense input only */
    float *dw_ih, *dw_hh; /* as w_ih, w_hh */
    float *db_ih, *db_hh;
} result;

static void problem_init(problem *p, cell_kind cell, size_t T, size_t B, size_t H, size_t C)
{
    memset(p, 0, sizeof *p);
    p->cell = cell;
    p->T = T, p->B = B, p->H = H, p->C = C;
    p->G = cell_gates(cell);
    p->onehot = C != H;
    size_t gh = p->G * H;
    rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)cell * 1000003u + C;
    float k = 1.0f / sqrtf((float)H); /* PyTorch's init range */
    p->w_ih = falloc(gh * C);
    p->w_hh = falloc(gh * H);
    p->b_ih = falloc(gh);
    p->b_hh = falloc(gh);
    fill(p->w_ih, gh * C, k);
    fill(p->w_hh, gh * H, k);
    fill(p->b_ih, gh, k);
    fill(p->b_hh, gh, k);
    p->x = falloc(T * B * C);
    if (p->onehot) {
        p->idx = xalloc(T * B * sizeof(int32_t));
        for (size_t i = 0; i < T * B; i++) {
            uint32_t v = (uint32_t)((urand(1.0f) + 1.0f) * 0.5f * (float)C) % (uint32_t)C;
            p->idx[i] = (int32_t)v;
            p->x[i * C + v] = 1.0f;
        }
    } else {
        fill(p->x, T * B * C, 1.0f); /* a layer below's h: in (-1, 1) */
    }
    p->h0 = falloc(B * H);
    p->c0 = falloc(B * H);
    fill(p->h0, B * H, 0.5f);
    fill(p->c0, B * H, 0.5f);
    p->dy = falloc(T * B * H);
    fill(p->dy, T * B * H, 0.01f);
}

static void result_alloc(result *r, const problem *p)
{
    size_t gh = p->G * p->H;
    r->h = falloc(p->T * p->B * p->H);
    r->dx = falloc(p->T * p->B * p->C);
    r->dw_ih = falloc(gh * p->C);
    r->dw_hh = falloc(gh * p->H);
    r->db_ih = falloc(gh);
    r->db_hh = falloc(gh);
}

/* ---- charnn: the model's calls for one layer (src/model.c) ---- */
typedef struct {
    const problem *p;
    const backend *be;
    float *xg, *hs, *cs, *act, *work, *dxg, *dhg;
    result out; /* dx, dw_*, db_* written in place; h read from hs */
} charnn_run;

static void charnn_init(charnn_run *r, const problem *p)
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

static void charnn_fwd(charnn_run *r)
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

static void charnn_bwd(charnn_run *r)
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

static void charnn_collect(charnn_run *r)
{
    const problem *p = r->p;
    memcpy(r->out.h, r->hs + p->B * p->H, p->T * p->B * p->H * sizeof(float));
}

static void charnn_free(charnn_run *r)
{
    free(r->xg), free(r->hs), free(r->cs), free(r->act), free(r->work), free(r->dxg);
    if (r->dhg != r->dxg)
        free(r->dhg);
    result *o = &r->out;
    free(o->h), free(o->dx), free(o->dw_ih), free(o->dw_hh), free(o->db_ih), free(o->db_hh);
}

/* ---- oneDNN ---- */
typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t from, to;
} reorder;

typedef struct {
    const problem *p;
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_desc_t fpd, bpd;
    dnnl_primitive_t fwd, bwd;
    size_t gb; /* bias gates: G, or 4 for the LBR GRU */
    /* user-layout buffers (ldgoi / ldgo, oneDNN's gate order) */
    float *wl_u, *wi_u, *b_u, *dwl_u, *dwi_u, *db_u;
    /* memories the primitives use */
    dnnl_memory_t src_layer, src_iter, src_iter_c, dst_layer, dst_iter, dst_iter_c, ws;
    dnnl_memory_t fwl, fwi, bias;          /* forward weights */
    dnnl_memory_t bwl, bwi;                /* backward's weights */
    dnnl_memory_t dsrc_layer, dsrc_iter, dsrc_iter_c, ddst_layer, ddst_iter, ddst_iter_c;
    dnnl_memory_t dwl, dwi, dbias;
    reorder r_fwl, r_fwi, r_bwl, r_bwi, r_dwl, r_dwi, r_db; /* prim NULL: same layout */
    const char *fimpl, *bimpl;
    char wfmt[256];
    result out;
} onednn_run;

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

static void onednn_init(onednn_run *o, const problem *p)
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
static void onednn_layout_in(onednn_run *o)
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
static void onednn_layout_out(onednn_run *o)
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

static void onednn_fwd(onednn_run *o)
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

static void onednn_bwd(onednn_run *o)
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

static void onednn_free(onednn_run *o)
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

/* ---- comparisons ---- */
/* max |a - b| / max |b| */
static double maxrel(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > d || isnan(e))
            d = isnan(e) ? INFINITY : e;
        if (fabs(b[i]) > m)
            m = fabs(b[i]);
    }
    return m > 0 ? d / m : d;
}

typedef struct {
    double h, dx, dw_ih, dw_hh, db;
} diffs;

static diffs compare(const result *a, const result *b, const problem *p)
{
    size_t gh = p->G * p->H;
    diffs d = {maxrel(a->h, b->h, p->T * p->B * p->H),
               p->onehot ? NAN : maxrel(a->dx, b->dx, p->T * p->B * p->C),
               maxrel(a->dw_ih, b->dw_ih, gh * p->C), maxrel(a->dw_hh, b->dw_hh, gh * p->H),
               fmax(maxrel(a->db_ih, b->db_ih, gh), maxrel(a->db_hh, b->db_hh, gh))};
    return d;
}

static int bitwise(const result *a, const result *b, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    return !memcmp(a->h, b->h, p->T * p->B * p->H * f) &&
           (p->onehot || !memcmp(a->dx, b->dx, p->T * p->B * p->C * f)) &&
           !memcmp(a->dw_ih, b->dw_ih, gh * p->C * f) && !memcmp(a->dw_hh, b->dw_hh, gh * p->H * f) &&
           !memcmp(a->db_ih, b->db_ih, gh * f) && !memcmp(a->db_hh, b->db_hh, gh * f);
}

/* FNV-1a over the bytes of a result: compares runs of separate processes */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t result_hash(const result *r, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, r->h, p->T * p->B * p->H * f);
    if (!p->onehot)
        h = fnv(h, r->dx, p->T * p->B * p->C * f);
    h = fnv(h, r->dw_ih, gh * p->C * f);
    h = fnv(h, r->dw_hh, gh * p->H * f);
    h = fnv(h, r->db_ih, gh * f);
    return fnv(h, r->db_hh, gh * f);
}

static void result_copy(result *dst, const result *src, const problem *p)
{
    size_t gh = p->G * p->H, f = sizeof(float);
    memcpy(dst->h, src->h, p->T * p->B * p->H * f);
    memcpy(dst->dx, src->dx, p->T * p->B * p->C * f);
    memcpy(dst->dw_ih, src->dw_ih, gh * p->C * f);
    memcpy(dst->dw_hh, src->dw_hh, gh * p->H * f);
    memcpy(dst->db_ih, src->db_ih, gh * f);
    memcpy(dst->db_hh, src->db_hh, gh * f);
}

static void result_free(result *r)
{
    free(r->h), free(r->dx), free(r->dw_ih), free(r->dw_hh), free(r->db_ih), free(r->db_hh);
}

/* ---- driver ---- */
typedef struct {
    double fwd, bwd, layout; /* seconds, of the best repetition */
    double cpu;              /* its CPU seconds (all threads) */
} timing;

static void keep_best(timing *best, timing t)
{
    if (best->fwd == 0 || t.fwd + t.bwd + t.layout < best->fwd + best->bwd + best->layout)
        *best = t;
}

/* forward 2*T*B*G*H*(C+H), backward twice that */
static double window_flops(const problem *p)
{
    return 3.0 * 2.0 * p->T * p->B * p->G * p->H * (double)(p->C + p->H);
}

/* one table row; the two-layer stack (C > H) is printed as C-H "+" H, and
 * its flops are those of its two layers */
static void print_row(const problem *p, int thr, const char *lib, timing t, double ref_ms)
{
    double flop = window_flops(p);
    if (p->C > p->H) {
        problem l1 = *p, l2 = *p;
        l1.C = p->C - p->H, l2.C = p->H;
        flop = window_flops(&l1) + window_flops(&l2);
    }
    double win = (t.fwd + t.bwd) * 1e3, all = win + t.layout * 1e3;
    char cw[48];
    if (p->C > p->H) /* the two-layer stack (main): C = C1 + H */
        snprintf(cw, sizeof cw, "%zu+%zu", p->C - p->H, p->H);
    else
        snprintf(cw, sizeof cw, "%zu", p->C);
    printf("%-4s %7s %3d  %-6s %8.1f %8.1f %9.1f %7.1f", cell_name(p->cell), cw, thr, lib,
           t.fwd * 1e3, t.bwd * 1e3, win, flop / (win * 1e-3) * 1e-9);
    if (t.layout > 0)
        printf(" %7.1f %9.1f %7.1f", t.layout * 1e3, all, flop / (all * 1e-3) * 1e-9);
    else
        printf(" %7s %9.1f %7.1f", "-", all, flop / (all * 1e-3) * 1e-9);
    printf(" %5.2f", t.cpu / (all * 1e-3));
    if (ref_ms > 0)
        printf("  %5.2fx", ref_ms / all);
    printf("\n");
    fflush(stdout);
}

static int parse_list(const char *s, size_t *out, int max)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save))
        if (strtoul(t, NULL, 10) > 0)
            out[n++] = strtoul(t, NULL, 10);
    free(copy);
    return n;
}

static void problem_free(problem *p)
{
    free(p->x), free(p->idx), free(p->h0), free(p->c0), free(p->w_ih), free(p->w_hh);
    free(p->b_ih), free(p->b_hh), free(p->dy);
}

#define MAXT 8
#define MAXC 4

/* One (cell, input width, thread count): `reps` timed repetitions of both
 * after a warm-up; *bc / *bo the best timings; rc / ro the first timed
 * repetition's results; *c_same / *o_same whether every repetition gave the
 * same bits; *note the implementation line (when not NULL). */
static void measure(const problem *p, int thr, int reps, timing *bc, timing *bo, result *rc,
                    result *ro, int *c_same, int *o_same, char *note, size_t note_len)
{
    backend_cpu_threads((size_t)thr); /* OpenBLAS's and OpenMP's (so oneDNN's) threads */
    charnn_run cr;
    onednn_run od;
    charnn_init(&cr, p);
    onednn_init(&od, p); /* after the thread count: oneDNN sizes its scratch by it */
    if (note)
        snprintf(note, note_len, "# %s: oneDNN fwd impl %s, bwd impl %s; %s", cell_name(p->cell),
                 od.fimpl, od.bimpl, od.wfmt);
    *bc = *bo = (timing){0};
    *c_same = *o_same = 1;
    for (int rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        double c0 = cpu_now(), t0 = now();
        charnn_fwd(&cr);
        double t1 = now();
        charnn_bwd(&cr);
        double t2 = now(), c1 = cpu_now();
        charnn_collect(&cr);
        if (rep == 0)
            result_copy(rc, &cr.out, p);
        else if (rep > 0)
            *c_same &= bitwise(rc, &cr.out, p);
        if (rep >= 0)
            keep_best(bc, (timing){t1 - t0, t2 - t1, 0, c1 - c0});

        c0 = cpu_now(), t0 = now();
        onednn_layout_in(&od);
        t1 = now();
        onednn_fwd(&od);
        t2 = now();
        onednn_bwd(&od);
        double t3 = now();
        onednn_layout_out(&od);
        double t4 = now();
        c1 = cpu_now();
        if (rep == 0)
            result_copy(ro, &od.out, p);
        else if (rep > 0)
            *o_same &= bitwise(ro, &od.out, p);
        if (rep >= 0)
            keep_best(bo, (timing){t2 - t1, t3 - t2, (t1 - t0) + (t4 - t3), c1 - c0});
    }
    charnn_free(&cr);
    onednn_free(&od);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: onednn_rnn [--cells lstm,gru,rnn] [--inputs 512,65] [--threads 1,2]\n"
               "                  [--check-threads 3,4] [--reps R] [--steps T] [--rows B]\n"
               "                  [--hidden H]\n");
}

int main(int argc, char **argv)
{
    const char *cells = "lstm,gru,rnn";
    size_t inputs[MAXC] = {512}, threads[MAXT] = {1, 2}, check[MAXT];
    int n_inputs = 1, n_threads = 2, n_check = 0, reps = 5;
    size_t T = 100, B = 100, H = 512;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "onednn_rnn: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--cells"))
            cells = v;
        else if (!strcmp(a, "--inputs"))
            n_inputs = parse_list(v, inputs, MAXC);
        else if (!strcmp(a, "--threads"))
            n_threads = parse_list(v, threads, MAXT);
        else if (!strcmp(a, "--check-threads"))
            n_check = parse_list(v, check, MAXT);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v);
        else if (!strcmp(a, "--steps"))
            T = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rows"))
            B = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hidden"))
            H = strtoul(v, NULL, 10);
        else {
            fprintf(stderr, "onednn_rnn: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (reps < 1 || !T || !B || !H || n_inputs < 1 || n_threads < 1) {
        fprintf(stderr, "onednn_rnn: bad arguments\n");
        return 2;
    }
    const dnnl_version_t *ver = dnnl_version();
    printf("# oneDNN %d.%d.%d, CPU runtime %s, ISA %s; OMP_WAIT_POLICY=%s\n", ver->major,
           ver->minor, ver->patch, dnnl_runtime2str(ver->cpu_runtime),
           dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()),
           getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "(unset)");
    printf("# one layer, T=%zu steps, B=%zu rows, H=%zu; forward + backward (data and weight "
           "gradients); best of %d after a warm-up\n",
           T, B, H, reps);
    printf("# GFLOP/s: 3 x 2*T*B*G*H*(C+H) flops (C=65: nominal, charnn gathers instead of a "
           "GEMM); layout: oneDNN's conversions from/to charnn's layout (weights in, "
           "gradients out); cores: CPU time / wall time; speedup: charnn window / oneDNN "
           "total (> 1: oneDNN faster); C=65+512: the notebook's two-layer stack, the sum of "
           "its two layers' rows\n");
    printf("%-4s %7s %3s  %-6s %8s %8s %9s %7s %7s %9s %7s %5s  %s\n", "cell", "C", "thr", "lib",
           "fwd_ms", "bwd_ms", "window_ms", "GFLOP/s", "layout", "total_ms", "GFLOP/s", "cores",
           "speedup");

    char *cl = strdup(cells), *save = NULL;
    char notes[96][512];
    int n_notes = 0;
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (n_notes < 96)                                                                          \
            snprintf(notes[n_notes++], sizeof notes[0], __VA_ARGS__);                              \
    } while (0)
    for (char *cn = strtok_r(cl, ",", &save); cn; cn = strtok_r(NULL, ",", &save)) {
        cell_kind ck;
        if (cell_parse(cn, &ck) != 0) {
            fprintf(stderr, "onednn_rnn: unknown cell '%s'\n", cn);
            return 2;
        }
        timing best_c[MAXC][MAXT], best_o[MAXC][MAXT];
        for (int ii = 0; ii < n_inputs; ii++) {
            problem p;
            problem_init(&p, ck, T, B, H, inputs[ii]);
            result first_c, first_o; /* the results at the first thread count */
            result_alloc(&first_c, &p);
            result_alloc(&first_o, &p);
            char across[512] = "", hashes[512] = "";
            size_t an = 0, an_h = 0;
            diffs worst = {0, 0, 0, 0, 0};
            int c_rerun = 1, o_rerun = 1;
            for (int ti = 0; ti < n_threads + n_check; ti++) {
                int timed = ti < n_threads;
                int thr = (int)(timed ? threads[ti] : check[ti - n_threads]);
                timing bc, bo;
                result rc, ro;
                result_alloc(&rc, &p);
                result_alloc(&ro, &p);
                int c_same, o_same;
                char impl[512];
                measure(&p, thr, timed ? reps : 2, &bc, &bo, &rc, &ro, &c_same, &o_same,
                        impl, sizeof impl);
                if (ti == 0 && ii == 0)
                    NOTE("%s", impl);
                if (timed) {
                    best_c[ii][ti] = bc;
                    best_o[ii][ti] = bo;
                    print_row(&p, thr, "charnn", bc, 0);
                    print_row(&p, thr, "onednn", bo, (bc.fwd + bc.bwd) * 1e3);
                }
                diffs d = compare(&ro, &rc, &p);
                worst.h = fmax(worst.h, d.h), worst.dx = fmax(worst.dx, d.dx);
                worst.dw_ih = fmax(worst.dw_ih, d.dw_ih), worst.dw_hh = fmax(worst.dw_hh, d.dw_hh);
                worst.db = fmax(worst.db, d.db);
                c_rerun &= c_same, o_rerun &= o_same;
                if (an_h < sizeof hashes)
                    an_h += (size_t)snprintf(hashes + an_h, sizeof hashes - an_h,
                                             " %d: %016llx %016llx;", thr,
                                             (unsigned long long)result_hash(&rc, &p),
                                             (unsigned long long)result_hash(&ro, &p));
                if (ti == 0) {
                    result_copy(&first_c, &rc, &p);
                    result_copy(&first_o, &ro, &p);
                } else if (an < sizeof across) {
                    an += (size_t)snprintf(across + an, sizeof across - an, " %d: charnn %s, oneDNN %s;",
                                           thr, bitwise(&first_c, &rc, &p) ? "same" : "differs",
                                           bitwise(&first_o, &ro, &p) ? "same" : "differs");
                }
                result_free(&rc);
                result_free(&ro);
            }
            char dx[32] = "n/a (one-hot input)";
            if (!p.onehot)
                snprintf(dx, sizeof dx, "%.1e", worst.dx);
            NOTE("# %s C=%zu: oneDNN vs charnn, max|diff|/max|charnn| (worst over the thread "
                 "counts): h %.1e, dx %s, dW_ih %.1e, dW_hh %.1e, db %.1e",
                 cn, p.C, worst.h, dx, worst.dw_ih, worst.dw_hh, worst.db);
            NOTE("# %s C=%zu: run-to-run bitwise at every thread count: charnn %s, oneDNN %s%s%s",
                 cn, p.C, c_rerun ? "yes" : "NO", o_rerun ? "yes" : "NO",
                 n_threads + n_check > 1 ? "; against 1st thread count, at" : "", across);
            NOTE("# %s C=%zu: FNV-1a of the results (charnn, oneDNN) at thread count%s", cn, p.C,
                 hashes);
            result_free(&first_c);
            result_free(&first_o);
            problem_free(&p);
        }
        /* the notebook's two-layer stack: the one-hot layer + the H-wide one */
        int i65 = -1, iH = -1;
        for (int ii = 0; ii < n_inputs; ii++) {
            if (inputs[ii] == H)
                iH = ii;
            else if (i65 < 0)
                i65 = ii;
        }
        if (i65 >= 0 && iH >= 0)
            for (int ti = 0; ti < n_threads; ti++) {
                timing a = best_c[i65][ti], b = best_c[iH][ti], c = best_o[i65][ti],
                       e = best_o[iH][ti];
                timing sc = {a.fwd + b.fwd, a.bwd + b.bwd, 0, a.cpu + b.cpu};
                timing so = {c.fwd + e.fwd, c.bwd + e.bwd, c.layout + e.layout, c.cpu + e.cpu};
                problem st = {.cell = ck, .T = T, .B = B, .H = H, .G = cell_gates(ck),
                              .C = inputs[i65] + inputs[iH]}; /* flops add up so */
                print_row(&st, (int)threads[ti], "charnn", sc, 0);
                print_row(&st, (int)threads[ti], "onednn", so, (sc.fwd + sc.bwd) * 1e3);
            }
    }
    free(cl);
    for (int i = 0; i < n_notes; i++)
        printf("%s\n", notes[i]);
    return 0;
}
