/* real.h — the floating type of the model arithmetic.
 * float everywhere; the gradient-check test compiles the model and the CPU
 * backend a second time with -DCHARNN_DOUBLE to get a double reference. */
#ifndef CHARNN_REAL_H
#define CHARNN_REAL_H

#ifdef CHARNN_DOUBLE
typedef double real;
#else
typedef float real;
#endif

#endif
