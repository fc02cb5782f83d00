/* trainer.c — the training run (see trainer.h). Setup errors are agreed on
 * collectively, so every rank exits cleanly and one line is printed. */
#include "trainer.h"

#include "backend.h"
#include "checkpoint.h"
#include "corpus.h"
#include "corpus_h5.h"
#include "crc64.h"
#include "device_agree.h"
#include "error.h"
#include "fault.h"
#include "host_buffer.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "osutil.h"
#include "profile.h"
#include "resume.h"
#include "shard.h"
#include "stop.h"
#ifdef CHARNN_WITH_CUDA
#include "backend_cuda.h"
#endif
#ifdef CHARNN_WITH_NCCL
#include "comm_nccl.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    shard_layout lay;      /* global rows of this split */
    uint32_t *ids;         /* text: the ids of this rank's rows, from row `first` on */
    corpus_h5_rows rd;     /* CORPUS.h5: this rank's rows, a block of windows at a time */
    size_t first, count;   /* this rank's rows */
    int32_t *x, *y;        /* (seq, count) host window */
    model_work w;
} split;

typedef struct {
    train_options *o;
    const comm_info *comm;
    const backend *be;
    char ckpt_path[OPT_PATH_MAX + 64]; /* resumed from / last written */
    checkpoint ck;                     /* the resumed checkpoint (until loaded) */
    int resumed;
    int nccl;                          /* gradients summed over NCCL on the GPUs */
    host_buffer staging;               /* GPU ranks without NCCL: the gradient on the host */
    corpus text;           /* the vocabulary; ids only until layout_splits */
    corpus_h5 h5;          /* --data is a CORPUS.h5 (is_h5) */
    int is_h5;
    split train, val;
    int has_val;
    model m;
    optim opt;
    uint64_t step, total;
    uint64_t bad_in_row;               /* non-finite steps in a row, skipped */
    double loss, grad_norm, val_loss;
    metrics mt;
    profile prof;                      /* --profile: this log interval's phase times */
    double t_start, t_log, t_saved, chars_log;
    uint64_t step_start;               /* the step this invocation started from */
    double t_begin;                    /* the process's start: --max-minutes counts from it */
    double t_eval;                     /* seconds the last validation pass took (0: none yet) */
} trainer;

static void options_table(trainer *tr, opt_table *t, unsigned char *set)
{
    train_opts_table(t, tr->o, set);
}

/* --resume: the first good candidate, its options merged (resume.h). */
static int load_resume(trainer *tr, unsigned char *set)
{
    char **paths;
    size_t n;
    if (!tr->o->resume[0])
        return 0;
    if (checkpoint_candidates(tr->o->resume, tr->o->out, &paths, &n) != 0)
        return -1;
    int rc = resume_read_first_good(paths, n, tr->o->out, tr->comm->rank, &tr->ck, tr->ckpt_path,
                                    sizeof tr->ckpt_path);
    checkpoint_candidates_free(paths, n);
    if (rc <= 0)
        return rc;
    tr->resumed = 1;
    opt_table t;
    options_table(tr, &t, set);
    return resume_merge_options(&t, tr->o, &tr->ck, tr->ckpt_path);
}

/* This rank's rows of split s, which starts at id `base` of the text: from
 * a CORPUS.h5, read a block of windows at a time (the first block now, so
 * that a bad file fails the setup on every rank); from a text, a copy of
 * the ids [first*stride, (first+count)*stride] of the split (the whole text
 * is freed after the setup), so a rank's memory grows with its own rows. */
static int split_data(trainer *tr, split *s, int val, size_t base)
{
    shard_rows(s->lay.rows, tr->comm->size, tr->comm->rank, &s->first, &s->count);
    if (tr->is_h5) {
        corpus_h5_rows_init(&s->rd, &tr->h5, val, &s->lay, s->first, s->count);
        size_t n = s->count * s->lay.seq;
        int32_t *x = xmalloc(n * sizeof *x, "input window");
        int32_t *y = xmalloc(n * sizeof *y, "target window");
        int rc = corpus_h5_rows_window(&s->rd, 0, x, y);
        free(x);
        free(y);
        return rc;
    }
    size_t len = s->count ? s->count * s->lay.stride + 1 : 0;
    s->ids = xmalloc(len * sizeof *s->ids, "this rank's ids");
    memcpy(s->ids, tr->text.ids + base + s->first * s->lay.stride, len * sizeof *s->ids);
    return 0;
}

/* Window `window` of this rank's rows into s->x, s->y. A CORPUS.h5 that
 * cannot be read any more (it was readable at setup) ends every rank. */
static void split_window(split *s, size_t window)
{
    if (s->ids) {
        shard_window(&s->lay, s->ids, 0, s->count, window, s->x, s->y);
        return;
    }
    if (corpus_h5_rows_window(&s->rd, window, s->x, s->y) != 0) {
        error_print();
        comm_abort(TRAIN_EXIT_ERROR);
    }
}

