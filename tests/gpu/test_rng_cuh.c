/* test_rng_cuh.c — kernels/rng.cuh (the dropout kernel's Philox, compiled here as plain C) gives the same numbers as src/rng.c. */
#include "rng.cuh"
#include "rng.h"

#include <stdio.h>

static int check(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    uint32_t want = rng_bits(seed, stream, a, b, idx);
    uint32_t got = philox_bits(seed, stream, a, b, idx);
    float uw = rng_uniform(seed, stream, a, b, idx);
    float ug = philox_uniform(seed, stream, a, b, idx);
    if (want == got && uw == ug)
        return 0;
    fprintf(stderr, "mismatch seed %llu stream %u a %u b %u idx %u: %08x vs %08x\n",
            (unsigned long long)seed, stream, a, b, idx, got, want);
    return 1;
}

int main(void)
{
    const uint64_t seeds[] = {0, 1, 42, 0xffffffffull, 0x100000000ull, 0x0123456789abcdefull,
                              ~0ull};
    const uint32_t big[] = {0, 1, 2, 3, 4, 5, 0x7fffffffu, 0xfffffffcu, 0xffffffffu};
    int bad = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++)
        for (size_t i = 0; i < sizeof big / sizeof *big; i++)
            for (uint32_t layer = 0; layer < 3; layer++) {
                uint32_t stream = rng_stream(RNG_STREAM_DROPOUT, layer);
                bad += check(seeds[s], stream, big[i], big[(i + 3) % 9], big[(i + 5) % 9]);
                for (uint32_t idx = 0; idx < 1000; idx++)
                    bad += check(seeds[s], stream, 7 * idx + big[i], idx % 13, idx * 37u);
            }
    printf("rng.cuh vs rng.c: %s\n", bad ? "MISMATCH" : "identical");
    return bad != 0;
}
