#!/bin/bash
# bad_input_driver.sh CASE — the bad-input checker itself must be able to fail:
# case_driver_selftest (the ctest bad_input.driver.selftest) feeds
# expect_error.sh behaviour it must reject.
# The rule, the fixtures and the dispatch: bad_input_lib.sh.
#   bash bad_input_driver.sh [--no-mpi] CASE | --list
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/bad_input_lib.sh"

# expect_error.sh must reject each of these
case_driver_selftest() {
    local bad=0
    make_run "$WORK/run"
    # the right regex passes (the control)
    "${EXPECT[@]}" "--hidden: 0 is out of range" -- "$TRAIN" --hidden 0 >/dev/null ||
        fail "the driver rejects a good case"
    refuse() {
        local why=$1
        shift
        if "${EXPECT[@]}" "$@" >/dev/null 2>"$WORK/selftest.err"; then
            echo "driver accepted: $why" >&2
            bad=1
        else
            echo "ok: refused $why"
        fi
    }
    refuse "a wrong regex" "--hidden: 1 is out of range" -- "$TRAIN" --hidden 0
    refuse "a regex for the other program" "^charnn-sample" -- "$TRAIN" --hidden 0
    refuse "exit status 0" "." -- "$SAMPLE" "$WORK/run/latest.h5" --length 3 --device cpu
    refuse "a wrong --status" --status 3 "out of range" -- "$TRAIN" --hidden 0
    refuse "two lines" "first" -- sh -c 'echo "charnn-train: error: first" >&2; echo "charnn-train: error: second" >&2; exit 1'
    refuse "a missing newline" "x" -- sh -c 'printf "charnn-train: error: x" >&2; exit 1'
    refuse "an empty stderr" "." -- sh -c 'exit 1'
    refuse "a line without the prefix" "x" -- sh -c 'echo "error: x" >&2; exit 1'
    refuse "a crash (SIGSEGV)" "x" -- sh -c 'echo "charnn-train: error: x" >&2; kill -SEGV $$'
    refuse "exit status 134" "x" -- sh -c 'echo "charnn-train: error: x" >&2; exit 134'
    refuse "error text on stdout" "x" -- sh -c 'echo "charnn-train: error: x" >&2; echo "error: x"; exit 1'
    refuse "a UBSan line" "x" -- sh -c 'echo "charnn-train: error: x runtime error: signed overflow" >&2; exit 1'
    refuse "a usage error (no --)" "x" "$TRAIN"
    grep -q "does not match" <("${EXPECT[@]}" "nomatch" -- "$TRAIN" --hidden 0 2>&1) ||
        fail "a wrong regex is not reported as a mismatch"
    [ "$bad" = 0 ] || fail "the driver accepted bad behaviour"
}

bad_input_main "$@"
