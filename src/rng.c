/* rng.c — Philox4x32-10 counter-based random numbers (layout in rng.h; the
 * arithmetic in philox.h). */
#include "rng.h"

void rng_philox(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    philox10(c, key[0], key[1]);
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
}

static inline void rng_block(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                             uint32_t block, uint32_t out[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {block, a, b, stream};
    rng_philox(key, ctr, out);
}

uint32_t rng_bits(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    return philox_bits(seed, stream, a, b, idx);
}

float rng_uniform(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    return philox_uniform(seed, stream, a, b, idx);
}

void rng_uniform_fill(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                      uint32_t idx0, uint32_t n, float *out)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t idx = idx0 + done; /* wraps mod 2^32 like rng_uniform's idx */
        uint32_t lane = idx & 3u;
        uint32_t take = 4u - lane;
        if (take > n - done)
            take = n - done;
        uint32_t blk[4];
        rng_block(seed, stream, a, b, idx >> 2, blk);
        for (uint32_t i = 0; i < take; i++)
            out[done + i] = philox_to_uniform(blk[lane + i]);
        done += take;
    }
}
