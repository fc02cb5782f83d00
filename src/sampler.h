/* sampler.h — a trained model read from a checkpoint, run one row at a time:
 * priming and drawing characters (top-k, temperature, argmax), and scoring a
 * text (mean cross-entropy from a zero state). */
#ifndef CHARNN_SAMPLER_H
#define CHARNN_SAMPLER_H

#include "checkpoint.h"
#include "model.h"
#include "newline.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    checkpoint ck;   /* vocab and the loaded tensors */
    model m;
    model_work w;    /* 1 row × SAMPLER_CHUNK steps, forward only */
    newline_mode newline; /* line ends of --prime and a scored text: the checkpoint's
                             --newline (keep when it predates the option) */
} sampler;

enum { SAMPLER_CHUNK = 256 };

/* Reads and validates the checkpoint (its option newline: keep or lf, or
 * absent), puts the model on `be`; -1 with an error naming the checkpoint,
 * nothing held. */
int sampler_load(sampler *s, const char *path, const backend *be);
void sampler_free(sampler *s);

typedef struct {
    size_t length;      /* characters to draw */
    size_t top_k;
    double temperature;
    uint64_t seed;
    int argmax;
} sampler_draw;

/* The draw: index idx[q] with probability softmax(val / temperature)[q]
 * over the k candidates (descending logits), for uniform u in [0, 1);
 * probs (k) receives the probabilities when non-NULL. */
int sampler_pick(const real *val, const int *idx, size_t k, double temperature, double u,
                 double *probs);

/* Folds the line ends of decoded text cps[0..n) as s->newline says (in
 * place); returns the new length. */
size_t sampler_newlines(const sampler *s, uint32_t *cps, size_t n);

/* charnn-sample's --prime as ids: decoded in `encoding` (corpus_decode),
 * line ends as s->newline says, and mapped through the checkpoint's vocabulary (corpus_map); errors name
 * --prime. A prime that is empty, or that decodes to no character at all (a
 * lone byte order mark), starts from a newline, or (no newline in the
 * vocabulary) from a character drawn with `seed`. *ids is malloc'ed and *n
 * is at least 1, as sampler_generate needs. */
int sampler_prime(const sampler *s, const char *prime, const char *encoding, uint64_t seed,
                  uint32_t **ids, size_t *n);

/* Feeds the prime ids (n >= 1) from a zero state, then draws d->length
 * characters, writing each as UTF-8 to out as soon as it is drawn. */
void sampler_generate(sampler *s, const uint32_t *prime, size_t n, const sampler_draw *d,
                      FILE *out);

/* Sum of -log p(ids[i] | ids[0..i-1]) over i = 1..n-1, from a zero state. */
double sampler_score(sampler *s, const uint32_t *ids, size_t n);

#endif
