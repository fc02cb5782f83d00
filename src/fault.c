/* fault.c — test-only fault injection from CHARNN_FAULT_INJECT (see fault.h). */
#include "fault.h"

#include "error.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FAULT_MAX = 16, FAULT_NAME = 32 };

typedef struct {
    char kind[FAULT_NAME];  /* nan-grad, inf-loss, drift, kill */
    char point[FAULT_NAME]; /* kill: the point's name */
    uint64_t when;          /* the step, or for kill the visit (1-based) */
    uint64_t visits;        /* kill: visits so far */
} fault_item;

static fault_item faults[FAULT_MAX];
static int n_faults;

static int fault_parse_item(const char *item, fault_item *f)
{
    static const char *const step_kinds[] = {"nan-grad", "inf-loss", "drift", "leak"};
    const char *at = strchr(item, '@');
    char *end;
    memset(f, 0, sizeof *f);
    if (!at || (size_t)(at - item) >= FAULT_NAME)
        return -1;
    memcpy(f->kind, item, (size_t)(at - item));
    if (strcmp(f->kind, "kill") == 0) {
        const char *hash = strchr(at + 1, '#');
        size_t len = hash ? (size_t)(hash - at - 1) : strlen(at + 1);
        if (len == 0 || len >= FAULT_NAME)
            return -1;
        memcpy(f->point, at + 1, len);
        f->when = hash ? strtoull(hash + 1, &end, 10) : 1;
        return hash && (*end || f->when == 0) ? -1 : 0;
    }
    for (size_t i = 0; i < sizeof step_kinds / sizeof *step_kinds; i++)
        if (strcmp(f->kind, step_kinds[i]) == 0) {
            f->when = strtoull(at + 1, &end, 10);
            return end == at + 1 || *end || f->when == 0 ? -1 : 0;
        }
    return -1;
}

int fault_init(void)
{
    const char *spec = getenv("CHARNN_FAULT_INJECT");
    char buf[512];
    n_faults = 0;
    if (!spec || !*spec)
        return 0;
    if (strlen(spec) >= sizeof buf)
        return error_set("CHARNN_FAULT_INJECT is too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (n_faults == FAULT_MAX || fault_parse_item(item, &faults[n_faults]) != 0)
            return error_set("CHARNN_FAULT_INJECT: bad item '%s' (expected nan-grad@STEP, "
                             "inf-loss@STEP, drift@STEP, leak@STEP or kill@POINT[#K])",
                             item);
        n_faults++;
    }
    return 0;
}

int fault_at_step(const char *kind, uint64_t step)
{
    for (int i = 0; i < n_faults; i++)
        if (strcmp(faults[i].kind, kind) == 0 && faults[i].when == step)
            return 1;
    return 0;
}

/* The pointer passes through a volatile variable, so the allocation is
 * made (not optimised away), and is then overwritten: nothing refers to the
 * block once this frame is gone. */
static void *volatile fault_leaked; /* fault_leak's block passes through here */

__attribute__((noinline)) void fault_leak(uint64_t step)
{
    char *p = malloc(4096);
    if (p)
        snprintf(p, 4096, "charnn: fault injection: leaked at step %" PRIu64, step);
    fault_leaked = p;
    fault_leaked = NULL;
}

void fault_point(const char *point)
{
    for (int i = 0; i < n_faults; i++) {
        fault_item *f = &faults[i];
        if (strcmp(f->kind, "kill") != 0 || strcmp(f->point, point) != 0)
            continue;
        if (++f->visits == f->when) {
            fprintf(stderr, "charnn: fault injection: SIGKILL at %s #%" PRIu64 "\n", point,
                    f->visits);
            raise(SIGKILL);
        }
    }
}
