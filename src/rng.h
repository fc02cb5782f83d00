/* rng.h — the counter-based random numbers (Philox4x32-10).
 * A value is a pure function of (seed, stream, a, b, idx): dropout masks and
 * initial weights do not depend on the number of ranks or on the backend,
 * and resuming needs no RNG state beyond the step count.
 *
 * Counter layout: key = {seed low 32 bits, seed high 32 bits},
 *                 ctr = {idx >> 2, a, b, stream}; lane idx & 3 of the output.
 * The arithmetic is philox.h's, shared with the CUDA kernels. */
#ifndef CHARNN_RNG_H
#define CHARNN_RNG_H

#include "philox.h"

#include <stdint.h>

/* Streams (the top 16 bits of ctr[3]; the low 16 bits carry a layer index). */
enum {
    RNG_STREAM_INIT = 1,    /* a = tensor index, b = 0, idx = element */
    RNG_STREAM_DROPOUT = 2, /* a = step, b = global row, idx = t*H + unit */
    RNG_STREAM_SAMPLE = 3,  /* a = 0, b = 0, idx = character number */
};

static inline uint32_t rng_stream(uint32_t stream, uint32_t layer)
{
    return (stream << 16) | (layer & 0xffffu);
}

/* One Philox4x32-10 block: out = philox(key, ctr). */
void rng_philox(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4]);

/* 32 random bits for element idx. */
uint32_t rng_bits(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx);

/* Uniform in [0, 1) with 24 bits: (bits >> 8) * 2^-24. */
float rng_uniform(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b, uint32_t idx);

/* The uniforms for elements [idx0, idx0 + n) into out (n floats), one Philox
 * block per four elements; the same values as n calls of rng_uniform. */
void rng_uniform_fill(uint64_t seed, uint32_t stream, uint32_t a, uint32_t b,
                      uint32_t idx0, uint32_t n, float *out);

#endif
