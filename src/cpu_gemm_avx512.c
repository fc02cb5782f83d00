/* cpu_gemm_avx512.c — cpu_gemm.h's register tile in AVX-512 (16 floats a
 * zmm register): 12 rows x 2 vectors, 24 accumulators (the shape BLIS's
 * SKX kernel uses, transposed for row-major C). Built for x86-64 only;
 * cpu_isa.c selects it only on a CPU with AVX-512. */
#include "cpu_gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#ifdef CHARNN_DOUBLE
typedef __m512d vec;
#define TILE_VW 8
#define VSFX(op) _mm512_##op##_pd
#else
typedef __m512 vec;
#define TILE_VW 16
#define VSFX(op) _mm512_##op##_ps
#endif
#define TILE_ISA CPU_ISA_AVX512
#define TILE_MR 12
#define TILE_NV 2
/* a target attribute, not #pragma GCC target: clang (the fuzz build) honours only the former */
#define TILE_ATTR __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TILE_KERNEL cpu_gemm_avx512
#include "cpu_gemm_tile.h"
#else
const cpu_gemm_kernel cpu_gemm_avx512 = {CPU_ISA_AVX512, 0, 0, NULL};
#endif
