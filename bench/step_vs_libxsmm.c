/* step_vs_libxsmm.c — benchmark: the recurrence's per-step product on
 * charnn's register tile (cpu_gemm_packed, as backend_cpu_rnn.c runs it with
 * 1 thread) against libxsmm's JIT kernels on the same work. A window of T
 * steps: hg (B x G*H) = h_t (B x K) W^T, W (G*H x K) laid out once for each
 * (charnn: G panels of H columns; libxsmm: column-major blocks of mb rows of
 * W, C^T = A * h_t^T per block, what its dispatch accepts). K = H is the
 * forward, K = G*H (with H columns) the backward's shape. Prints GFLOP/s of
 * wall time, the best of 5 windows each, the two alternating.
 *
 * Not built by CMake (libxsmm is not a dependency): on Debian,
 *   apt-get install libxsmm-dev
 *   cc -O2 -fopenmp -Isrc bench/step_vs_libxsmm.c BUILD/libcharnn_core.a \
 *      -lxsmm -lxsmmnoblas -lm -ldl -o step_vs_libxsmm
 * usage: step_vs_libxsmm [K [mb]]   (default 512 32, mb a divisor of 512; B = 100, H = 512, G = 4,
 * T = 100: the notebook LSTM at 1 thread) */
#include "cpu_gemm.h"

#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { B = 100, H = 512, G = 4, T = 100, ROUNDS = 5 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *rnd(size_t n)
{
    float *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "step_vs_libxsmm: error: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return x;
}

int main(int argc, char **argv)
{
    size_t k = argc > 1 ? strtoul(argv[1], NULL, 10) : H;
    int mb = argc > 2 ? atoi(argv[2]) : 32;
    size_t gates = k == H ? G : 1, m = gates * H; /* backward: one (G*H, H) slice */
    if (k == 0 || mb <= 0 || H % mb != 0) {
        fprintf(stderr, "step_vs_libxsmm: error: K > 0 and mb dividing %d wanted\n", H);
        return 2;
    }
    const cpu_gemm_kernel *kern = cpu_gemm_kernel_now();
    float *w = rnd(m * k), *h = rnd((T + 1) * B * k), *c = rnd(B * m);
    size_t per = cpu_gemm_panels_size(kern, k, H);
    float *wp = rnd(gates * per), *wx = rnd(m * k);
    for (size_t g = 0; g < gates; g++)
        cpu_gemm_pack(kern, w + g * H * k, k, 1, k, H, 1, wp + g * per);
    for (size_t b = 0; b < m / (size_t)mb; b++) /* block b: column-major (mb x k) */
        for (size_t q = 0; q < k; q++)
            for (size_t u = 0; u < (size_t)mb; u++)
                wx[b * mb * k + q * mb + u] = w[(b * mb + u) * k + q];
    libxsmm_init();
    float alpha = 1, beta = 0;
    int flags = LIBXSMM_GEMM_FLAG_NONE;
    libxsmm_blasint lda = mb, ldb = (libxsmm_blasint)k, ldc = (libxsmm_blasint)m;
    libxsmm_smmfunction f =
        libxsmm_smmdispatch(mb, B, (libxsmm_blasint)k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (!f) {
        fprintf(stderr, "step_vs_libxsmm: error: libxsmm has no kernel for %d x %d x %zu\n", mb,
                (int)B, k);
        return 1;
    }
    double best_own = 1e30, best_x = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (size_t t = 0; t < T; t++)
            for (size_t g = 0; g < gates; g++)
                cpu_gemm_packed(kern, B, H, k, h + t * B * k, k, wp + g * per, c + g * H, m, 0);
        double t1 = now();
        for (size_t t = 0; t < T; t++)
            for (size_t b = 0; b < m / (size_t)mb; b++)
                f(wx + b * mb * k, h + t * B * k, c + b * mb);
        double t2 = now();
        best_own = t1 - t0 < best_own ? t1 - t0 : best_own;
        best_x = t2 - t1 < best_x ? t2 - t1 : best_x;
    }
    double fl = 2.0 * T * B * (double)m * (double)k;
    printf("step %d x %zu x %zu, %d steps: charnn (%s tile) %.1f GFLOP/s, libxsmm (mb %d) %.1f\n",
           (int)B, m, k, (int)T, cpu_isa_name(kern->isa), fl / best_own * 1e-9, mb,
           fl / best_x * 1e-9);
    libxsmm_finalize();
    return 0;
}
