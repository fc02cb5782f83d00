/* corpus_h5.h — CORPUS.h5, a text already decoded to ids by charnn-prep
 * (docs/prep.md): the vocabulary, and the training and validation ids, read
 * by the trainer a few windows at a time, so that a rank's memory does not
 * grow with the corpus.
 *
 * Layout (all little-endian):
 *   /vocab   uint32 (V)        distinct code points, ascending
 *   /train   uint16 or uint32  (n_train) ids into /vocab (uint16 when V <= 65536)
 *   /val     same type         (n_val) the ids that follow /train in the text
 *   attributes of /: format = "charnn-corpus", version = 1, n_train, n_val,
 *     n_unknown, min_count (uint64), val_frac (float64), encoding (string),
 *     newline (string, "keep" or "lf"; optional, absent = "keep"),
 *     sources (strings), source_bytes, source_chars (uint64, one per source). */
#ifndef CHARNN_CORPUS_H5_H
#define CHARNN_CORPUS_H5_H

#include <stddef.h>
#include <stdint.h>

#include "shard.h"

#define CORPUS_H5_FORMAT "charnn-corpus"
#define CORPUS_H5_VERSION 1
#define CORPUS_H5_MAX_VOCAB ((uint64_t)1 << 21)
#define CORPUS_H5_UNKNOWN 0xFFFDu /* --min-count: rare characters become U+FFFD */

typedef struct {
    int64_t file;              /* hid_t */
    int64_t dset[2];           /* /train, /val */
    char *path;
    uint32_t *vocab;           /* (vocab_size) ascending */
    size_t vocab_size;
    uint64_t n_train, n_val, n_unknown, min_count;
    double val_frac;
    char encoding[64];
    char newline[8];           /* "keep" | "lf"; "keep" when the file predates the attribute */
} corpus_h5;

/* 1 when path is an HDF5 file (by its signature, not its name), else 0
 * (also when it cannot be read: the text path then reports that). */
int corpus_h5_detect(const char *path);

/* Opens and checks a CORPUS.h5: the format attributes, /vocab (strictly
 * increasing code points), /train and /val (1-D unsigned integers of
 * n_train and n_val ids). Ids themselves are checked as they are read.
 * Errors name the file: -1. */
int corpus_h5_open(corpus_h5 *c, const char *path);
void corpus_h5_close(corpus_h5 *c);

/* The rows [first, first + count) of a notebook layout over /train (val 0)
 * or /val (val 1), read a block of windows at a time (the ids of all the
 * rows for the block: two hyperslab reads, at most about 4 MiB). */
typedef struct {
    const corpus_h5 *c;
    int val;
    shard_layout lay;
    size_t first, count;
    size_t block;              /* windows per read */
    size_t w0, nw;             /* windows [w0, w0 + nw) are in buf */
    uint32_t *buf;             /* (count, nw * seq + 1) */
} corpus_h5_rows;

void corpus_h5_rows_init(corpus_h5_rows *r, const corpus_h5 *c, int val, const shard_layout *L,
                         size_t first, size_t count);
/* Window `window` of the rows into x and y (as shard_window). Errors (a
 * read failure, an id outside the vocabulary): -1 naming the file. */
int corpus_h5_rows_window(corpus_h5_rows *r, size_t window, int32_t *x, int32_t *y);
void corpus_h5_rows_free(corpus_h5_rows *r);

#endif