static int layout_splits(trainer *tr)
{
    const train_options *o = tr->o;
    size_t n = tr->text.n;
    size_t n_val = tr->is_h5 ? (size_t)tr->h5.n_val : (size_t)floor((double)n * o->val_frac);
    char what[OPT_PATH_MAX + 64];
    if (o->batch < (size_t)tr->comm->size)
        return error_set("--batch %zu is smaller than the number of ranks (%d)", o->batch,
                         tr->comm->size);
    snprintf(what, sizeof what, "training text of '%s'", o->data);
    if (shard_layout_init(&tr->train.lay, n - n_val, o->batch, o->seq, what) != 0)
        return -1;
    if (split_data(tr, &tr->train, 0, 0) != 0)
        return -1;
    tr->has_val = n_val > 0;
    if (!tr->has_val)
        return 0;
    if (n_val < o->seq + 1)
        return error_set("validation text of '%s' (--val-frac %g) has %zu characters, too "
                         "few for --seq %zu (needs %zu); raise --val-frac or use --val-frac 0",
                         o->data, o->val_frac, n_val, o->seq, o->seq + 1);
    size_t rows = (n_val - 1) / o->seq < o->batch ? (n_val - 1) / o->seq : o->batch;
    snprintf(what, sizeof what, "validation text of '%s'", o->data);
    if (shard_layout_init(&tr->val.lay, n_val, rows, o->seq, what) != 0)
        return -1;
    return split_data(tr, &tr->val, 1, n - n_val);
}

static void split_init(trainer *tr, split *s, int train)
{
    shard_rows(s->lay.rows, tr->comm->size, tr->comm->rank, &s->first, &s->count);
    size_t n = s->lay.seq * s->count;
    s->x = xmalloc(n * sizeof *s->x, "input window");
    s->y = xmalloc(n * sizeof *s->y, "target window");
    model_work_init(&s->w, &tr->m, s->count, s->lay.seq, train);
}

static void split_free(trainer *tr, split *s)
{
    free(s->x);
    free(s->y);
    free(s->ids);
    corpus_h5_rows_free(&s->rd);
    if (tr->m.be) /* model_setup ran: the work areas exist */
        model_work_free(&s->w, &tr->m);
    memset(s, 0, sizeof *s);
}

/* Frees whatever trainer_run set up, also after a setup that stopped part
 * way (the trainer starts zeroed; model_setup creates the model, Adam and
 * both splits' work areas together). */
static void trainer_release(trainer *tr)
{
    metrics_close(&tr->mt);
    split_free(tr, &tr->train);
    if (tr->has_val)
        split_free(tr, &tr->val);
    if (tr->m.be) {
        optim_free(&tr->opt);
        model_free(&tr->m);
    }
    host_buffer_free(&tr->staging);
#ifdef CHARNN_WITH_NCCL
    if (tr->nccl)
        comm_nccl_free();
#endif
    backend_release(tr->be); /* after what used its stream */
    tr->be = NULL;
    checkpoint_free(&tr->ck);
    corpus_free(&tr->text);
    if (tr->is_h5)
        corpus_h5_close(&tr->h5);
}

static int model_setup(trainer *tr)
{
    const train_options *o = tr->o;
    cell_kind cell;
    if (cell_parse(o->cell, &cell) != 0)
        return -1;
    model_init(&tr->m, tr->be, cell, tr->text.vocab_size, o->hidden, o->layers);
    optim_init(&tr->opt, tr->be, tr->m.layout.n_params, o->lr, o->grad_clip);
    split_init(tr, &tr->train, 1);
    if (tr->has_val)
        split_init(tr, &tr->val, 0);
    if (!tr->resumed) {
        model_init_params(&tr->m, o->seed);
        return 0;
    }
    const checkpoint *ck = &tr->ck;
    if (ck->windows != tr->train.lay.windows || ck->rows != o->batch || ck->seq != o->seq)
        return error_set("checkpoint '%s' was trained with %llu windows of %llu x %llu per "
                         "epoch; this data gives %zu: resume needs the same text and options",
                         tr->ckpt_path, (unsigned long long)ck->windows,
                         (unsigned long long)ck->rows, (unsigned long long)ck->seq,
                         tr->train.lay.windows);
    size_t bytes = tr->m.layout.n_params * sizeof(real);
    tr->be->upload(tr->be, tr->m.params, ck->params, bytes);
    tr->be->upload(tr->be, tr->opt.m, ck->adam_m, bytes);
    tr->be->upload(tr->be, tr->opt.v, ck->adam_v, bytes);
    tr->opt.t = ck->adam_t;
    tr->step = ck->step;
    tr->bad_in_row = ck->bad_steps;
    tr->loss = ck->loss;
    size_t stride = o->layers * o->hidden;
    model_state_import(&tr->m, &tr->train.w, ck->h + tr->train.first * stride,
                       ck->c ? ck->c + tr->train.first * stride : NULL);
    return 0;
}

