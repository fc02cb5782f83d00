/* cuda_emulator.h — runs a CUDA kernel's source on the host, for tests that
 * need no GPU (C++17, POSIX threads). Every thread of every block is a POSIX
 * thread of its own, all of the grid at once (as a cooperative launch has
 * them all resident); __syncthreads() is a barrier of the block's threads,
 * cg::this_grid().sync() one of every thread of the grid; each block has
 * its own dynamic shared memory (K_DYNAMIC_SMEM), filled with NaN before
 * the launch so that a read of a slot nothing wrote shows. threadIdx and
 * blockIdx are the running thread's (x only). The TF32 wmma API (namespace
 * wm) on 16x16x8 tiles: each thread holds a whole tile, __float_to_tf32
 * rounds to nearest (ties away, as cvt.rna.tf32.f32), mma_sync sums k in
 * order in float, and store_matrix_sync writes from lane 0 only (the kernel
 * must __syncthreads() before another thread reads it, as on a GPU). Only
 * what the kernels emulated here use: no other warp functions, no static
 * __shared__, no atomics.
 * Include it before the kernel's .cuh. What it cannot show: the GPU's
 * memory model (a missing fence between blocks), its scheduling, its
 * arithmetic (CUDA's expf; fmaf is the host's) or its speed. */
#ifndef CHARNN_CUDA_EMULATOR_H
#define CHARNN_CUDA_EMULATOR_H

#include <pthread.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

struct emu_dim3 {
    unsigned x, y, z;
};

struct emu_thread_state {
    emu_dim3 thread, block;
    float *smem;
    pthread_barrier_t *block_barrier;
};

inline thread_local emu_thread_state emu_self;
inline pthread_barrier_t emu_grid_barrier;
inline emu_dim3 emu_grid_dim, emu_block_dim;

#define threadIdx (emu_self.thread)
#define blockIdx (emu_self.block)
#define blockDim emu_block_dim
#define gridDim emu_grid_dim
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define K_DYNAMIC_SMEM(name) float *name = emu_self.smem

inline void __syncthreads() { pthread_barrier_wait(emu_self.block_barrier); }

namespace cg {
struct grid_group {
    void sync() { pthread_barrier_wait(&emu_grid_barrier); }
};
inline grid_group this_grid() { return grid_group(); }
} // namespace cg

enum { K_CELL_LSTM = 0, K_CELL_GRU = 1, K_CELL_RNN = 2 };

/* ---- wmma, TF32 16x16x8 only ---- */
namespace wm {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
} // namespace precision
enum layout_t { mem_row_major, mem_col_major };

/* the whole tile, row-major: A 16x8, B 8x16, accumulator 16x16 */
template <typename Use, int M, int N, int K, typename T, typename Layout = void> struct fragment {
    static const int rows = std::is_same<Use, matrix_b>::value ? K : M;
    static const int cols = std::is_same<Use, matrix_a>::value ? K : N;
    static const int num_elements = rows * cols;
    float x[rows * cols];
};

template <typename Use, int M, int N, int K, typename T, typename Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout> &f, const float *p, unsigned ld)
{
    typedef fragment<Use, M, N, K, T, Layout> F;
    for (int i = 0; i < F::rows; i++)
        for (int j = 0; j < F::cols; j++)
            f.x[i * F::cols + j] =
                std::is_same<Layout, row_major>::value ? p[(size_t)i * ld + j] : p[(size_t)j * ld + i];
}

template <int M, int N, int K>
void fill_fragment(fragment<accumulator, M, N, K, float> &f, float v)
{
    for (int i = 0; i < M * N; i++)
        f.x[i] = v;
}

inline float __float_to_tf32(float v)
{
    if (!std::isfinite(v))
        return v;
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    u = (u + 0x1000u) & 0xffffe000u; /* 10 mantissa bits, ties away from zero */
    std::memcpy(&v, &u, sizeof v);
    return v;
}

template <int M, int N, int K, typename TA, typename LA, typename TB, typename LB>
void mma_sync(fragment<accumulator, M, N, K, float> &d, const fragment<matrix_a, M, N, K, TA, LA> &a,
              const fragment<matrix_b, M, N, K, TB, LB> &b,
              const fragment<accumulator, M, N, K, float> &c)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = c.x[i * N + j];
            for (int k = 0; k < K; k++)
                s += a.x[i * K + k] * b.x[k * N + j];
            d.x[i * N + j] = s;
        }
}

template <int M, int N, int K>
void store_matrix_sync(float *p, const fragment<accumulator, M, N, K, float> &f, unsigned ld,
                       layout_t layout)
{
    if (emu_self.thread.x % 32 != 0)
        return;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            (layout == mem_row_major ? p[(size_t)i * ld + j] : p[(size_t)j * ld + i]) = f.x[i * N + j];
}
} // namespace wm

template <typename Args> struct emu_launch_slot {
    void (*kernel)(Args);
    Args *args;
    emu_thread_state state;
};

template <typename Args> static void *emu_thread_main(void *p)
{
    emu_launch_slot<Args> *slot = static_cast<emu_launch_slot<Args> *>(p);
    emu_self = slot->state;
    slot->kernel(*slot->args);
    return nullptr;
}

static inline void emu_check(int rc, const char *what)
{
    if (rc != 0) {
        std::fprintf(stderr, "cuda_emulator: %s failed (%d)\n", what, rc);
        std::exit(1);
    }
}

/* kernel<<<blocks, threads, smem_bytes>>>(args), every thread at once; returns
 * when all have finished */
template <typename Args>
void emu_launch(void (*kernel)(Args), unsigned blocks, unsigned threads, size_t smem_bytes,
                Args args)
{
    emu_grid_dim = {blocks, 1, 1};
    emu_block_dim = {threads, 1, 1};
    size_t n = (size_t)blocks * threads, floats = (smem_bytes + sizeof(float) - 1) / sizeof(float);
    std::vector<std::vector<float>> smem(blocks, std::vector<float>(floats ? floats : 1,
                                                                  std::numeric_limits<float>::quiet_NaN()));
    std::vector<pthread_barrier_t> bars(blocks);
    emu_check(pthread_barrier_init(&emu_grid_barrier, nullptr, (unsigned)n), "grid barrier");
    for (unsigned b = 0; b < blocks; b++)
        emu_check(pthread_barrier_init(&bars[b], nullptr, threads), "block barrier");
    std::vector<emu_launch_slot<Args>> slots(n);
    std::vector<pthread_t> ids(n);
    pthread_attr_t attr;
    emu_check(pthread_attr_init(&attr), "pthread_attr_init");
    emu_check(pthread_attr_setstacksize(&attr, 256 * 1024), "stack size");
    for (size_t i = 0; i < n; i++) {
        unsigned b = (unsigned)(i / threads), t = (unsigned)(i % threads);
        slots[i] = {kernel, &args, {{t, 0, 0}, {b, 0, 0}, smem[b].data(), &bars[b]}};
        emu_check(pthread_create(&ids[i], &attr, emu_thread_main<Args>, &slots[i]), "pthread_create");
    }
    for (size_t i = 0; i < n; i++)
        emu_check(pthread_join(ids[i], nullptr), "pthread_join");
    pthread_attr_destroy(&attr);
    for (unsigned b = 0; b < blocks; b++)
        pthread_barrier_destroy(&bars[b]);
    pthread_barrier_destroy(&emu_grid_barrier);
}

#endif
