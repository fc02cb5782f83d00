#!/bin/bash
# prep_memory.sh — corpora larger than memory: a 1000 MiB text (a generated
# 1 MiB block written 1000 times) is prepared and trained on under an
# address-space limit (ulimit -v) that it does not fit in:
#   1. charnn-prep under ulimit -v 400 MiB (the text is 1000 MiB) succeeds; the
#      CORPUS.h5 holds the right ids (samples at the start, the end and /val);
#   2. charnn-train's own address space does not depend on the data (shared
#      libraries, CUDA's when built with it, OpenBLAS buffers, MPI): it is
#      measured on a tiny CORPUS.h5 (VmPeak of one rank, polled), and the limit for
#      training is that plus 256 MiB of headroom, less than half the text;
#      under it, training on the text file fails (out of memory: the negative
#      control, showing that the limit binds), and 2 ranks (mpirun; 1 rank
#      when mpirun cannot start under the limit) train 20 steps with
#      validation on the CORPUS.h5;
#   3. peak resident memory (GNU time, when installed) of prep and of the
#      training ranks is reported, and a rank on the 1000 MiB corpus uses at
#      most 64 MiB more than on the tiny one.
# Needs 4 GB of free disk in $TMPDIR (else skipped): the text and the
# CORPUS.h5 (2 bytes per character).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
MPI=1
if [ "${1:-}" = --no-mpi ] || ! command -v mpirun >/dev/null; then
    MPI=0
    echo "note: no MPI: training runs on 1 rank"
fi
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
[ "$free_kb" -ge $((4 * 1024 * 1024)) ] ||
    skip "needs 4 GB free in $WORK's file system, has $((free_kb / 1024)) MB"
# 1000 MiB of text: its CORPUS.h5 (2 bytes an id) is larger than the
# training limit below even for a CUDA build (whose libraries alone map
# ~1.4 GiB of address space)
BLOCKS=1000

PREP_LIMIT_KB=$((400 * 1024))
HEADROOM_KB=$((256 * 1024))
TIMEOUT=300 # OpenBLAS retries a failed buffer mmap forever: never wait on a hang

# measure NAME cmd...: runs cmd; with GNU time, records its peak RSS (the
# largest of it and its waited-for children) in $WORK/NAME.time
HAVE_TIME=0
/usr/bin/time -f %M true >/dev/null 2>&1 && HAVE_TIME=1
measure() {
    local name=$1
    shift
    if [ $HAVE_TIME = 1 ]; then
        /usr/bin/time -f "%M %e" -o "$WORK/$name.time" "$@"
    else
        "$@"
    fi
}
rss_mb() { [ -f "$WORK/$1.time" ] && awk '{ printf "%.0f", $1 / 1024 }' "$WORK/$1.time" || echo "?"; }
secs() { [ -f "$WORK/$1.time" ] && awk '{ print $2 }' "$WORK/$1.time" || echo "?"; }

# vm_peak cmd...: runs cmd, polling its VmPeak (a high-water mark) every
# 20 ms; sets VM_PEAK_KB and RC
vm_peak() {
    "$@" &
    local pid=$! v
    VM_PEAK_KB=0
    while kill -0 $pid 2>/dev/null; do
        v=$(awk '/^VmPeak/ { print $2 }' /proc/$pid/status 2>/dev/null || true)
        if [ -n "$v" ] && [ "$v" -gt "$VM_PEAK_KB" ]; then VM_PEAK_KB=$v; fi
        sleep 0.02
    done
    RC=0
    wait $pid || RC=$?
}

NP=0
[ $MPI = 0 ] || NP=2
set_launch() { # LAUNCH: charnn-train on NP ranks (0: directly, without mpirun)
    if [ $NP = 0 ]; then LAUNCH=("$TRAIN"); else
        LAUNCH=(mpirun -np $NP --oversubscribe --bind-to none "$TRAIN"); fi
}
set_launch
OPTS=(--hidden 32 --layers 1 --batch 8 --seq 32 --steps 20 --log-every 10 --save-every 0
      --eval-every 0 --device cpu --threads 1)

# ---- the text ----
gen_text english 1048576 7 "$WORK/block.txt"
for _ in $(seq $BLOCKS); do cat "$WORK/block.txt"; done >"$WORK/big.txt"
TEXT_KB=$(($(stat -c %s "$WORK/big.txt") / 1024))
echo "text: $((TEXT_KB / 1024)) MiB"
[ "$TEXT_KB" -gt "$PREP_LIMIT_KB" ] || fail "the text is not larger than the prep limit"

# ---- 1. prep under ulimit -v 400 MiB ----
rc=0
(
    ulimit -v $PREP_LIMIT_KB
    measure prep timeout $TIMEOUT "$PREP" "$WORK/big.txt" -o "$WORK/big.h5" --val-frac 0.000002
) >"$WORK/prep.log" 2>&1 || rc=$?
cat "$WORK/prep.log"
[ $rc = 0 ] || fail "charnn-prep under ulimit -v $PREP_LIMIT_KB kB: exit $rc"
echo "prep: under ulimit -v $((PREP_LIMIT_KB / 1024)) MiB, peak RSS $(rss_mb prep) MiB, $(secs prep) s"
"$PY" - "$WORK/block.txt" "$WORK/big.h5" "$BLOCKS" <<'PYEOF' || fail "big.h5 holds the wrong ids"
import sys, h5py, numpy as np
block = open(sys.argv[1], encoding="utf-8").read()
f = h5py.File(sys.argv[2], "r")
vocab = f["vocab"][()]
index = {chr(c): i for i, c in enumerate(vocab)}
B = np.array([index[c] for c in block], dtype=np.uint16)
n_train, n_val = int(f.attrs["n_train"]), int(f.attrs["n_val"])
n = n_train + n_val
assert n == int(sys.argv[3]) * len(block), (n, len(block))
assert vocab.tolist() == sorted(ord(c) for c in set(block))
def want(a, b):
    return np.resize(np.roll(B, -(a % len(B))), b - a)
