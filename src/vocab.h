/* vocab.h — the rule every vocabulary obeys, wherever it comes from (a
 * checkpoint's /vocab, a CORPUS.h5's /vocab, one about to be written):
 * Unicode scalar values (at most U+10FFFF, no surrogates U+D800..U+DFFF),
 * strictly increasing, so that an id is a character's rank. */
#ifndef CHARNN_VOCAB_H
#define CHARNN_VOCAB_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    VOCAB_OK,             /* the whole vocabulary obeys the rule */
    VOCAB_NOT_SCALAR,     /* v[*at] is not a Unicode scalar value */
    VOCAB_NOT_INCREASING, /* v[*at] <= v[*at - 1] */
} vocab_problem;

/* Checks v[0, n) in index order; the first problem found, its index in *at. */
vocab_problem vocab_check(const uint32_t *v, size_t n, size_t *at);

#endif
