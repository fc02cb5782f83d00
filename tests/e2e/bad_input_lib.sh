# bad_input_lib.sh — what the bad-input scripts share (sourced, bash): the
# rule's checks, the fixtures and the dispatch. One script per program holds
# its cases: bad_input_train.sh (charnn-train), bad_input_sample.sh
# (charnn-sample), bad_input_driver.sh (expect_error.sh, the checker itself).
# bad_input.cmake registers each function case_<group>_<name> of them as the
# ctest bad_input.<group>.<name>. The rule under test: bad input gets ONE clear
# line on stderr ("charnn-train: error: ..." / "charnn-sample: error: ...",
# naming the file, option or byte offset), a non-zero exit below 128, no
# crash or sanitizer report (expect_error.sh checks all that), and nothing
# lost: every trainer case runs against an existing run directory, whose
# files (checkpoints, latest.h5 and its target, metrics.jsonl) must be
# byte-identical before and after, with no file added or removed.
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

EXPECT=(bash "$CHARNN_SOURCE/tests/e2e/expect_error.sh")
SMALL=(--hidden 16 --layers 1 --batch 4 --seq 16 --val-frac 0.05 --device cpu --threads 1)
NO_MPI=0

# ---- fixtures ----

# english text (~40 distinct characters) and a chinese one (~1200)
english() { gen_text english "${2:-20000}" 1 "$1"; }
chinese() { gen_text chinese "${2:-6000}" 2 "$1"; }

# make_run DIR: 3 steps on $WORK/a.txt, a checkpoint at every step; DIR then
# holds ckpt-00000001..3.h5, latest.h5 -> ckpt-00000003.h5, metrics.jsonl
make_run() {
    [ -f "$WORK/a.txt" ] || english "$WORK/a.txt"
    "$TRAIN" --data "$WORK/a.txt" --out "$1" "${SMALL[@]}" --steps 3 --save-every 1 \
        --eval-every 0 >"$WORK/make_run.log" 2>&1 ||
        { cat "$WORK/make_run.log" >&2; fail "fixture: training into $1 failed"; }
    [ "$(readlink "$1/latest.h5")" = ckpt-00000003.h5 ] || fail "fixture: no latest.h5 in $1"
}

# snapshot DIR [IGNORED_NAME]: every entry of DIR with its type and content
# (sha256 for files, the target for links), one per line
snapshot() {
    local dir=$1 ignore=${2:-} f name
    for f in "$dir"/* "$dir"/.[!.]*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        name=${f##*/}
        [ "$name" != "$ignore" ] || continue
        if [ -L "$f" ]; then
            echo "link $name -> $(readlink "$f")"
        elif [ -f "$f" ]; then
            echo "file $name $(sha256sum <"$f" | cut -d' ' -f1)"
        else
            echo "other $name"
        fi
    done
}

# expect_untouched DIR BEFORE [IGNORED_NAME]: DIR must still match the snapshot
expect_untouched() {
    local now
    now=$(snapshot "$1" "${3:-}")
    if [ "$now" != "$2" ]; then
        diff <(echo "$2") <(echo "$now") >&2 || true
        fail "the run directory $1 changed (see the diff above: < before, > after)"
    fi
}

# expect REGEX -- cmd...: expect_error.sh, with the failure reported here too
expect() {
    "${EXPECT[@]}" "$@" || fail "bad input not handled as required (see above)"
}

# guarded RUN REGEX -- cmd...: expect, and RUN must be untouched
guarded() {
    local run=$1 before
    shift
    before=$(snapshot "$run")
    expect "$@"
    expect_untouched "$run" "$before"
}

# train_case REGEX ARGS...: charnn-train with the small options, ARGS and
# --out on a fresh, existing run directory, which must stay untouched
train_case() {
    local regex=$1
    shift
    make_run "$WORK/run"
    guarded "$WORK/run" "$regex" -- "$TRAIN" "${SMALL[@]}" --out "$WORK/run" "$@"
}

# sample_case REGEX ARGS...: charnn-sample ARGS (@CKPT@ = the run's
# latest.h5); the run directory must stay untouched
sample_case() {
    local regex=$1 a args=()
    shift
    make_run "$WORK/run"
    for a in "$@"; do
        args+=("${a//@CKPT@/$WORK/run/latest.h5}")
    done
    guarded "$WORK/run" "$regex" -- "$SAMPLE" "${args[@]}"
}

need_mpi() {
    [ "$NO_MPI" = 0 ] || skip "charnn built without MPI"
    command -v mpirun >/dev/null || skip "mpirun not found"
}

# copy_ckpt NAME: a copy of the fixture's newest checkpoint, outside the run dir
copy_ckpt() {
    make_run "$WORK/run"
    cp "$WORK/run/ckpt-00000003.h5" "$WORK/$1"
}

# flip FILE OFFSET COUNT: invert COUNT bytes of FILE from OFFSET
flip() {
    "$PY" - "$@" <<'EOF'
import sys
path, off, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(path, "rb").read())
assert 0 <= off and off + count <= len(b), "flip outside the file"
for i in range(off, off + count):
    b[i] ^= 0xFF
open(path, "wb").write(bytes(b))
EOF
}

# heap_offset FILE: offset of HDF5's global heap collection ("GCOL": the
# variable-length strings, /model@cell and the /options values, live there).
# A file without one fails the test (in a command substitution, under set -e):
# charnn's checkpoints always have one, so none means the format changed and
# a case that damages the heap would test nothing.
heap_offset() {
    local at
    at=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().find(b"GCOL"))' "$1")
    [ "$at" -ge 0 ] || fail "$1 has no global heap (no GCOL): the heap cases need one (did the checkpoint format change?)"
    echo "$at"
}

size_of() { stat -c %s "$1"; }

# clear_header FILE: zero the 512-byte user block that holds charnn's header
# (length and CRC-64 of the rest); the file then reads like one written by
# h5py or an older charnn: HDF5's own checks only
clear_header() {
    dd if=/dev/zero of="$1" bs=512 count=1 conv=notrunc status=none
}

# bad_newline_ckpt NAME: a copy of the fixture's checkpoint whose option
# newline is "crlf" (no line-end mode), its header cleared (an h5py edit)
bad_newline_ckpt() {
    copy_ckpt "$1"
    clear_header "$WORK/$1"
    "$PY" - "$WORK/$1" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["options"].attrs.modify("newline", "crlf")
EOF
}

# ---- dispatch ----

list_cases() {
    declare -F | sed -n 's/^declare -f case_//p' | sed 's/^\(train\|sample\|driver\)_/\1./'
}

# bad_input_main [--no-mpi] CASE | --list: the end of every bad_input_*.sh;
# runs case_CASE (train.missing_data: case_train_missing_data), NO_MPI=1 after
# --no-mpi (the build has no MPI: the multi-rank cases skip); --list prints
# the script's cases
bad_input_main() {
    local me=${0##*/} fn
    if [ "${1:-}" = --no-mpi ]; then
        NO_MPI=1
        shift
    fi
    [ $# = 1 ] || fail "usage: $me [--no-mpi] CASE | --list"
    if [ "$1" = --list ]; then
        list_cases
        exit 0
    fi
    fn=case_${1/./_}
    declare -F "$fn" >/dev/null || fail "unknown case '$1' ($me --list)"
    "$fn"
}