for a, b in ((0, 2_000_000), (n_train - 2_000_000, n_train), (n_train // 3, n_train // 3 + 99_999)):
    assert np.array_equal(f["train"][a:b], want(a, b)), ("train", a, b)
assert np.array_equal(f["val"][:], want(n_train, n)), "val"
print(f"big.h5: {n} ids ({f['train'].dtype}), vocabulary {vocab.size}; samples of /train and all of /val check out")
PYEOF

# ---- 2. training ----
"$PREP" "$WORK/block.txt" -o "$WORK/tiny.h5" --val-frac 0.01 >/dev/null
# one rank, without mpirun (a rank under mpirun maps a little more: MPI's
# shared memory, well within the headroom)
vm_peak "$TRAIN" --data "$WORK/tiny.h5" "${OPTS[@]}" --out "$WORK/tiny" >"$WORK/tiny.log" 2>&1
[ $RC = 0 ] || { cat "$WORK/tiny.log"; fail "training on the tiny corpus"; }
BASE_KB=$VM_PEAK_KB
LIMIT_KB=$((BASE_KB + HEADROOM_KB))
echo "charnn-train address space on a 1 MiB corpus: $((BASE_KB / 1024)) MiB (VmPeak);" \
    "limit for training: $((LIMIT_KB / 1024)) MiB = that + $((HEADROOM_KB / 1024)) MiB"
[ "$TEXT_KB" -gt $((2 * HEADROOM_KB)) ] || fail "the text is not larger than twice the headroom"

limited() { # limited LOG NAME cmd...: under ulimit -v LIMIT_KB, measured
    local log=$1 name=$2
    shift 2
    local rc=0
    (
        ulimit -v $LIMIT_KB
        measure "$name" timeout $TIMEOUT "$@"
    ) >"$log" 2>&1 || rc=$?
    return $rc
}
if [ $NP != 0 ] && ! limited "$WORK/tiny2.log" tiny "${LAUNCH[@]}" --data "$WORK/tiny.h5" "${OPTS[@]}" \
    --out "$WORK/tiny2"; then
    cat "$WORK/tiny2.log"
    echo "note: mpirun cannot start under ulimit -v $LIMIT_KB kB: training runs on 1 rank"
    NP=0
    set_launch
fi
limited "$WORK/tiny3.log" tiny "${LAUNCH[@]}" --data "$WORK/tiny.h5" "${OPTS[@]}" --out "$WORK/tiny3" ||
    { cat "$WORK/tiny3.log"; fail "the tiny corpus does not train under the limit"; }

# the negative control: the text file does not fit
rc=0
limited "$WORK/text.log" text "${LAUNCH[@]}" --data "$WORK/big.txt" "${OPTS[@]}" --out "$WORK/text" ||
    rc=$?
grep -q "out of memory" "$WORK/text.log" && [ $rc != 0 ] ||
    { cat "$WORK/text.log"; fail "training on the 1000 MiB text file did not run out of memory under the limit"; }
echo "text file under the limit: $(grep -m1 'out of memory' "$WORK/text.log")"

# the CORPUS.h5 does, though it is larger than the limit itself
H5_KB=$(( $(stat -c %s "$WORK/big.h5") / 1024 ))
[ "$H5_KB" -gt "$LIMIT_KB" ] ||
    fail "big.h5 ($((H5_KB / 1024)) MiB) is not larger than the training limit ($((LIMIT_KB / 1024)) MiB)"
echo "big.h5: $((H5_KB / 1024)) MiB, the training limit $((LIMIT_KB / 1024)) MiB"
limited "$WORK/big.log" big "${LAUNCH[@]}" --data "$WORK/big.h5" "${OPTS[@]}" --out "$WORK/big" ||
    { cat "$WORK/big.log"; fail "training on big.h5 under ulimit -v $LIMIT_KB kB"; }
cat "$WORK/big.log"
grep -q "^done: step 20" "$WORK/big.log" || fail "no 20 steps"
grep -q "val_loss" "$WORK/big.log" || fail "no validation"
echo "training on big.h5, $((NP > 0 ? NP : 1)) rank(s), under ulimit -v $((LIMIT_KB / 1024)) MiB:" \
    "peak RSS $(rss_mb big) MiB ($(rss_mb tiny) MiB on the tiny corpus), $(secs big) s"
if [ $HAVE_TIME = 1 ]; then
    big=$(awk '{ print $1 }' "$WORK/big.time") tiny=$(awk '{ print $1 }' "$WORK/tiny.time")
    [ "$big" -le $((tiny + 64 * 1024)) ] ||
        fail "a rank's peak RSS grew with the corpus: $big kB vs $tiny kB on the tiny one"
fi
echo "prep.memory: ok"
