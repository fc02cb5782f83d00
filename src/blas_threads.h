/* blas_threads.h — the BLAS library's own thread count, whichever library
 * charnn is linked with (cmake/blas.cmake: OpenBLAS, FlexiBLAS, BLIS, MKL). */
#ifndef CHARNN_BLAS_THREADS_H
#define CHARNN_BLAS_THREADS_H

/* Sets the threads the BLAS runs its GEMMs on to n (n >= 1) through the
 * library's own call, the first one the linked library defines of
 * flexiblas_set_num_threads, openblas_set_num_threads,
 * bli_thread_set_num_threads, MKL_Set_Num_Threads. Returns 1 when one was
 * called, 0 when the library has none of them (a library threaded by OpenMP
 * alone then follows omp_set_num_threads). */
int blas_set_threads(int n);

#endif
