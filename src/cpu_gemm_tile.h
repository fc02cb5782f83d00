/* cpu_gemm_tile.h — the body of one ISA's register tile (cpu_gemm.h's
 * cpu_gemm_kernel.tile), included once by each cpu_gemm_<isa>.c after it
 * defines:
 *   TILE_MR, TILE_NV, TILE_VW   rows, vectors a row, floats a vector
 *   vec                         the vector type
 *   VZERO(), VLOAD(p), VSTORE(p, v), VBCAST(x), VFMA(x, b, c) (c + x*b),
 *                               or VSFX(op): the x86 intrinsic of op
 *   TILE_ATTR                   the function attribute (target) or empty
 *   TILE_KERNEL                 the name of the cpu_gemm_kernel to define
 * Every accumulator is one chain over q in order: the result does not
 * depend on the tile shape or on where in the tile an element falls. */
#define TILE_NR (TILE_NV * TILE_VW)

#ifdef VSFX /* the intrinsics _mm<bits>_<op>_p<s|d> */
#define VZERO() VSFX(setzero)()
#define VLOAD(p) VSFX(loadu)(p)
#define VSTORE(p, v) VSFX(storeu)((p), (v))
#define VBCAST(x) VSFX(set1)(x)
#define VFMA(x, b, c) VSFX(fmadd)((x), (b), (c))
#endif

/* rows x TILE_NR of C in registers; a's layout and rows are constants
 * where it is inlined, so the loops unroll into registers */
static inline __attribute__((always_inline)) TILE_ATTR void
tile_body(size_t k, const real *a, size_t a_rs, size_t a_ks, const real *p, real *c, size_t ldc,
          const size_t rows, int acc)
{
    vec r[TILE_MR][TILE_NV];
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
#pragma GCC unroll 8
        for (size_t v = 0; v < TILE_NV; v++)
            r[i][v] = acc ? VLOAD(c + i * ldc + v * TILE_VW) : VZERO();
    for (size_t q = 0; q < k; q++) {
        vec b[TILE_NV];
#pragma GCC unroll 8
        for (size_t v = 0; v < TILE_NV; v++)
            b[v] = VLOAD(p + q * TILE_NR + v * TILE_VW);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++) {
            vec x = VBCAST(a[i * a_rs + q * a_ks]);
#pragma GCC unroll 8
            for (size_t v = 0; v < TILE_NV; v++)
                r[i][v] = VFMA(x, b[v], r[i][v]);
        }
    }
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
#pragma GCC unroll 8
        for (size_t v = 0; v < TILE_NV; v++)
            VSTORE(c + i * ldc + v * TILE_VW, r[i][v]);
}

/* tile_body for a row count known at compile time: packed A (a_ks ==
 * TILE_MR, a_rs == 1) or rows of A (a_ks == 1) */
#define TILE_ROWS(n)                                                                               \
    case n:                                                                                        \
        if (a_ks == 1)                                                                             \
            tile_body(k, a, a_rs, 1, p, c, ldc, n, acc);                                           \
        else                                                                                       \
            tile_body(k, a, 1, TILE_MR, p, c, ldc, n, acc);                                        \
        break;

static TILE_ATTR void tile_full(size_t k, const real *a, size_t a_rs, size_t a_ks, const real *p,
                                real *c, size_t ldc, size_t rows, int acc)
{
    switch (rows) {
        TILE_ROWS(1)
        TILE_ROWS(2)
        TILE_ROWS(3)
        TILE_ROWS(4)
        TILE_ROWS(5)
        TILE_ROWS(6)
#if TILE_MR > 6
        TILE_ROWS(7)
        TILE_ROWS(8)
#endif
#if TILE_MR > 8
        TILE_ROWS(9)
        TILE_ROWS(10)
        TILE_ROWS(11)
        TILE_ROWS(12)
#endif
#if TILE_MR > 12
#error "TILE_MR above 12"
#endif
    }
}

/* cols < TILE_NR: through a full-width tile on the stack */
static TILE_ATTR void tile(size_t k, const real *a, size_t a_rs, size_t a_ks, const real *p,
                           real *c, size_t ldc, size_t rows, size_t cols, int acc)
{
    if (cols == TILE_NR) {
        tile_full(k, a, a_rs, a_ks, p, c, ldc, rows, acc);
        return;
    }
    real t[TILE_MR * TILE_NR] = {0};
    for (size_t i = 0; i < rows && acc; i++)
        for (size_t j = 0; j < cols; j++)
            t[i * TILE_NR + j] = c[i * ldc + j];
    tile_full(k, a, a_rs, a_ks, p, t, TILE_NR, rows, acc);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            c[i * ldc + j] = t[i * TILE_NR + j];
}

const cpu_gemm_kernel TILE_KERNEL = {TILE_ISA, TILE_MR, TILE_NR, tile};
