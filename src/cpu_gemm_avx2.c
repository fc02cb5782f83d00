/* cpu_gemm_avx2.c — cpu_gemm.h's register tile in AVX2 + FMA (8 floats a
 * ymm register): 6 rows x 2 vectors, 12 accumulators of the 16 registers.
 * Built for x86-64 only; cpu_isa.c selects it only on a CPU with AVX2+FMA. */
#include "cpu_gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#ifdef CHARNN_DOUBLE
typedef __m256d vec;
#define TILE_VW 4
#define VSFX(op) _mm256_##op##_pd
#else
typedef __m256 vec;
#define TILE_VW 8
#define VSFX(op) _mm256_##op##_ps
#endif
#define TILE_ISA CPU_ISA_AVX2
#define TILE_MR 6
#define TILE_NV 2
/* a target attribute, not #pragma GCC target: clang (the fuzz build) honours only the former */
#define TILE_ATTR __attribute__((target("avx2,fma")))
#define TILE_KERNEL cpu_gemm_avx2
#include "cpu_gemm_tile.h"
#else
const cpu_gemm_kernel cpu_gemm_avx2 = {CPU_ISA_AVX2, 0, 0, NULL};
#endif
