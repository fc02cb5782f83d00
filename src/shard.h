/* shard.h — the notebook batching and the split of rows among ranks.
 *
 * The training ids become `rows` contiguous rows of `windows * seq`
 * characters each (row i starts at i * stride, stride = windows * seq);
 * window j is columns [j*seq, (j+1)*seq) of every row, and the target of a
 * position is the next character of the text (the last target of row i is
 * the first input of row i+1, so the text needs rows*windows*seq + 1
 * characters). windows = floor((n - 1) / (rows * seq)).
 * Rank r of P owns rows [first, first + count): the first (rows % P) ranks
 * own one row more than the others. */
#ifndef CHARNN_SHARD_H
#define CHARNN_SHARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t rows;     /* N: global number of sequence rows */
    size_t seq;      /* M: steps per window */
    size_t windows;  /* K: windows per epoch */
    size_t stride;   /* characters per row = windows * seq */
} shard_layout;

/* Lays out n ids as above. When windows would be 0: -1 with an error saying
 * `what` (e.g. "training text of FILE") has n characters and needs at least
 * rows*seq + 1 (naming --batch and --seq). */
int shard_layout_init(shard_layout *L, size_t n, size_t rows, size_t seq, const char *what);

/* The rows of rank `rank` of `nranks`. */
void shard_rows(size_t rows, int nranks, int rank, size_t *first, size_t *count);

/* Window `window` of rows [first, first + count) into x and y, time-major:
 * x[t * count + r] = ids[(first + r) * stride + window * seq + t],
 * y = the same shifted by one character. */
void shard_window(const shard_layout *L, const uint32_t *ids, size_t first, size_t count,
                  size_t window, int32_t *x, int32_t *y);

#endif
