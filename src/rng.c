/* rng.c — Philox4x32-10 counter-based random numbers (layout in rng.h; the
 * arithmetic in philox.h). */
#include "rng.h"

#include "cpu_clones.h"

void rng_philox(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    philox10(c, key[0], key[1]);
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
}

uint32_t rng_bits(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    return philox_bits(seed, stream, a, b, idx);
}

float rng_uniform(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    return philox_uniform(seed, stream, a, b, idx);
}

/* Philox blocks run side by side, lane j on block blk0 + j (mod 2^30, as
 * idx >> 2 wraps): the rounds as loops over the lanes, which the compiler
 * vectorises (64-bit products of 32-bit lanes; cpu_clones.h). */
enum { LANES = 8 };

/* The uniforms of blocks blk0 .. blk0 + LANES - 1, four each, into out. */
CPU_CLONES static void uniform_lanes(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                                     uint32_t blk0, float out[4 * LANES])
{
    uint32_t c0[LANES], c1[LANES], c2[LANES], c3[LANES];
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (uint32_t j = 0; j < LANES; j++) {
        c0[j] = (blk0 + j) & 0x3FFFFFFFu;
        c1[j] = a;
        c2[j] = b;
        c3[j] = stream;
    }
    for (int r = 0; r < 10; r++, k0 += PHILOX_W0, k1 += PHILOX_W1)
        for (uint32_t j = 0; j < LANES; j++)
            philox_round_words(&c0[j], &c1[j], &c2[j], &c3[j], k0, k1);
    for (uint32_t j = 0; j < LANES; j++) {
        out[4 * j] = philox_to_uniform(c0[j]);
        out[4 * j + 1] = philox_to_uniform(c1[j]);
        out[4 * j + 2] = philox_to_uniform(c2[j]);
        out[4 * j + 3] = philox_to_uniform(c3[j]);
    }
}

void rng_uniform_fill(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                      uint32_t idx0, uint32_t n, float *out)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t idx = idx0 + done; /* wraps mod 2^32 like rng_uniform's idx */
        uint32_t lane = idx & 3u;
        uint32_t take = 4u * LANES - lane;
        if (take > n - done)
            take = n - done;
        float blk[4 * LANES];
        uniform_lanes(seed, stream, a, b, idx >> 2, blk);
        for (uint32_t i = 0; i < take; i++)
            out[done + i] = blk[lane + i];
        done += take;
    }
}
