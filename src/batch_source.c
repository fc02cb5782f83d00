/* batch_source.c — where the batches come from: --data (a text decoded
 * whole, or a CORPUS.h5 read a block of windows at a time), the options a
 * CORPUS.h5 fixes, the training and validation splits laid out in rows,
 * and each window cut out of this rank's rows (train_state.h). */
#include "error.h"
#include "train_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether option `name` was given (command line or --config). */
int option_given(trainer *tr, unsigned char *set, const char *name)
{
    opt_table t;
    options_table(tr, &t, set);
    const opt_spec *s = opts_find(&t, name);
    return s && set[s - t.specs];
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
void split_window(split *s, size_t window)
{
    if (s->ids) {
        shard_window(&s->lay, s->ids, 0, s->count, window, s->x, s->y);
        return;
    }
    if (corpus_h5_rows_window(&s->rd, window, s->x, s->y) != 0)
        error_fatal("%s", error_message()); /* mid-run: the job ends */
}

int layout_splits(trainer *tr)
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

void split_init(trainer *tr, split *s, int train)
{
    shard_rows(s->lay.rows, tr->comm->size, tr->comm->rank, &s->first, &s->count);
    size_t n = s->lay.seq * s->count;
    s->x = xmalloc(n * sizeof *s->x, "input window");
    s->y = xmalloc(n * sizeof *s->y, "target window");
    model_work_init(&s->w, &tr->m, s->count, s->lay.seq, train);
}

void split_free(trainer *tr, split *s)
{
    free(s->x);
    free(s->y);
    free(s->ids);
    corpus_h5_rows_free(&s->rd);
    if (tr->m.be) /* model_setup ran: the work areas exist */
        model_work_free(&s->w, &tr->m);
    memset(s, 0, sizeof *s);
}

/* Option `name` (one that says how the text was decoded) is `mine` here,
 * `theirs` in the CORPUS.h5: the error, for a value given explicitly or
 * one taken from the resumed checkpoint. */
static int h5_text_differs(const trainer *tr, const char *name, int given, const char *mine,
                           const char *theirs)
{
    if (given)
        return error_set("--%s %s contradicts corpus '%s' (prepared with --%s %s, already "
                         "decoded); drop --%s, or run charnn-prep again",
                         name, mine, tr->o->data, name, theirs, name);
    return error_set("checkpoint '%s' was trained with --%s %s, corpus '%s' was prepared "
                     "with --%s %s: resume needs the same text",
                     tr->ckpt_path, name, mine, tr->o->data, name, theirs);
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
    if ((given_enc || tr->resumed) && !corpus_same_encoding(o->encoding, h->encoding))
        return h5_text_differs(tr, "encoding", given_enc, o->encoding, h->encoding);
    if ((given_nl || tr->resumed) && strcmp(o->newline, h->newline) != 0)
        return h5_text_differs(tr, "newline", given_nl, o->newline, h->newline);
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
int load_data(trainer *tr, int given_vf, int given_enc, int given_nl)
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
