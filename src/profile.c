/* profile.c — per-phase step timings across ranks (see profile.h). */
#include "profile.h"

#include "comm.h"
#include "error.h"
#include "osutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[PROF_PHASES] = {"data",       "compute", "allreduce",
                                                     "optim",      "checkpoint", "eval"};

void profile_lap(profile *p, prof_phase phase, double *t0)
{
    double t = os_now();
    p->seconds[phase] += t - *t0;
    *t0 = t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* one phase: {"min":..,"median":..,"max":..,"ranks":[...]} from ms[r] */
static void write_phase(FILE *f, const double *ms, int size, double *sorted)
{
    memcpy(sorted, ms, (size_t)size * sizeof *sorted);
    qsort(sorted, (size_t)size, sizeof *sorted, cmp_double);
    double median = size % 2 ? sorted[size / 2]
                             : 0.5 * (sorted[size / 2 - 1] + sorted[size / 2]);
    fprintf(f, "{\"min\":%.4f,\"median\":%.4f,\"max\":%.4f,\"ranks\":[", sorted[0], median,
            sorted[size - 1]);
    for (int r = 0; r < size; r++)
        fprintf(f, "%s%.4f", r ? "," : "", ms[r]);
    fputs("]}", f);
}

void profile_report(profile *p, int rank, int size, metrics *mt, uint64_t step)
{
    size_t n = (size_t)size;
    size_t *bytes = xmalloc(n * sizeof *bytes, "profile sizes");
    double *all = rank == 0 ? xmalloc(n * PROF_PHASES * sizeof *all, "profile") : NULL;
    for (size_t r = 0; r < n; r++)
        bytes[r] = sizeof p->seconds;
    comm_gather(p->seconds, all, bytes, 0);
    if (rank == 0 && mt->f && p->steps > 0) {
        double *ms = xmalloc(2 * n * sizeof *ms, "profile row");
        fprintf(mt->f, "{\"type\":\"profile\",\"step\":%llu,\"steps\":%llu,\"ranks\":%d,"
                       "\"ms_per_step\":{",
                (unsigned long long)step, (unsigned long long)p->steps, size);
        for (int ph = 0; ph < PROF_PHASES; ph++) {
            for (size_t r = 0; r < n; r++)
                ms[r] = 1e3 * all[r * PROF_PHASES + (size_t)ph] / (double)p->steps;
            fprintf(mt->f, "%s\"%s\":", ph ? "," : "", phase_names[ph]);
            write_phase(mt->f, ms, size, ms + n);
        }
        fputs("}}\n", mt->f);
        fflush(mt->f);
        free(ms);
    }
    free(all);
    free(bytes);
    memset(p, 0, sizeof *p);
}
