/* blas_threads.c — blas_set_threads: each library's own thread setter,
 * declared weak, so that only the linked library's is defined (non-null). */
#include "blas_threads.h"

#include <assert.h>
#include <stddef.h>

void flexiblas_set_num_threads(int) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
void bli_thread_set_num_threads(long) __attribute__((weak));
void MKL_Set_Num_Threads(int) __attribute__((weak));

int blas_set_threads(int n)
{
    assert(n >= 1);
    if (flexiblas_set_num_threads)
        flexiblas_set_num_threads(n);
    else if (openblas_set_num_threads)
        openblas_set_num_threads(n);
    else if (bli_thread_set_num_threads)
        bli_thread_set_num_threads(n);
    else if (MKL_Set_Num_Threads)
        MKL_Set_Num_Threads(n);
    else
        return 0;
    return 1;
}
