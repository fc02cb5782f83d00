/* fault.h — test-only fault injection, driven by the environment variable
 * CHARNN_FAULT_INJECT (never by an option: it is not a feature). The value
 * is a comma-separated list of KIND@WHEN items:
 *   nan-grad@S       step S (1-based): rank 0's gradient gets a NaN
 *   inf-loss@S       step S: rank 0's loss sum becomes +inf
 *   drift@S          after step S: the last rank nudges one parameter
 *   leak@S           step S: rank 0 loses 4 KiB (fault_leak), which a
 *                    LeakSanitizer build must report at exit
 *   kill@POINT[#K]   SIGKILL at the K-th (default 1st) time the process
 *                    reaches the named point (see fault_point)
 * docs/reliability.md lists which test uses which. An unknown or malformed
 * item is an error (a test that injects nothing would pass vacuously). */
#ifndef CHARNN_FAULT_H
#define CHARNN_FAULT_H

#include <stdint.h>

/* Parses CHARNN_FAULT_INJECT once; -1 with the error set when malformed. */
int fault_init(void);
/* 1 when `kind@step` was asked for. */
int fault_at_step(const char *kind, uint64_t step);
/* Allocates 4 KiB and drops the only pointer to it: a real leak, for the
 * test that proves the sanitizer build still reports charnn's own leaks. */
void fault_leak(uint64_t step);
/* Names a point in the code (e.g. "ckpt-written"); kills the process with
 * SIGKILL when kill@POINT asks for this visit. */
void fault_point(const char *point);

#endif
