/* omp_policy.c — makes OpenMP threads sleep rather than spin while they wait,
 * unless the user chose otherwise (OMP_WAIT_POLICY set).
 *
 * Spinning threads starve the ones doing the work as soon as the cores are
 * shared (other ranks, other jobs, ctest -j): measured on 2 cores, 2 threads,
 * LSTM 2x256 under a light load: ~1.5k chars/s spinning vs ~7.4k sleeping.
 * libgomp reads the policy once, in its constructor, before main runs; so the
 * process re-executes itself once with the variable set. */
#include "omp_policy.h"

#include <stdlib.h>
#include <unistd.h>

void omp_policy_apply(char **argv)
{
    if (getenv("OMP_WAIT_POLICY"))
        return;
    if (setenv("OMP_WAIT_POLICY", "passive", 0) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: go on with the default policy */
}
