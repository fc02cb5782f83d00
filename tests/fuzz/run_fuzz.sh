#!/usr/bin/env bash
# run_fuzz.sh FUZZER SEEDS SECONDS ARTIFACTS [libFuzzer options...]
#
# One bounded fuzzing run (the ctests fuzz.*; also by hand for long runs):
# FUZZER runs for SECONDS (CHARNN_FUZZ_SECONDS in the environment wins) on
# a copy of the seed directory SEEDS, so the committed corpus is never
# changed; the seeds (regression inputs included) all run first. Any crash,
# sanitizer report, failed property, leak, timeout (-timeout=30 per input) or
# out-of-memory (-rss_limit_mb=2048) fails the run (exit 1): the input that
# did it is copied to ARTIFACTS/ with the command that replays it. The last
# line printed is a summary: "fuzz-stats: NAME seconds S execs N corpus C".
# A dictionary tests/fuzz/NAME.dict is used when there is one.
#
# Long runs, keeping what is found (new inputs go to the copy, which is
# thrown away; pass -merge=1 by hand to fold them into the seeds):
#   CHARNN_FUZZ_SECONDS=3600 tests/fuzz/run_fuzz.sh build-fuzz/tests/fuzz/fuzz_decode \
#       tests/fuzz/corpus/fuzz_decode 0 /tmp/found -jobs=2 -workers=2
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: run_fuzz.sh FUZZER SEEDS SECONDS ARTIFACTS [options...]" >&2; exit 2; }
fuzzer=$1 seeds=$2 seconds=${CHARNN_FUZZ_SECONDS:-$3} artifacts=$4
shift 4
name=$(basename "$fuzzer")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -x "$fuzzer" ] || { echo "run_fuzz.sh: no fuzzer at $fuzzer" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/charnn-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/found" "$work/tmp"
if [ -d "$seeds" ]; then
    find "$seeds" -maxdepth 1 -type f -exec cp {} "$work/corpus/" \;
fi
args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$work/found/")
[ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")

# Leaks count (libFuzzer's per-input leak check; third-party noise in
# lsan.supp); UBSan is fatal (built with -fno-sanitize-recover=undefined).
# LeakSanitizer keeps scanning thread-local storage here (use_tls, its
# default): these are clang's runtimes, not gcc's, whose tracer crashed on
# the dynamic TLS of a fresh image (tests/sanitize/README.md); and the
# fuzzers unwind fast, so the per-thread blocks libhdf5 keeps in TLS could
# not be matched by lsan.supp's frames if TLS were not scanned.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$here/../sanitize/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export TMPDIR=$work/tmp # the targets' scratch files
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

echo "fuzzing $name for ${seconds}s on $(find "$work/corpus" -type f | wc -l) seeds from $seeds"
"$fuzzer" "${args[@]}" "$@" "$work/corpus" >"$work/log" 2>&1
rc=$?
found=$(find "$work/found" -type f | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "FAIL: $name exited $rc with $found input(s) kept; the end of its output:"
    tail -n 120 "$work/log"
    mkdir -p "$artifacts"
    for f in "$work/found"/*; do
        [ -f "$f" ] || continue
        cp "$f" "$artifacts/"
        echo "kept: $artifacts/$(basename "$f") (replay: $fuzzer $artifacts/$(basename "$f"))"
    done
    echo "fuzz-stats: $name seconds $seconds execs ${execs:-?} FAILED"
    exit 1
fi
grep -E '^#[0-9]+.*(INITED|DONE)' "$work/log" | tail -n 2
echo "fuzz-stats: $name seconds $seconds execs ${execs:-?} corpus $(find "$work/corpus" -type f | wc -l)"
