/* rng.c — Philox4x32-10 counter-based random numbers (layout in rng.h). */
#include "rng.h"

#define RNG_M0 0xD2511F53u
#define RNG_M1 0xCD9E8D57u
#define RNG_W0 0x9E3779B9u
#define RNG_W1 0xBB67AE85u

static inline void rng_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)RNG_M0 * c[0];
    uint64_t p1 = (uint64_t)RNG_M1 * c[2];
    uint32_t c1 = c[1], c3 = c[3];
    c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k[0];
    c[1] = (uint32_t)p1;
    c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k[1];
    c[3] = (uint32_t)p0;
}

void rng_philox(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4])
{
    uint32_t k[2] = {key[0], key[1]};
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k[0] += RNG_W0;
            k[1] += RNG_W1;
        }
        rng_round(c, k);
    }
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
    uint32_t out[4];
    rng_block(seed, stream, a, b, idx >> 2, out);
    return out[idx & 3u];
}

float rng_uniform(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx)
{
    return rng_bits_to_uniform(rng_bits(seed, stream, a, b, idx));
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
            out[done + i] = rng_bits_to_uniform(blk[lane + i]);
        done += take;
    }
}
