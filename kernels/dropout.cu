/* dropout.cu — inverted dropout with the counter-RNG mask of src/backend.h, one thread per element. */
#include "common.cuh"
#include "philox.h"

/* element e of (m, b, h): t = e / (b h), r = (e / h) % b, u = e % h;
 * kept when philox_uniform(seed, stream, step, row0 + r, t*h + u) >= p */
__global__ void dropout_kernel(float *out, const float *in, size_t m, size_t b, size_t h,
                               float p, float keep_scale, uint64_t seed, uint32_t stream,
                               uint32_t step, size_t row0)
{
    K_GRID_STRIDE(e, m * b * h) {
        size_t tr = e / h, u = e % h;
        size_t t = tr / b, r = tr % b;
        float x = philox_uniform(seed, stream, step, (uint32_t)(row0 + r), (uint32_t)(t * h + u));
        out[e] = x >= p ? in[e] * keep_scale : 0.0f;
    }
}

extern "C" cudaError_t k_dropout(cudaStream_t s, float *out, const float *in, size_t m,
                                 size_t b, size_t h, float p, float keep_scale, uint64_t seed,
                                 uint32_t rng_stream, uint32_t step, size_t row0)
{
    size_t n = m * b * h;
    if (n == 0)
        return cudaSuccess;
    dropout_kernel<<<k_grid(n), K_BLOCK, 0, s>>>(out, in, m, b, h, p, keep_scale, seed,
                                                 rng_stream, step, row0);
    return cudaGetLastError();
}
