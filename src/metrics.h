/* metrics.h — the JSON-lines metrics file (rank 0 only). One object per
 * line: training lines {"type":"train","step","epoch","loss","grad_norm",
 * "chars_per_s","time_s"} and evaluation lines {"type":"eval","step",
 * "epoch","val_loss","time_s"}. */
#ifndef CHARNN_METRICS_H
#define CHARNN_METRICS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *f; /* NULL: metrics off (ranks other than 0) */
} metrics;

/* Opens path for appending (append != 0, a resumed run) or truncating;
 * creates the parent directory when missing. -1 with an error naming it. */
int metrics_open(metrics *mt, const char *path, int append);
void metrics_train(metrics *mt, uint64_t step, double epoch, double loss, double grad_norm,
                   double chars_per_s, double time_s);
void metrics_eval(metrics *mt, uint64_t step, double epoch, double val_loss, double time_s);
void metrics_close(metrics *mt);

#endif
