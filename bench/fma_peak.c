/* fma_peak.c — the machine's FP32 FMA peak: every thread runs independent
 * chains of vector FMAs (the widest the compiler targets: AVX-512, AVX2 or
 * scalar), 100 rounds of a few ms each; prints the best round's total
 * GFLOP/s (one FMA = 2 flops), which a shared machine lowers least.
 * Build: cc -O3 -march=native -fopenmp bench/fma_peak.c -o fma_peak
 * Usage: fma_peak [threads]   (default: OpenMP's) */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vec;
#define VEC_FLOATS 16
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VSET(x) _mm512_set1_ps(x)
#define ISA "avx512"
#elif defined(__FMA__)
#include <immintrin.h>
typedef __m256 vec;
#define VEC_FLOATS 8
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VSET(x) _mm256_set1_ps(x)
#define ISA "avx2-fma"
#else
typedef float vec;
#define VEC_FLOATS 1
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VSET(x) (x)
#define ISA "scalar"
#endif

enum { CHAINS = 12, ITERS = 1 << 20 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CHAINS independent accumulators (enough to cover the FMA latency on two
 * pipes), ITERS rounds; returns a value so nothing is optimised away */
static float run_chains(float seed)
{
    vec acc[CHAINS], mul = VSET(0.999999f), add = VSET(1e-7f);
    for (int i = 0; i < CHAINS; i++)
        acc[i] = VSET(seed + (float)i);
    for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 16 /* the chains stay in registers */
        for (int i = 0; i < CHAINS; i++)
            acc[i] = VFMA(acc[i], mul, add);
    float out = 0;
    for (int i = 0; i < CHAINS; i++) {
        float lanes[VEC_FLOATS];
        *(vec *)lanes = acc[i];
        out += lanes[0];
    }
    return out;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
    if (threads < 1) {
        fprintf(stderr, "fma_peak: error: bad thread count '%s'\n", argv[1]);
        return 2;
    }
    double best = 0, sink = 0;
    for (int rep = 0; rep < 100; rep++) { /* the best of 100 rounds of a few ms */
        double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += run_chains((float)omp_get_thread_num());
        double secs = now() - t0;
        double flops = 2.0 * VEC_FLOATS * CHAINS * (double)ITERS * threads;
        best = flops / secs > best ? flops / secs : best;
    }
    printf("fma_peak: %s, %d thread(s): %.1f GFLOP/s (checksum %g)\n", ISA, threads,
           best * 1e-9, sink);
    return 0;
}
