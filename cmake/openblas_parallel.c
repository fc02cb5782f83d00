/* openblas_parallel.c — configure-time probe (cmake/blas.cmake): exits with
 * OpenBLAS's threading model, openblas_get_parallel(): 0 sequential,
 * 1 pthreads, 2 OpenMP. */
#include <cblas.h>

int main(void) { return openblas_get_parallel(); }