/* Whether option `name` was given (command line or --config). */
static int option_given(trainer *tr, unsigned char *set, const char *name)
{
    opt_table t;
    options_table(tr, &t, set);
    const opt_spec *s = opts_find(&t, name);
    return s && set[s - t.specs];
}

/* A CORPUS.h5 fixes the split, the encoding and the line ends: --val-frac,
 * --encoding and --newline,
 * given or taken from the resumed checkpoint, must agree with it; when
 * neither, they take its values (so that checkpoints record them). */
static int h5_options(trainer *tr, int given_vf, int given_enc, int given_nl)
{
    train_options *o = tr->o;
    const corpus_h5 *h = &tr->h5;
    uint64_t n = h->n_train + h->n_val;
    if ((given_vf || tr->resumed) && (uint64_t)floor((double)n * o->val_frac) != h->n_val) {
        if (given_vf)
            return error_set("--val-frac %g contradicts corpus '%s' (prepared with --val-frac "
                             "%g: its last %llu of %llu characters are the validation split); "
                             "drop --val-frac, or run charnn-prep again",
                             o->val_frac, o->data, h->val_frac, (unsigned long long)h->n_val,
                             (unsigned long long)n);
        return error_set("checkpoint '%s' was trained with --val-frac %g, corpus '%s' was "
                         "prepared with --val-frac %g: resume needs the same split",
                         tr->ckpt_path, o->val_frac, o->data, h->val_frac);
    }
    if ((given_enc || tr->resumed) && !corpus_same_encoding(o->encoding, h->encoding)) {
        if (given_enc)
            return error_set("--encoding %s contradicts corpus '%s' (prepared from %s text, "
                             "already decoded); drop --encoding",
                             o->encoding, o->data, h->encoding);
        return error_set("checkpoint '%s' was trained on %s text, corpus '%s' was prepared "
                         "from %s text: resume needs the same text",
                         tr->ckpt_path, o->encoding, o->data, h->encoding);
    }
    if ((given_nl || tr->resumed) && strcmp(o->newline, h->newline) != 0) {
        if (given_nl)
            return error_set("--newline %s contradicts corpus '%s' (prepared with --newline %s); "
                             "drop --newline, or run charnn-prep again",
                             o->newline, o->data, h->newline);
        return error_set("checkpoint '%s' was trained with --newline %s, corpus '%s' was "
                         "prepared with --newline %s: resume needs the same text",
                         tr->ckpt_path, o->newline, o->data, h->newline);
    }
    if (!given_nl && !tr->resumed)
        snprintf(o->newline, sizeof o->newline, "%s", h->newline);
    if (!given_vf && !tr->resumed)
        o->val_frac = h->val_frac;
    if (!given_enc && !tr->resumed)
        snprintf(o->encoding, sizeof o->encoding, "%s", h->encoding);
    return 0;
}

/* --data: a CORPUS.h5 from charnn-prep (told by its HDF5 signature, not its
 * name) gives the vocabulary and the split; its ids are read later, a
 * rank's rows at a time. Anything else is a text, decoded whole here. */
static int load_data(trainer *tr, int given_vf, int given_enc, int given_nl)
{
    const train_options *o = tr->o;
    newline_mode nl;
    if (!corpus_h5_detect(o->data))
        return newline_parse(o->newline, "--newline", &nl) ||
               corpus_load(&tr->text, o->data, o->encoding, nl);
    if (corpus_h5_open(&tr->h5, o->data) != 0)
        return -1;
    tr->is_h5 = 1;
    if (h5_options(tr, given_vf, given_enc, given_nl) != 0)
        return -1;
    tr->text.vocab = tr->h5.vocab;
    tr->text.vocab_size = tr->h5.vocab_size;
    tr->text.n = (size_t)(tr->h5.n_train + tr->h5.n_val);
    tr->h5.vocab = NULL;
    return 0;
}

static int setup(trainer *tr, unsigned char *set)
{
    const train_options *o = tr->o;
    /* before the checkpoint's options are merged into `set` */
    int given_vf = option_given(tr, set, "val-frac");
    int given_enc = option_given(tr, set, "encoding");
    int given_nl = option_given(tr, set, "newline");
    if (load_resume(tr, set) != 0)
        return -1;
    if (!o->data[0])
        return error_set("no training text: pass --data FILE (or data = FILE in --config)");
    if (backend_select(o->device, tr->comm->local_rank, &tr->be) != 0)
        return -1;
#ifdef CHARNN_WITH_CUDA
    if (tr->be != backend_cpu())
        backend_cuda_tf32(tr->be, o->tf32);
#endif
    if (load_data(tr, given_vf, given_enc, given_nl) != 0)
        return -1;
    if (tr->resumed && resume_check_vocab(&tr->text, &tr->ck, tr->o->data, tr->ckpt_path) != 0)
        return -1;
    if (layout_splits(tr) != 0)
        return -1;
    free(tr->text.ids); /* each rank keeps only its rows' ids (split_data) */
    tr->text.ids = NULL;
    tr->total = o->steps ? o->steps : o->epochs * tr->train.lay.windows;
    return model_setup(tr);
}

