/* omp_policy.h — the OpenMP wait policy of the executables (see omp_policy.c). */
#ifndef CHARNN_OMP_POLICY_H
#define CHARNN_OMP_POLICY_H

/* First thing in main: unless OMP_WAIT_POLICY is set, sets it to passive and
 * re-executes the program with the same arguments (returns only when it is
 * set already, or the re-exec failed). */
void omp_policy_apply(char **argv);

#endif
