/* cpu_embed.c — the one-hot input as a gather on the host (backend.h's
 * embed_fwd / embed_bwd). W_ih of the first layer is (G*H, V): a column per
 * character, its G*H elements V floats apart, each on another cache line
 * (and, for a Chinese vocabulary of ~4,000, on another page). When the
 * window has at least as many positions as the vocabulary has characters,
 * W (or its gradient) is transposed once into a scratch buffer of this
 * file, so that every position reads (or adds) one contiguous row; smaller
 * calls (the sampler's single rows) gather in place. Either way each
 * element gets the same additions in the same order as the direct loops. */
#include "backend_cpu_impl.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

/* the side of the square tiles the transposes move */
enum { TILE = 32 };

/* the transposes' buffer (grown, never shrunk; outside parallel regions) */
static void *scratch;
static size_t scratch_bytes;

static real *scratch_of(size_t floats)
{
    return xgrow(&scratch, &scratch_bytes, floats * sizeof(real), "embedding transpose");
}

/* Over a (rows, cols) index space, tile by tile across the threads:
 * dst[i*di + j*dj] = src[i*si + j*sj], or += when add */
static void transpose(real *dst, size_t di, size_t dj, const real *src, size_t si, size_t sj,
                      size_t rows, size_t cols, int add)
{
    size_t tiles = (rows + TILE - 1) / TILE;
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < tiles; b++) {
        size_t i0 = b * TILE, i1 = i0 + TILE < rows ? i0 + TILE : rows;
        for (size_t j0 = 0; j0 < cols; j0 += TILE) {
            size_t j1 = j0 + TILE < cols ? j0 + TILE : cols;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1; j++) {
                    real *d = dst + i * di + j * dj, x = src[i * si + j * sj];
                    *d = add ? *d + x : x;
                }
        }
    }
}

void cpu_embed_fwd(const backend *be, real *out, const real *w, const int32_t *idx, size_t n,
                   size_t g, size_t v)
{
    if (n < v) {
#pragma omp parallel for schedule(static)
        for (size_t p = 0; p < n; p++) {
            real *o = out + p * g;
            const real *col = w + idx[p];
            for (size_t j = 0; j < g; j++)
                o[j] += col[j * v];
        }
        return;
    }
    real *wt = scratch_of(v * g); /* (V, G*H): row c is W's column c */
    transpose(wt, 1, g, w, v, 1, g, v, 0);
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < n; p++) {
        real *o = out + p * g;
        const real *row = wt + (size_t)idx[p] * g;
        for (size_t j = 0; j < g; j++)
            o[j] += row[j];
    }
}

/* dw's rows split across the threads, one run each (each thread reads its
 * part of every row of dout once); each element's additions in position
 * order, so the same sums for every thread count. With the transpose the
 * additions go to a zeroed (V, G*H) buffer first, added onto dw at the end:
 * the same sums where dw starts at zero (a step's gradients do). */
void cpu_embed_bwd(const backend *be, real *dw, const real *dout, const int32_t *idx, size_t n,
                   size_t g, size_t v)
{
    int direct = n < v;
    real *dt = direct ? NULL : scratch_of(v * g);
#pragma omp parallel
    {
        size_t j0, j1;
        cpu_thread_run(g, &j0, &j1);
        for (size_t c = 0; !direct && c < v && j0 < j1; c++) /* its columns of dt zeroed */
            memset(dt + c * g + j0, 0, (j1 - j0) * sizeof *dt);
        for (size_t p = 0; p < n; p++) {
            const real *d = dout + p * g;
            if (direct) {
                real *col = dw + idx[p];
                for (size_t j = j0; j < j1; j++)
                    col[j * v] += d[j];
            } else {
                real *row = dt + (size_t)idx[p] * g;
                for (size_t j = j0; j < j1; j++)
                    row[j] += d[j];
            }
        }
    }
    if (!direct)
        transpose(dw, v, 1, dt, 1, g, g, v, 1);
}
