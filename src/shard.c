/* shard.c — the notebook batching layout, the split of rows among ranks, window extraction. */
#include "shard.h"

#include <stdint.h>

#include "error.h"

int shard_layout_init(shard_layout *L, size_t n, size_t rows, size_t seq, const char *what)
{
    L->rows = rows;
    L->seq = seq;
    L->windows = 0;
    L->stride = 0;
    if (rows == 0 || seq == 0)
        return error_set("--batch and --seq must be positive (got --batch %zu --seq %zu)", rows,
                         seq);
    if (rows > (SIZE_MAX - 1) / seq)
        return error_set("--batch %zu times --seq %zu is too large", rows, seq);
    size_t need = rows * seq + 1;
    if (n < need)
        return error_set("%s has %zu characters; --batch %zu and --seq %zu need at least "
                         "%zu*%zu+1 = %zu (lower --batch or --seq)",
                         what ? what : "the text", n, rows, seq, rows, seq, need);
    L->windows = (n - 1) / (rows * seq);
    L->stride = L->windows * seq;
    return 0;
}

void shard_rows(size_t rows, int nranks, int rank, size_t *first, size_t *count)
{
    size_t p = nranks > 0 ? (size_t)nranks : 1;
    size_t r = rank > 0 ? (size_t)rank : 0;
    size_t base = rows / p, extra = rows % p;
    *first = r * base + (r < extra ? r : extra);
    *count = base + (r < extra ? 1 : 0);
}

void shard_window(const shard_layout *L, const uint32_t *ids, size_t first, size_t count,
                  size_t window, int32_t *x, int32_t *y)
{
    const size_t seq = L->seq;
    for (size_t r = 0; r < count; r++) {
        const uint32_t *src = ids + (first + r) * L->stride + window * seq;
        for (size_t t = 0; t < seq; t++) {
            x[t * count + r] = (int32_t)src[t];
            y[t * count + r] = (int32_t)src[t + 1];
        }
    }
}
