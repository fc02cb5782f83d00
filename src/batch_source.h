/* batch_source.h — where charnn-train's batches come from: --data (a text
 * decoded whole, or a CORPUS.h5 read a block of windows at a time), the
 * options a CORPUS.h5 fixes, the training and validation splits laid out
 * in rows (shard.h) with this rank's share of them, and each window cut
 * from those rows into host memory. Nothing here knows the model. */
#ifndef CHARNN_BATCH_SOURCE_H
#define CHARNN_BATCH_SOURCE_H

#include "comm.h"
#include "corpus.h"
#include "corpus_h5.h"
#include "shard.h"
#include "train_opts.h"

#include <stddef.h>
#include <stdint.h>

/* One split's rows on this rank and the window cut from them. */
typedef struct {
    shard_layout lay;    /* global rows of this split */
    size_t first, count; /* this rank's rows (shard_rows, once) */
    uint32_t *ids;       /* text: the ids of this rank's rows, from row `first` on */
    corpus_h5_rows rd;   /* CORPUS.h5: this rank's rows, a block of windows at a time */
    int32_t *x, *y;      /* (seq, count) the current window, time-major */
} batch_split;

/* --data and its two splits. */
typedef struct {
    corpus text;         /* the vocabulary and line ends; no ids after batch_layout */
    corpus_h5 h5;        /* --data is a CORPUS.h5 (is_h5) */
    int is_h5;
    batch_split train, val;
    int has_val;
} batch_source;

/* Which of the options a CORPUS.h5 fixes were given explicitly (command
 * line or --config, not the resumed checkpoint). */
typedef struct {
    int val_frac, encoding, newline;
} batch_given;

/* Reads --data into a zeroed *d: a CORPUS.h5 (told by its HDF5 signature,
 * not its name) gives the vocabulary and the split, and its --val-frac,
 * --encoding and --newline replace o's unless given or resumed, when they
 * must agree (`resumed_from`: the checkpoint's path, or NULL on a fresh
 * start); anything else is a text, decoded whole. -1 with an error. */
int batch_load(batch_source *d, train_options *o, const batch_given *given,
               const char *resumed_from);

/* The training and validation splits laid out in rows (--batch, --seq,
 * --val-frac), this rank's rows of each (rank c->rank of c->size) copied
 * out (text; the whole text's ids are freed) or opened and their first
 * window read (CORPUS.h5: a bad file fails here, on every rank), and the
 * window buffers allocated. -1 with an error. */
int batch_layout(batch_source *d, const train_options *o, const comm_info *c);

/* Cuts window `window` (< s->lay.windows) of this rank's rows into s->x,
 * s->y. A CORPUS.h5 that cannot be read any more (it was readable at setup)
 * ends the job (error_fatal). */
void batch_window(batch_split *s, size_t window);

/* Frees everything of *d (also after a load or layout that failed part way)
 * and zeroes it. */
void batch_free(batch_source *d);

#endif
