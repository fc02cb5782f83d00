/* cpu_isa.c — the CPU kernels' instruction set, chosen once (cpu_isa.h). */
#include "cpu_isa.h"

#include "error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[CPU_ISA_COUNT] = {"baseline", "avx2", "avx512"};

const char *cpu_isa_name(cpu_isa isa)
{
    return (unsigned)isa < CPU_ISA_COUNT ? isa_names[isa] : "?";
}

int cpu_isa_supported(cpu_isa isa)
{
    switch (isa) {
    case CPU_ISA_BASELINE:
        return 1;
#if defined(__x86_64__) && defined(__GNUC__)
    case CPU_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CPU_ISA_AVX512:
        return cpu_isa_supported(CPU_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
#endif
    default:
        return 0;
    }
}

/* the widest ISA this CPU runs */
static cpu_isa widest(void)
{
    cpu_isa isa = CPU_ISA_COUNT;
    while (--isa > CPU_ISA_BASELINE && !cpu_isa_supported(isa))
        ;
    return isa;
}

int cpu_isa_parse(const char *name, cpu_isa *isa)
{
    for (int i = 0; i < CPU_ISA_COUNT; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            if (!cpu_isa_supported((cpu_isa)i))
                return error_set("this CPU cannot run '%s' (the widest it runs: %s)", name,
                                 isa_names[widest()]);
            *isa = (cpu_isa)i;
            return 0;
        }
    return error_set("unknown instruction set '%s' (avx512, avx2 or baseline)", name);
}

static cpu_isa chosen;
static char chosen_error[256]; /* why CHARNN_CPU_ISA was refused, or "" */
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void)
{
    const char *env = getenv("CHARNN_CPU_ISA");
    chosen = widest();
    if (env != NULL && *env != '\0' && cpu_isa_parse(env, &chosen) != 0)
        snprintf(chosen_error, sizeof chosen_error, "CHARNN_CPU_ISA=%s: %s", env,
                 error_message());
}

int cpu_isa_init(void)
{
    pthread_once(&chosen_once, choose);
    return chosen_error[0] ? error_set("%s", chosen_error) : 0;
}

cpu_isa cpu_isa_current(void)
{
    if (cpu_isa_init() != 0)
        error_fatal("%s", chosen_error);
    return chosen;
}
