/* cpu_gemm_baseline.c — cpu_gemm.h's register tile for any CPU: GCC vector
 * extensions of 16 bytes (4 floats, 2 doubles) (SSE2 on x86-64, lowered to what the target has
 * elsewhere), 6 rows x 2 vectors, a multiply and an add (x86-64's
 * baseline has no FMA; a target that has one may contract them). */
#include "cpu_gemm.h"

#include <string.h>

typedef real vec __attribute__((vector_size(16)));

static inline vec vload(const real *p)
{
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vstore(real *p, vec v) { memcpy(p, &v, sizeof v); }

#define TILE_ISA CPU_ISA_BASELINE
#define TILE_MR 6
#define TILE_NV 2
#define TILE_VW (16 / (int)sizeof(real))
#define TILE_ATTR
#define TILE_KERNEL cpu_gemm_baseline
#define VZERO() ((vec){0})
#define VLOAD(p) vload(p)
#define VSTORE(p, v) vstore((p), (v))
#define VBCAST(x) ((vec){0} + (x))
#define VFMA(x, b, c) ((c) + (x) * (b))
#include "cpu_gemm_tile.h"
