/* parity_util.h — what the GPU parity tests (test_parity.c and
 * test_parity_model.c, one executable) share: the two backends, the check
 * counters, random fills from a fresh counter-RNG stream each, buffers
 * held on both backends, and the comparisons, which count every check and
 * print "FAIL what: ..." for each one that fails. */
#ifndef CHARNN_PARITY_UTIL_H
#define CHARNN_PARITY_UTIL_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

#define COUNT(a) (sizeof(a) / sizeof *(a))

extern const backend *cpu, *gpu; /* set by main before any test */
extern int failures, checks;

/* zeroed host memory, or exit(1) */
void *xalloc(size_t bytes);
/* x[i] uniform in [lo, hi) */
void fill(float *x, size_t n, double lo, double hi);
float *rand_host(size_t n, double lo, double hi);
/* x[i] uniform in [0, v) */
void fill_ids(int32_t *x, size_t n, size_t v);

/* The same contents on both backends: .c (host memory, CPU backend), .g (device). */
typedef struct {
    float *c, *g;
    size_t n;
} pair;

pair pair_from(const float *host, size_t n); /* host NULL: contents unset */
pair pair_rand(size_t n, double lo, double hi);
void pair_free(pair p);
int32_t *ids_on_gpu(const int32_t *host, size_t n);
/* a host copy of n floats of device memory (free it) */
float *fetch(const float *dev, size_t n);

/* counts a check; prints "FAIL what: " fmt(err) when !ok */
void report(int ok, const char *fmt, const char *what, double err);
/* ||got - want|| / ||want|| <= tol; returns that error */
double expect_rel_norm(const char *what, const float *got, const float *want, size_t n,
                       double tol);
/* every |got - want| <= atol + rtol |want| */
void expect_close(const char *what, const float *got, const float *want, size_t n, double atol,
                  double rtol);
/* bit for bit */
void expect_same(const char *what, const float *got, const float *want, size_t n);
/* the device buffer p.g against the host buffer p.c */
void pair_close(const char *what, pair p, double atol, double rtol);
void pair_rel(const char *what, pair p, double tol);
void pair_same(const char *what, pair p);

/* the whole model on both backends (test_parity_model.c) */
void test_model(void);

#endif
