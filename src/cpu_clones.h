/* cpu_clones.h — CPU_CLONES marks a host function whose loops the compiler
 * vectorises (the cells, the Philox lanes): on x86-64 with GCC it is
 * compiled twice, for AVX2+FMA (x86-64-v3) and for the baseline, and the
 * dynamic loader picks the copy this CPU runs (an ifunc), so one portable
 * binary uses the wide vectors where they exist. Elsewhere it is empty.
 * The two copies may round differently (FMA contraction), so results are
 * bitwise reproducible on one kind of CPU, as the thread count's are. */
#ifndef CHARNN_CPU_CLONES_H
#define CHARNN_CPU_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CPU_CLONES
#endif

#endif
