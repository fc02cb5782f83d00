/* batch_source.c — where the batches come from (see batch_source.h). */
#include "batch_source.h"

#include "error.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This rank's rows of split s (shard_rows, once), which starts at id `base`
 * of the text, and the window buffers: from a CORPUS.h5, read a block of
 * windows at a time (the first window now, into the window buffers, so that
 * a bad file fails the setup on every rank); from a text, a copy of the ids
 * [first*stride, (first+count)*stride] of the split (the whole text is
 * freed after the layout), so a rank's memory grows with its own rows. */
static int split_data(batch_source *d, batch_split *s, int val, size_t base, const comm_info *c)
{
    shard_rows(s->lay.rows, c->size, c->rank, &s->first, &s->count);
    size_t n = s->lay.seq * s->count;
    s->x = xmalloc(n * sizeof *s->x, "input window");
    s->y = xmalloc(n * sizeof *s->y, "target window");
    if (d->is_h5) {
        corpus_h5_rows_init(&s->rd, &d->h5, val, &s->lay, s->first, s->count);
        return corpus_h5_rows_window(&s->rd, 0, s->x, s->y);
    }
    size_t len = s->count ? s->count * s->lay.stride + 1 : 0;
    s->ids = xmalloc(len * sizeof *s->ids, "this rank's ids");
    memcpy(s->ids, d->text.ids + base + s->first * s->lay.stride, len * sizeof *s->ids);
    return 0;
}

void batch_window(batch_split *s, size_t window)
{
    assert(window < s->lay.windows);
    if (s->ids) {
        shard_window(&s->lay, s->ids, 0, s->count, window, s->x, s->y);
        return;
    }
    if (corpus_h5_rows_window(&s->rd, window, s->x, s->y) != 0)
        error_fatal("%s", error_message()); /* mid-run: the job ends */
}

/* The validation split: the last n_val ids of the text, in at most --batch rows. */
static int layout_val(batch_source *d, const train_options *o, const comm_info *c, size_t n,
                      size_t n_val)
{
    char what[OPT_PATH_MAX + 64];
    if (n_val < o->seq + 1)
        return error_set("validation text of '%s' (--val-frac %g) has %zu characters, too "
                         "few for --seq %zu (needs %zu); raise --val-frac or use --val-frac 0",
                         o->data, o->val_frac, n_val, o->seq, o->seq + 1);
    size_t rows = (n_val - 1) / o->seq < o->batch ? (n_val - 1) / o->seq : o->batch;
    snprintf(what, sizeof what, "validation text of '%s'", o->data);
    if (shard_layout_init(&d->val.lay, n_val, rows, o->seq, what) != 0)
        return -1;
    return split_data(d, &d->val, 1, n - n_val, c);
}

static int layout_splits(batch_source *d, const train_options *o, const comm_info *c)
{
    size_t n = d->text.n;
    size_t n_val = d->is_h5 ? (size_t)d->h5.n_val : (size_t)floor((double)n * o->val_frac);
    char what[OPT_PATH_MAX + 64];
    if (o->batch < (size_t)c->size)
        return error_set("--batch %zu is smaller than the number of ranks (%d)", o->batch,
                         c->size);
    snprintf(what, sizeof what, "training text of '%s'", o->data);
    if (shard_layout_init(&d->train.lay, n - n_val, o->batch, o->seq, what) != 0)
        return -1;
    if (split_data(d, &d->train, 0, 0, c) != 0)
        return -1;
    d->has_val = n_val > 0;
    return d->has_val ? layout_val(d, o, c, n, n_val) : 0;
}

int batch_layout(batch_source *d, const train_options *o, const comm_info *c)
{
    int rc = layout_splits(d, o, c);
    free(d->text.ids); /* each rank keeps only its rows' ids (split_data) */
    d->text.ids = NULL;
    return rc;
}

static void split_free(batch_split *s)
{
    free(s->x);
    free(s->y);
    free(s->ids);
    corpus_h5_rows_free(&s->rd);
}

