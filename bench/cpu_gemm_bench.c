/* cpu_gemm_bench.c — benchmark: charnn's GEMM (cpu_gemm.h, each ISA the CPU
 * runs) against CBLAS (the OpenBLAS it is linked with) on the shapes of a
 * training step: the window-wide products (input projection, its two
 * gradients, the decoder's three) and one recurrence step's slice against
 * W_hh packed once (single-threaded, as each thread of backend_cpu_rnn.c
 * runs it). Prints GFLOP/s, the best of several repetitions, per second of
 * the process's CPU time (not wall time: on a shared machine the time this
 * process waited for a core is not counted; with 1 thread that is the
 * kernel's own rate, with T threads the CPU time of all T is counted).
 *
 * usage: cpu_gemm_bench [threads [hidden rows vocab]]   (default 1, 512 10000 65;
 * rows = batch x seq) */
#include "cpu_gemm.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void openblas_set_num_threads(int);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static float *rnd(size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / RAND_MAX - 0.5f;
    return x;
}

typedef struct {
    const char *what;
    int ta, tb;
    size_t m, n, k;
    float beta;
} shape;

/* best seconds of one product over reps runs; kern NULL: CBLAS */
static double time_gemm(const cpu_gemm_kernel *kern, const shape *s, const float *a,
                        const float *b, float *c, int reps)
{
    size_t lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (kern)
            cpu_gemm_blocked(kern, s->ta, s->tb, s->m, s->n, s->k, 1, a, lda, b, ldb, s->beta, c,
                             s->n);
        else
            cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                        s->tb ? CblasTrans : CblasNoTrans, (int)s->m, (int)s->n, (int)s->k, 1, a,
                        (int)lda, b, (int)ldb, s->beta, c, (int)s->n);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* the recurrence step: C (rows, n) = A (rows, k) P, P packed once */
static double time_step(const cpu_gemm_kernel *kern, size_t rows, size_t n, size_t k,
                        const float *a, const float *b, float *c, int reps)
{
    float *p = malloc(cpu_gemm_panels_size(kern, k, n) * sizeof *p);
    cpu_gemm_pack(kern, b, k, 1, k, n, 1, p);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < 10; i++)
            cpu_gemm_packed(kern, rows, n, k, a, k, p, c, n, 0);
        double t = (now() - t0) / 10;
        best = t < best ? t : best;
    }
    free(p);
    return best;
}

static double time_step_blas(size_t rows, size_t n, size_t k, const float *a, const float *b,
                             float *c, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < 10; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)k, 1, a,
                        (int)k, b, (int)k, 0, c, (int)n);
        double t = (now() - t0) / 10;
        best = t < best ? t : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    size_t h = argc > 2 ? strtoul(argv[2], NULL, 10) : 512;
    size_t rows = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    size_t v = argc > 4 ? strtoul(argv[4], NULL, 10) : 65;
    size_t gh = 4 * h, batch = rows / 100 ? rows / 100 : 1;
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    shape shapes[] = {
        {"input projection x W_ih^T", 0, 1, rows, gh, h, 1},
        {"input gradient dxg W_ih", 0, 0, rows, h, gh, 0},
        {"weight gradient dxg^T x", 1, 0, gh, h, rows, 1},
        {"decoder h W_dec^T", 0, 1, rows, v, h, 1},
        {"decoder gradient dz W_dec", 0, 0, rows, h, v, 0},
        {"decoder weight gradient dz^T h", 1, 0, v, h, rows, 1},
    };
    size_t big = rows * gh > gh * h ? rows * gh : gh * h;
    big = big > rows * v ? big : rows * v;
    float *a = rnd(big), *b = rnd(big), *c = rnd(big);
    const char *names[] = {"avx512", "avx2", "baseline"};
    printf("threads %d; GFLOP per CPU second, best of 5 (LSTM, hidden %zu, rows %zu, vocab %zu)\n", threads, h,
           rows, v);
    printf("%-34s %9s %9s %9s %9s\n", "product (m x n x k)", names[0], names[1], names[2],
           "CBLAS");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        const shape *s = &shapes[i];
        double fl = 2.0 * s->m * s->n * s->k;
        printf("%-34s", s->what);
        for (int isa = CPU_ISA_AVX512; isa >= CPU_ISA_BASELINE; isa--) {
            if (!cpu_isa_supported((cpu_isa)isa)) {
                printf(" %9s", "-");
                continue;
            }
            printf(" %9.1f", fl * 1e-9 / time_gemm(cpu_gemm_kernel_of((cpu_isa)isa), s, a, b, c, 5));
        }
        printf(" %9.1f\n", fl * 1e-9 / time_gemm(NULL, s, a, b, c, 5));
    }
    /* one thread's step slice: rows = batch, n = G*H / threads (per gate in
     * the forward: H / threads, 4 times), k = H; backward k = G*H */
    size_t nu = h / (size_t)threads;
    struct {
        const char *what;
        size_t n, k;
    } steps[] = {{"step fwd (batch x H/T x H)", nu, h}, {"step bwd (batch x H/T x 4H)", nu, gh}};
    for (size_t i = 0; i < 2; i++) {
        double fl = 2.0 * batch * steps[i].n * steps[i].k;
        printf("%-34s", steps[i].what);
        for (int isa = CPU_ISA_AVX512; isa >= CPU_ISA_BASELINE; isa--)
            printf(" %9.1f", cpu_isa_supported((cpu_isa)isa)
                                 ? fl * 1e-9 / time_step(cpu_gemm_kernel_of((cpu_isa)isa), batch,
                                                         steps[i].n, steps[i].k, a, b, c, 20)
                                 : 0);
        printf(" %9.1f\n", fl * 1e-9 / time_step_blas(batch, steps[i].n, steps[i].k, a, b, c, 20));
    }
    return 0;
}