enum { NCCL_TIMEOUT_S = 300 };

/* The ranks agree on the device kind and on NCCL (device_agree.h) before
 * any NCCL call; GPU ranks without NCCL stage the gradient through one
 * persistent (pinned) host buffer. Collective: called on every rank after
 * setup. */
static int setup_allreduce(trainer *tr)
{
    const comm_info *cm = tr->comm;
    device_plan plan;
    if (device_agree(cm, tr->o->device, tr->be != backend_cpu(), &plan) != 0)
        return -1;
    if (plan.fake && cm->rank == 0)
        printf("charnn-train: CHARNN_FAKE_GPUS: %d rank(s), %s\n", cm->size,
               device_plan_name(&plan));
    if (cm->size == 1 || tr->be == backend_cpu())
        return 0;
#ifdef CHARNN_WITH_NCCL
    if (plan.nccl) {
        tr->nccl = 1;
        return comm_nccl_init(cm, backend_cuda_stream(tr->be), NCCL_TIMEOUT_S);
    }
#endif
    host_buffer_alloc(&tr->staging, tr->m.layout.n_params * sizeof(float),
                      "gradient staging buffer");
    return 0;
}

/* The step's loss sum (a device double, optim_loss_slot) summed over the
 * ranks through the host (one wait on a GPU; only with several ranks). */
static void allreduce_loss(trainer *tr)
{
    double *slot = optim_loss_slot(&tr->opt), loss;
    tr->be->download(tr->be, &loss, slot, sizeof loss);
    comm_allreduce_double(&loss, 1);
    tr->be->upload(tr->be, slot, &loss, sizeof loss);
}

/* Sums the gradient and the loss over the ranks: NCCL on the GPUs, else
 * MPI on host memory (the CPU backend's buffers are host memory; others are
 * staged). An NCCL failure (a dead or stuck peer) ends the whole job. One
 * rank: nothing, no wait. */
static void allreduce_grads(trainer *tr)
{
    if (tr->comm->size == 1)
        return;
    allreduce_loss(tr);
    size_t n = tr->m.layout.n_params;
#ifdef CHARNN_WITH_NCCL
    if (tr->nccl) {
        if (comm_nccl_allreduce(tr->m.grads, n, NCCL_TIMEOUT_S) != 0) {
            fprintf(stderr, "%s: error: rank %d: %s\n", error_program_name(),
                    tr->comm->rank, error_message());
            comm_abort(TRAIN_EXIT_ERROR);
        }
        return;
    }
#endif
    if (tr->be == backend_cpu()) {
        comm_allreduce_float(tr->m.grads, n);
        return;
    }
    float *host = tr->staging.p; /* setup_allreduce */
    tr->be->download(tr->be, host, tr->m.grads, n * sizeof *host);
    comm_allreduce_float(host, n);
    tr->be->upload(tr->be, tr->m.grads, host, n * sizeof *host);
}

/* The non-finite value's name ("nan", "inf", "-inf": printf's %g may
 * write "-nan"). */
static const char *nonfinite_name(double x) { return isnan(x) ? "nan" : x > 0 ? "inf" : "-inf"; }

/* A step whose loss or gradient norm is not finite (`what` is x): not
 * applied (parameters and Adam untouched), its batch consumed, the carried
 * state reset (it may hold the NaN), with a warning. More than
 * --max-bad-steps of them in a row stop the run (exit 3) without saving:
 * the newest checkpoint stays the last good one. */
static int skip_step(trainer *tr, const char *what, double x)
{
    uint64_t number = ++tr->step;
    tr->bad_in_row++;
    model_work_reset(&tr->train.w, &tr->m);
    if (tr->bad_in_row <= tr->o->max_bad_steps) {
        if (tr->comm->rank == 0)
            warn_print("%s is non-finite (%s) at step %llu: step skipped, carried state reset "
                       "(%llu in a row; --max-bad-steps %zu)",
                       what, nonfinite_name(x), (unsigned long long)number,
                       (unsigned long long)tr->bad_in_row, tr->o->max_bad_steps);
        return 0;
    }
    char newest[sizeof tr->ckpt_path + 128] = "no checkpoint was written";
    if (tr->ckpt_path[0])
        snprintf(newest, sizeof newest, "the newest checkpoint, %s, is intact (if it diverges "
                 "again, resume from an older one with a lower --lr)", tr->ckpt_path);
    return error_set("%s is non-finite (%s) at step %llu, %llu bad step(s) in a row (more than "
                     "--max-bad-steps %zu): stopping without saving (lower --lr?); %s",
                     what, nonfinite_name(x), (unsigned long long)number,
                     (unsigned long long)tr->bad_in_row, tr->o->max_bad_steps, newest);
}

