#!/bin/bash
# tests/slurm/fixture_ci.sh — a private Slurm cluster that cannot start
# (tests/slurm/cluster.sh) is a skip on a developer's machine and a failure
# under CI: the cluster is started with a slurmd that exits at once (first
# on PATH; munged and slurmctld are the real ones), once without CI, where
# it must exit 77 saying why, once with CI=true, where it must exit 1 with
# one FAIL line saying that under CI this is a failure. A few seconds.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho "fake slurmd: exiting at once" >&2\nexit 1\n' >"$WORK/bin/slurmd"
chmod +x "$WORK/bin/slurmd"

# start CI-VALUE: the cluster's start in a shell of its own (its own $WORK,
# its own cleanup), with CI set to CI-VALUE; exit status in $rc, output in
# $WORK/ci-VALUE.log
start() {
    rc=0
    # shellcheck disable=SC2016 # expanded by that bash
    env CI="$1" PATH="$WORK/bin:$PATH" bash -c \
        '. "$CHARNN_SOURCE/tests/e2e/lib.sh" && . "$CHARNN_SOURCE/tests/slurm/cluster.sh" && slurm_cluster_start && echo "cluster started"' \
        >"$WORK/ci-$1.log" 2>&1 || rc=$?
}

start ""
[ "$rc" = 77 ] || { cat "$WORK/ci-.log"; fail "without CI: exit $rc, expected 77 (skip)"; }
grep -q '^skipped: ' "$WORK/ci-.log" || { cat "$WORK/ci-.log"; fail "without CI: no 'skipped:' line"; }
echo "ok: without CI: skipped ($(grep '^skipped: ' "$WORK/ci-.log"))"
start true
[ "$rc" = 1 ] || { cat "$WORK/ci-true.log"; fail "CI=true: exit $rc, expected 1 (a failure)"; }
grep -q '^FAIL: the private Slurm cluster cannot start (CI=true: a failure, not a skip): ' "$WORK/ci-true.log" ||
    { cat "$WORK/ci-true.log"; fail "CI=true: no FAIL line saying why"; }
echo "ok: CI=true: failed ($(grep '^FAIL: ' "$WORK/ci-true.log"))"
