/* rel_norm.h — the tests' one measure of how far a result is from its
 * reference: ||got - want|| / ||want|| in double (||got - want|| where want
 * is all zeros). A NaN anywhere gives NaN, which no `e <= tol` accepts. */
#ifndef CHARNN_TEST_REL_NORM_H
#define CHARNN_TEST_REL_NORM_H

#include "real.h"

#include <math.h>
#include <stddef.h>

static inline double rel_norm(const real *got, const real *want, size_t n)
{
    double d2 = 0, w2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        d2 += d * d;
        w2 += (double)want[i] * want[i];
    }
    return w2 > 0 ? sqrt(d2 / w2) : sqrt(d2);
}

#endif