/* Test-only faults (fault.h) of step `number`, on rank 0 before the
 * all-reduce, so every rank sees them through it. */
static void inject_step_faults(trainer *tr, uint64_t number)
{
    if (tr->comm->rank != 0)
        return;
    if (fault_at_step("nan-grad", number)) {
        real nan = NAN;
        tr->be->upload(tr->be, tr->m.grads, &nan, sizeof nan);
    }
    if (fault_at_step("inf-loss", number)) {
        double inf = INFINITY;
        tr->be->upload(tr->be, optim_loss_slot(&tr->opt), &inf, sizeof inf);
    }
    if (fault_at_step("leak", number))
        fault_leak(number);
}

/* Test-only: after step `number`, the last rank's first parameter moves by
 * one ulp (the drift the replica check must catch). */
static void inject_drift(trainer *tr, uint64_t number)
{
    real p;
    if (tr->comm->rank != tr->comm->size - 1 || !fault_at_step("drift", number))
        return;
    tr->be->download(tr->be, &p, tr->m.params, sizeof p);
    p = nextafterf(p, INFINITY);
    tr->be->upload(tr->be, tr->m.params, &p, sizeof p);
}

/* profile_lap after the backend's queued work has finished (with
 * --profile only: a GPU runs ahead of the host, and the time of a phase
 * would be charged to the next one that waits). */
static void phase_lap(trainer *tr, prof_phase phase, double *t0)
{
    if (!tr->o->profile)
        return;
    tr->be->sync(tr->be);
    profile_lap(&tr->prof, phase, t0);
}

static int train_step(trainer *tr)
{
    const train_options *o = tr->o;
    split *s = &tr->train;
    size_t window = tr->step % s->lay.windows;
    double t0 = os_now();
    if (window == 0)
        model_work_reset(&s->w, &tr->m);
    split_window(s, window);
    phase_lap(tr, PROF_DATA, &t0);
    double global = (double)(s->lay.rows * s->lay.seq);
    /* queued with the loss, norm, clip factor and finite check on the
     * device; optim_finish is the step's one read-back (one rank) */
    model_pass pass = {.dropout = o->dropout,
                       .seed = o->seed,
                       .step = (uint32_t)tr->step,
                       .row0 = s->first,
                       .grad_scale = 1.0 / global,
                       .loss_out = optim_loss_slot(&tr->opt)};
    model_run(&tr->m, &s->w, s->lay.seq, s->x, s->y, &pass);
    inject_step_faults(tr, tr->step + 1);
    phase_lap(tr, PROF_COMPUTE, &t0);
    allreduce_grads(tr);
    phase_lap(tr, PROF_ALLREDUCE, &t0);
    tr->prof.steps++;
    tr->chars_log += global;
    optim_queue(&tr->opt, tr->m.params, tr->m.grads);
    double loss_sum, norm = optim_finish(&tr->opt, &loss_sum);
    phase_lap(tr, PROF_OPTIM, &t0);
    if (!isfinite(loss_sum))
        return skip_step(tr, "training loss", loss_sum);
    if (!isfinite(norm))
        return skip_step(tr, "gradient norm", norm);
    tr->loss = loss_sum / global;
    tr->grad_norm = norm;
    tr->bad_in_row = 0;
    tr->step++;
    inject_drift(tr, tr->step);
    return 0;
}

/* The replicas must not drift apart: every rank's parameters are bitwise
 * the same (each applies the same update to the same all-reduced
 * gradient). Compares their CRC-64 on rank 0; -1 on every rank, with the
 * error on rank 0 naming the first rank that differs, when not. */
static int check_replicas(trainer *tr)
{
    const comm_info *cm = tr->comm;
    size_t n = tr->m.layout.n_params;
    if (cm->size == 1)
        return 0;
    real *host = xmalloc(n * sizeof *host, "replica check");
    tr->be->download(tr->be, host, tr->m.params, n * sizeof *host);
    uint64_t crc = crc64_update(0, host, n * sizeof *host), *all = NULL;
    free(host);
    size_t *bytes = xmalloc((size_t)cm->size * sizeof *bytes, "replica check");
    for (int r = 0; r < cm->size; r++)
        bytes[r] = sizeof crc;
    if (cm->rank == 0)
        all = xmalloc((size_t)cm->size * sizeof *all, "replica check");
    comm_gather(&crc, all, bytes, 0);
    free(bytes);
    int bad = -1;
    for (int r = 1; cm->rank == 0 && bad < 0 && r < cm->size; r++)
        if (all[r] != all[0])
            bad = r;
    comm_bcast(&bad, sizeof bad, 0);
    if (bad >= 0 && cm->rank == 0)
        error_set("rank %d's parameters differ from rank 0's after step %llu (CRC-64 %016llx, "
                  "rank 0: %016llx): the replicas drifted apart; stopping without saving (the "
                  "newest checkpoint: %s)",
                  bad, (unsigned long long)tr->step, (unsigned long long)all[bad],
                  (unsigned long long)all[0], tr->ckpt_path[0] ? tr->ckpt_path : "none");
    free(all);
    return bad >= 0 ? -1 : 0;
}

