/* onednn_rnn.h — what the parts of the onednn_rnn benchmark share
 * (bench/onednn_rnn.c, rnn_problem.c, charnn_side.c, onednn_side.c): the
 * problem, a window's results, and each library's run of one layer. */
#ifndef CHARNN_BENCH_ONEDNN_RNN_H
#define CHARNN_BENCH_ONEDNN_RNN_H

#include "backend.h"
#include "params.h"

#include <oneapi/dnnl/dnnl.h>

#include <stddef.h>
#include <stdint.h>

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

/* agreement of two results, max|a-b|/max|b| per quantity (dx NAN when one-hot) */
typedef struct {
    double h, dx, dw_ih, dw_hh, db;
} diffs;

/* 64-byte aligned, zeroed n floats; exits on failure */
float *falloc(size_t n);
/* fills *p for (cell, T, B, H, C) from a fixed seed: the same numbers every run */
void problem_init(problem *p, cell_kind cell, size_t T, size_t B, size_t H, size_t C);
/* frees what problem_init allocated */
void problem_free(problem *p);
/* allocates r's buffers (zeroed) for p's sizes */
void result_alloc(result *r, const problem *p);
/* copies every buffer of src into dst (both allocated for p) */
void result_copy(result *dst, const result *src, const problem *p);
/* frees what result_alloc allocated */
void result_free(result *r);
/* a's deviation from b, relative to b's largest magnitude, per quantity */
diffs compare(const result *a, const result *b, const problem *p);
/* 1 when a and b hold the same bits (dx skipped for one-hot input) */
int bitwise(const result *a, const result *b, const problem *p);
/* FNV-1a over the result's bytes: compares runs of separate processes */
uint64_t result_hash(const result *r, const problem *p);

/* ---- charnn: the model's calls for one layer (src/model.c) ---- */
typedef struct {
    const problem *p;
    const backend *be;
    float *xg, *hs, *cs, *act, *work, *dxg, *dhg;
    result out; /* dx, dw_*, db_* written in place; h read from hs */
} charnn_run;

/* allocates the buffers for p's window on backend_cpu() */
void charnn_init(charnn_run *r, const problem *p);
/* the forward pass: input projection (GEMM or embed) + rnn_fwd */
void charnn_fwd(charnn_run *r);
/* the backward pass after charnn_fwd: rnn_bwd + the input-side gradients, into r->out */
void charnn_bwd(charnn_run *r);
/* copies h_1..h_T into r->out.h */
void charnn_collect(charnn_run *r);
/* frees what charnn_init allocated */
void charnn_free(charnn_run *r);

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

/* creates the engine, primitives, memories and reorders for p (after the thread count is set) */
void onednn_init(onednn_run *o, const problem *p);
/* converts charnn's parameters into oneDNN's gate order and the primitives' layouts */
void onednn_layout_in(onednn_run *o);
/* converts the weight gradients back into charnn's layout, into o->out */
void onednn_layout_out(onednn_run *o);
/* the forward primitive; h into o->out.h */
void onednn_fwd(onednn_run *o);
/* the backward primitive after onednn_fwd (weight gradients zeroed first); dx into o->out.dx */
void onednn_bwd(onednn_run *o);
/* frees what onednn_init created */
void onednn_free(onednn_run *o);

#endif

