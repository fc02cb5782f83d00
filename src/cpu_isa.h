/* cpu_isa.h — which vector instruction set the CPU backend's own kernels
 * (cpu_gemm.h's GEMM, backend_cpu_rnn.c's cells) run: chosen once per
 * process from the CPU's features (__builtin_cpu_supports), the widest the
 * CPU has, unless the environment variable CHARNN_CPU_ISA names one
 * (avx512, avx2 or baseline: for tests and comparisons). Results are
 * bitwise reproducible on one ISA; two ISAs may differ in the last bits
 * (vector widths and FMA contraction change the rounding). */
#ifndef CHARNN_CPU_ISA_H
#define CHARNN_CPU_ISA_H

typedef enum {
    CPU_ISA_BASELINE, /* the compiler's baseline (x86-64: SSE2), no FMA */
    CPU_ISA_AVX2,     /* AVX2 + FMA (x86-64-v3): 8 floats a vector */
    CPU_ISA_AVX512,   /* AVX-512 F/BW/DQ/VL + FMA (x86-64-v4): 16 floats */
    CPU_ISA_COUNT
} cpu_isa;

/* Chooses the ISA now (once per process, thread-safe): 0, or -1 with the
 * error set ("CHARNN_CPU_ISA=...: ...") when CHARNN_CPU_ISA names an ISA
 * the CPU cannot run or an unknown one. The programs call it first, so
 * that error is one line and a clean exit. */
int cpu_isa_init(void);
/* The ISA in use (cpu_isa_init's choice; a bad CHARNN_CPU_ISA met here
 * first is fatal: error_fatal). */
cpu_isa cpu_isa_current(void);
/* "avx512", "avx2" or "baseline" */
const char *cpu_isa_name(cpu_isa isa);
/* whether this CPU (and this build) can run isa */
int cpu_isa_supported(cpu_isa isa);
/* Parses name into *isa; 0 on success, -1 (error_set: the names
 * accepted, or what the CPU lacks) when unknown or not supported. */
int cpu_isa_parse(const char *name, cpu_isa *isa);

#endif