/* Mean loss over the whole validation split, from a zero state, no dropout;
 * touches neither the training state nor the gradients. */
static double evaluate(trainer *tr)
{
    split *s = &tr->val;
    model_pass pass = {0};
    double sum = 0, t0 = os_now();
    model_work_reset(&s->w, &tr->m);
    for (size_t j = 0; j < s->lay.windows; j++) {
        split_window(s, j);
        sum += model_run(&tr->m, &s->w, s->lay.seq, s->x, s->y, &pass);
    }
    comm_allreduce_double(&sum, 1);
    phase_lap(tr, PROF_EVAL, &t0);
    return sum / (double)(s->lay.rows * s->lay.seq * s->lay.windows);
}

static void fill_options(trainer *tr, checkpoint *ck, char **keys, char **values)
{
    opt_table t;
    unsigned char dummy[64] = {0};
    options_table(tr, &t, dummy);
    ck->n_options = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.specs[i].flags & OPT_NO_FILE)
            continue;
        keys[ck->n_options] = (char *)t.specs[i].name;
        values[ck->n_options] = xmalloc(OPT_PATH_MAX, "option value");
        opts_format(&t, &t.specs[i], values[ck->n_options], OPT_PATH_MAX);
        ck->n_options++;
    }
    ck->option_keys = keys;
    ck->option_values = values;
}

/* Rank 0 writes; the others send their rows' state. Returns -1 on every
 * rank when the write failed. */
static int write_checkpoint(trainer *tr)
{
    const comm_info *cm = tr->comm;
    const train_options *o = tr->o;
    split *s = &tr->train;
    size_t stride = o->layers * o->hidden, n = tr->m.layout.n_params;
    int lstm = tr->m.layout.cell == CELL_LSTM;
    real *mine_h = xmalloc(s->count * stride * sizeof(real), "state export");
    real *mine_c = lstm ? xmalloc(s->count * stride * sizeof(real), "state export") : NULL;
    size_t *bytes = xcalloc((size_t)cm->size, sizeof *bytes, "gather sizes");
    for (int r = 0; r < cm->size; r++) {
        size_t first, count;
        shard_rows(o->batch, cm->size, r, &first, &count);
        bytes[r] = count * stride * sizeof(real);
    }
    model_state_export(&tr->m, &s->w, mine_h, mine_c);
    checkpoint ck = {0};
    if (cm->rank == 0) {
        ck.h = xmalloc(o->batch * stride * sizeof(real), "checkpoint state");
        ck.c = lstm ? xmalloc(o->batch * stride * sizeof(real), "checkpoint state") : NULL;
    }
    comm_gather(mine_h, ck.h, bytes, 0);
    if (lstm)
        comm_gather(mine_c, ck.c, bytes, 0);
    free(mine_h);
    free(mine_c);
    free(bytes);
    int rc = 0;
    if (cm->rank == 0) {
        char *keys[64], *values[64];
        ck.layout = tr->m.layout;
        ck.vocab = tr->text.vocab;
        ck.params = xmalloc(n * sizeof(real), "checkpoint parameters");
        ck.adam_m = xmalloc(n * sizeof(real), "checkpoint Adam m");
        ck.adam_v = xmalloc(n * sizeof(real), "checkpoint Adam v");
        tr->be->download(tr->be, ck.params, tr->m.params, n * sizeof(real));
        tr->be->download(tr->be, ck.adam_m, tr->opt.m, n * sizeof(real));
        tr->be->download(tr->be, ck.adam_v, tr->opt.v, n * sizeof(real));
        ck.step = tr->step;
        ck.adam_t = tr->opt.t;
        ck.bad_steps = tr->bad_in_row;
        ck.windows = s->lay.windows;
        ck.epoch = tr->step / ck.windows;
        ck.window = tr->step % ck.windows;
        ck.rows = o->batch;
        ck.seq = o->seq;
        ck.loss = tr->loss;
        fill_options(tr, &ck, keys, values);
        rc = checkpoint_write(o->out, &ck, o->keep, tr->ckpt_path, sizeof tr->ckpt_path);
        for (size_t i = 0; i < ck.n_options; i++)
            free(values[i]);
        free(ck.params);
        free(ck.adam_m);
        free(ck.adam_v);
        free(ck.h);
        free(ck.c);
    }
    comm_bcast(&rc, sizeof rc, 0);
    return rc;
}

/* Checks the replicas (never saves drifted parameters), then writes. */
static int save(trainer *tr)
{
    double t0 = os_now();
    if (check_replicas(tr) != 0)
        return -1;
    int rc = write_checkpoint(tr);
    phase_lap(tr, PROF_CHECKPOINT, &t0);
    tr->t_saved = t0;
    return rc;
}

