/* profile.h — wall time of each phase of a training step (--profile),
 * accumulated per rank and reported over the log interval as one metrics
 * line with every rank's figure and the min / median / max across ranks. */
#ifndef CHARNN_PROFILE_H
#define CHARNN_PROFILE_H

#include "metrics.h"

#include <stdint.h>

typedef enum {
    PROF_DATA,       /* cutting the window out of the rows */
    PROF_COMPUTE,    /* forward + backward */
    PROF_ALLREDUCE,  /* gradient and loss sums over the ranks */
    PROF_OPTIM,      /* norm, clip, Adam */
    PROF_CHECKPOINT, /* state gather + write (rank 0) */
    PROF_EVAL,       /* validation passes */
    PROF_PHASES
} prof_phase;

typedef struct {
    double seconds[PROF_PHASES];
    uint64_t steps; /* training steps in the interval */
} profile;

/* Adds the time since *t0 (os_now, osutil.h) to phase and sets *t0 to now. */
void profile_lap(profile *p, prof_phase phase, double *t0);
/* Collective: gathers every rank's interval to rank 0, which writes
 * {"type":"profile","step","steps","ranks","ms_per_step":{phase:{"min",
 * "median","max","ranks":[...]}}}; then starts a new interval. */
void profile_report(profile *p, int rank, int size, metrics *mt, uint64_t step);

#endif
