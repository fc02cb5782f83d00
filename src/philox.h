/* philox.h — Philox4x32-10, the one definition for host and device code
 * (as cell_math.h is for the cells): rng.c's functions and the CUDA dropout
 * kernel (kernels/dropout.cu) both compute with these, so the GPU's masks
 * are the CPU's bit for bit. Plain C when not compiled by nvcc. The counter
 * layout and the streams are in rng.h. */
#ifndef CHARNN_PHILOX_H
#define CHARNN_PHILOX_H

#include <stdint.h>

#ifdef __CUDACC__
#define PHILOX_FN static inline __host__ __device__
#else
#define PHILOX_FN static inline
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* One round on the counter's four words with key (k0, k1): the words may
 * lie apart (rng.c runs blocks side by side, a word per array). */
PHILOX_FN void philox_round_words(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3,
                                  uint32_t k0, uint32_t k1)
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * *c0;
    uint64_t p1 = (uint64_t)PHILOX_M1 * *c2;
    uint32_t w1 = *c1, w3 = *c3;
    *c0 = (uint32_t)(p1 >> 32) ^ w1 ^ k0;
    *c1 = (uint32_t)p1;
    *c2 = (uint32_t)(p0 >> 32) ^ w3 ^ k1;
    *c3 = (uint32_t)p0;
}

/* One round on the counter c with key (k0, k1). */
PHILOX_FN void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    philox_round_words(&c[0], &c[1], &c[2], &c[3], k0, k1);
}

/* Ten rounds: c (the counter on entry) becomes the output block. */
PHILOX_FN void philox10(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        philox_round(c, k0, k1);
    }
}

/* 32 random bits for element idx (rng_bits). */
PHILOX_FN uint32_t philox_bits(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                               uint32_t idx)
{
    uint32_t c[4] = {idx >> 2, a, b, stream};
    philox10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    uint32_t lane = idx & 3u;
    return lane == 0 ? c[0] : lane == 1 ? c[1] : lane == 2 ? c[2] : c[3];
}

/* Uniform in [0, 1) with 24 bits: (bits >> 8) * 2^-24. */
PHILOX_FN float philox_to_uniform(uint32_t bits)
{
    return (float)(bits >> 8) * (1.0f / 16777216.0f);
}

/* The uniform of element idx (rng_uniform). */
PHILOX_FN float philox_uniform(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                               uint32_t idx)
{
    return philox_to_uniform(philox_bits(seed, stream, a, b, idx));
}

#endif