static void format_eta(double s, char *buf, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

static void log_progress(trainer *tr)
{
    double t = os_now(), dt = t - tr->t_log;
    double cps = dt > 0 ? tr->chars_log / dt : 0;
    double epoch = (double)tr->step / (double)tr->train.lay.windows;
    double per_step = dt / ((double)tr->chars_log / (double)(tr->o->batch * tr->o->seq));
    char eta[32], val[64] = "";
    metrics_train(&tr->mt, tr->step, epoch, tr->loss, tr->grad_norm, cps, t - tr->t_start);
    tr->t_log = t;
    tr->chars_log = 0;
    if (tr->o->profile)
        profile_report(&tr->prof, tr->comm->rank, tr->comm->size, &tr->mt, tr->step);
    if (tr->comm->rank != 0)
        return;
    double left = per_step * (double)(tr->total - tr->step);
    if (tr->o->max_minutes > 0) /* the time limit may come first */
        left = fmin(left, fmax(0, tr->o->max_minutes * 60.0 - (t - tr->t_begin)));
    format_eta(left, eta, sizeof eta);
    if (!isnan(tr->val_loss))
        snprintf(val, sizeof val, "  val %.4f", tr->val_loss);
    if (tr->bad_in_row > 0) /* the loss shown is the last good step's */
        snprintf(val + strlen(val), sizeof val - strlen(val), "  (%llu skipped)",
                 (unsigned long long)tr->bad_in_row);
    printf("step %llu/%llu  epoch %.2f  loss %.4f%s  %.0f chars/s  ETA %s\n",
           (unsigned long long)tr->step, (unsigned long long)tr->total, epoch, tr->loss, val,
           cps, eta);
    fflush(stdout);
}

static void run_eval(trainer *tr)
{
    double t0 = os_now();
    tr->val_loss = evaluate(tr);
    tr->t_eval = os_now() - t0;
    double epoch = (double)tr->step / (double)tr->train.lay.windows;
    metrics_eval(&tr->mt, tr->step, epoch, tr->val_loss, os_now() - tr->t_start);
    if (tr->comm->rank == 0) {
        printf("step %llu  val_loss %.4f\n", (unsigned long long)tr->step, tr->val_loss);
        fflush(stdout);
    }
}

static int every(size_t k, uint64_t step) { return k > 0 && step % k == 0; }

enum { AGENDA_STOP = 1, AGENDA_SAVE = 2, AGENDA_TIME_UP = 4 };

/* Seconds the run still needs after its last step: the final validation
 * pass (as long as the last one took; before any, half a training step per
 * validation window, a forward pass being about a third of a step). */
static double final_cost(const trainer *tr, double now)
{
    if (!tr->has_val)
        return 0;
    if (tr->t_eval > 0)
        return tr->t_eval;
    double steps = (double)(tr->step - tr->step_start);
    double per_step = steps > 0 ? (now - tr->t_start) / steps : 0;
    return 0.5 * per_step * (double)tr->val.lay.windows;
}

/* 1 when --max-minutes (counted from the start of the process: MPI's
 * start-up and loading the data included) leaves no time for another step:
 * the next one and the final validation would end past it. At least one
 * step is taken. */
static int time_up(const trainer *tr)
{
    double now = os_now(), limit = tr->o->max_minutes * 60.0;
    double steps = (double)(tr->step - tr->step_start);
    if (limit <= 0 || steps == 0)
        return 0;
    double per_step = (now - tr->t_start) / steps;
    return now - tr->t_begin + per_step + final_cost(tr, now) > limit;
}

/* What this rank asks for before the next step: a stop (a signal arrived)
 * and, on rank 0 whose clock decides, a save due by --save-minutes and the
 * end of --max-minutes. Every rank acts on the OR over all ranks, so they
 * all agree. */
static int agenda(const trainer *tr)
{
    int flags = stop_signal() ? AGENDA_STOP : 0;
    double due = tr->o->save_minutes * 60.0;
    if (tr->comm->rank == 0 && due > 0 && os_now() - tr->t_saved >= due)
        flags |= AGENDA_SAVE;
    if (tr->comm->rank == 0 && time_up(tr))
        flags |= AGENDA_TIME_UP;
    return flags;
}

/* --max-minutes is reached: this step is the last of the run. */
static void end_at_time_limit(trainer *tr)
{
    if (tr->comm->rank == 0) {
        printf("--max-minutes %g: ending at step %llu (of %llu)\n", tr->o->max_minutes,
               (unsigned long long)tr->step, (unsigned long long)tr->total);
        fflush(stdout);
    }
    tr->total = tr->step;
}

/* A stop signal reached some rank: checkpoint at this step boundary (all
 * ranks agreed on it) and exit with TRAIN_EXIT_STOPPED. */
static int stop_now(trainer *tr, uint64_t saved)
{
    if (saved != tr->step && save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0) {
        printf("stopped by a signal at step %llu: checkpoint %s (continue with --resume auto)\n",
               (unsigned long long)tr->step, tr->ckpt_path);
        fflush(stdout);
    }
    return TRAIN_EXIT_STOPPED;
}

static int train_loop(trainer *tr)
{
    const train_options *o = tr->o;
    uint64_t saved = tr->resumed ? tr->step : UINT64_MAX, evaluated = UINT64_MAX;
    int save_due = 0;
    tr->t_start = tr->t_log = tr->t_saved = os_now();
    tr->step_start = tr->step;
    while (tr->step < tr->total) {
        int flags = comm_or(agenda(tr));
        if (flags & AGENDA_STOP)
            return stop_now(tr, saved);
        if (flags & AGENDA_TIME_UP) {
            end_at_time_limit(tr);
            break;
        }
        if (train_step(tr) != 0)
            return TRAIN_EXIT_DIVERGED;
        /* a periodic save waits for a good step: it always follows one */
        save_due |= (flags & AGENDA_SAVE) || every(o->save_every, tr->step);
        int save_now = save_due && tr->bad_in_row == 0;
        if (!save_now && every(o->check_every, tr->step) && check_replicas(tr) != 0)
            return TRAIN_EXIT_ERROR;
        if (tr->has_val && every(o->eval_every, tr->step)) {
            run_eval(tr);
            evaluated = tr->step;
        }
        if (every(o->log_every, tr->step) || tr->step == tr->total)
            log_progress(tr);
        if (save_now) {
            if (save(tr) != 0)
                return TRAIN_EXIT_ERROR;
            saved = tr->step;
            save_due = 0;
        }
    }
    if (tr->has_val && evaluated != tr->step)
        run_eval(tr);
    if (saved != tr->step && save(tr) != 0)
        return TRAIN_EXIT_ERROR;
    if (tr->comm->rank == 0)
        printf("done: step %llu, checkpoint %s\n", (unsigned long long)tr->step,
               tr->ckpt_path);
    return TRAIN_EXIT_OK;
}

static int open_metrics(trainer *tr)
{
    char path[OPT_PATH_MAX + 32];
    tr->mt.f = NULL;
    if (tr->comm->rank != 0)
        return 0;
    if (tr->o->metrics[0])
        snprintf(path, sizeof path, "%s", tr->o->metrics);
    else
        snprintf(path, sizeof path, "%s/metrics.jsonl", tr->o->out);
    return metrics_open(&tr->mt, path, tr->resumed);
}

static void print_banner(const trainer *tr)
{
    const train_options *o = tr->o;
    if (tr->comm->rank != 0)
        return;
    printf("charnn-train: %s %zux%zu, vocab %zu, %zu params | %zu chars train, batch %zux%zu "
           "(%zu windows/epoch) | %d rank(s) (%d on this node), device %s, %s\n",
           o->cell, o->layers, o->hidden, tr->text.vocab_size, tr->m.layout.n_params,
           tr->train.lay.rows * tr->train.lay.stride, o->batch, o->seq, tr->train.lay.windows,
           tr->comm->size, tr->comm->local_size, tr->be->name,
           tr->resumed ? "resuming" : "fresh start");
    char nl[160];
    if (newline_describe(&tr->text.nl, nl, sizeof nl)[0])
        printf("charnn-train: %s: %s\n", o->data, nl);
    if (tr->resumed)
        printf("resumed from %s at step %llu\n", tr->ckpt_path, (unsigned long long)tr->step);
    fflush(stdout);
}

static size_t default_threads(const comm_info *cm)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long per = cores / (cm->local_size > 0 ? cm->local_size : 1);
    return per > 0 ? (size_t)per : 1;
}

/* Collective: whether every rank succeeded; if not, the first failing rank
 * prints its error (one line for the whole job) and all return 0. */
static int agreed_ok(int ok, const comm_info *comm)
{
    int who = comm_first_failure(!ok);
    if (who == comm->rank)
        error_print();
    return who < 0;
}

int trainer_run(train_options *o, unsigned char *set, const comm_info *comm)
{
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.o = o;
    tr.comm = comm;
    tr.val_loss = NAN;
    tr.t_begin = os_now() - process_age(); /* --max-minutes counts from the start */
    backend_cpu_threads(o->threads ? o->threads : default_threads(comm));
    if (!agreed_ok(setup(&tr, set) == 0 && open_metrics(&tr) == 0, comm)) {
        trainer_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    checkpoint_free(&tr.ck);
    if (!agreed_ok(setup_allreduce(&tr) == 0, comm)) {
        trainer_release(&tr);
        return TRAIN_EXIT_ERROR;
    }
    print_banner(&tr);
    int rc = train_loop(&tr);
    if (rc != TRAIN_EXIT_OK && rc != TRAIN_EXIT_STOPPED && comm->rank == 0)
        error_print();
    trainer_release(&tr);
    return rc;
}