void batch_free(batch_source *d)
{
    split_free(&d->train);
    split_free(&d->val);
    corpus_free(&d->text);
    if (d->is_h5)
        corpus_h5_close(&d->h5);
    memset(d, 0, sizeof *d);
}

/* Option `name` (one that says how the text was decoded) is `mine` here,
 * `theirs` in the CORPUS.h5: the error, for a value given explicitly or
 * one taken from the checkpoint resumed from. */
static int h5_text_differs(const char *data, const char *resumed_from, const char *name,
                           int given, const char *mine, const char *theirs)
{
    if (given)
        return error_set("--%s %s contradicts corpus '%s' (prepared with --%s %s, already "
                         "decoded); drop --%s, or run charnn-prep again",
                         name, mine, data, name, theirs, name);
    return error_set("checkpoint '%s' was trained with --%s %s, corpus '%s' was prepared "
                     "with --%s %s: resume needs the same text",
                     resumed_from, name, mine, data, name, theirs);
}

/* --val-frac against the CORPUS.h5's split (given or resumed). */
static int h5_val_frac(const corpus_h5 *h, const train_options *o, int given,
                       const char *resumed_from)
{
    uint64_t n = h->n_train + h->n_val;
    if ((uint64_t)floor((double)n * o->val_frac) == h->n_val)
        return 0;
    if (given)
        return error_set("--val-frac %g contradicts corpus '%s' (prepared with --val-frac "
                         "%g: its last %llu of %llu characters are the validation split); "
                         "drop --val-frac, or run charnn-prep again",
                         o->val_frac, o->data, h->val_frac, (unsigned long long)h->n_val,
                         (unsigned long long)n);
    return error_set("checkpoint '%s' was trained with --val-frac %g, corpus '%s' was "
                     "prepared with --val-frac %g: resume needs the same split",
                     resumed_from, o->val_frac, o->data, h->val_frac);
}

/* A CORPUS.h5 fixes the split, the encoding and the line ends: --val-frac,
 * --encoding and --newline, given or taken from the resumed checkpoint,
 * must agree with it; when neither, they take its values (so that
 * checkpoints record them). */
static int h5_options(const corpus_h5 *h, train_options *o, const batch_given *g,
                      const char *resumed_from)
{
    int resumed = resumed_from != NULL;
    if ((g->val_frac || resumed) && h5_val_frac(h, o, g->val_frac, resumed_from) != 0)
        return -1;
    if ((g->encoding || resumed) && !corpus_same_encoding(o->encoding, h->encoding))
        return h5_text_differs(o->data, resumed_from, "encoding", g->encoding, o->encoding,
                               h->encoding);
    if ((g->newline || resumed) && strcmp(o->newline, h->newline) != 0)
        return h5_text_differs(o->data, resumed_from, "newline", g->newline, o->newline,
                               h->newline);
    if (!g->newline && !resumed)
        snprintf(o->newline, sizeof o->newline, "%s", h->newline);
    if (!g->val_frac && !resumed)
        o->val_frac = h->val_frac;
    if (!g->encoding && !resumed)
        snprintf(o->encoding, sizeof o->encoding, "%s", h->encoding);
    return 0;
}

int batch_load(batch_source *d, train_options *o, const batch_given *given,
               const char *resumed_from)
{
    newline_mode nl;
    if (!corpus_h5_detect(o->data))
        return newline_parse(o->newline, "--newline", &nl) ||
               corpus_load(&d->text, o->data, o->encoding, nl);
    if (corpus_h5_open(&d->h5, o->data) != 0)
        return -1;
    d->is_h5 = 1;
    if (h5_options(&d->h5, o, given, resumed_from) != 0)
        return -1;
    d->text.vocab = d->h5.vocab; /* the vocabulary moves to the text */
    d->text.vocab_size = d->h5.vocab_size;
    d->text.n = (size_t)(d->h5.n_train + d->h5.n_val);
    d->h5.vocab = NULL;
    return 0;
}
