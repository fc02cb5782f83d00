/* test_blas_threads.c — blas_set_threads reaches the linked BLAS's own thread
 * setter (OpenBLAS, BLIS, FlexiBLAS or MKL: whichever this build links,
 * cmake/blas.cmake), and the library then reports that many threads where it
 * has a getter; the GEMM still computes the same product at 1 and 3 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blas_threads.h"

#include <cblas.h>

/* the getters, weak as the setters are: only the linked library's is non-null */
int openblas_get_num_threads(void) __attribute__((weak));
long bli_thread_get_num_threads(void) __attribute__((weak));
int flexiblas_get_num_threads(void) __attribute__((weak));
int MKL_Get_Max_Threads(void) __attribute__((weak));

static long tb_library_threads(void)
{
    if (flexiblas_get_num_threads)
        return flexiblas_get_num_threads();
    if (openblas_get_num_threads)
        return openblas_get_num_threads();
    if (bli_thread_get_num_threads)
        return bli_thread_get_num_threads();
    if (MKL_Get_Max_Threads)
        return MKL_Get_Max_Threads();
    return -1;
}

static void test_setter_reaches_library(void **state)
{
    (void)state;
    /* every BLAS cmake/blas.cmake accepts has a setter */
    assert_int_equal(blas_set_threads(3), 1);
    long got = tb_library_threads();
    assert_true(got == -1 || got == 3);
    assert_int_equal(blas_set_threads(1), 1);
    got = tb_library_threads();
    assert_true(got == -1 || got == 1);
}

/* C = A B for a 67x45 by 45x53 product, at 1 and 3 threads: equal to a plain
 * triple loop within float rounding either way. */
static void test_gemm_any_threads(void **state)
{
    (void)state;
    enum { M = 67, K = 45, N = 53 };
    static float a[M * K], b[K * N], c[M * N], ref[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((i * 37 % 101) - 50) / 64.0f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 53 % 97) - 48) / 64.0f;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)a[i * K + k] * b[k * N + j];
            ref[i * N + j] = (float)s;
        }
    for (int threads = 1; threads <= 3; threads += 2) {
        assert_int_equal(blas_set_threads(threads), 1);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
        for (int i = 0; i < M * N; i++)
            assert_float_equal(c[i], ref[i], 1e-4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setter_reaches_library),
        cmocka_unit_test(test_gemm_any_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
