/* cpu_clones.h — how host functions get one copy per instruction set.
 *
 * CPU_CLONES marks a function whose loops the compiler vectorises (the
 * Philox lanes): on x86-64 with GCC it is compiled twice, for AVX2+FMA
 * (x86-64-v3) and for the baseline, and the dynamic loader picks the copy
 * this CPU runs (an ifunc). The two copies may round differently (FMA
 * contraction), so results are bitwise reproducible on one kind of CPU.
 *
 * CPU_TARGET_AVX512 / CPU_TARGET_AVX2 mark one explicit copy for
 * cpu_isa.h's CPU_ISA_AVX512 / CPU_ISA_AVX2 (a function picked through a
 * table indexed by cpu_isa_current(), so CHARNN_CPU_ISA can force it);
 * the body is an always-inline function shared by the copies. Elsewhere
 * all three are empty (only the baseline copy is ever picked). */
#ifndef CHARNN_CPU_CLONES_H
#define CHARNN_CPU_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CPU_CLONES
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define CPU_TARGET_AVX512 __attribute__((target("arch=x86-64-v4,prefer-vector-width=512")))
#define CPU_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
#else
#define CPU_TARGET_AVX512
#define CPU_TARGET_AVX2
#endif

#endif
