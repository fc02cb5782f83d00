#!/bin/bash
# cross_device.sh — train on the GPU, resume on the CPU, sample on both:
#   1. N steps on the GPU, twice: the checkpoints are bitwise identical
#      (GPU training is repeatable: no float atomics in the embedding backward),
#      and not vacuously so: every logged loss is finite and the last is
#      below the first (the parameters moved the right way)
#   2. the GPU checkpoint resumed with --device cpu for K more steps (it must
#      say it resumed)
#   3. the resumed model sampled on the GPU and on the CPU (--argmax): both
#      print the requested length, the GPU sample repeats bitwise; --score of
#      a held-out text agrees between the devices within 1e-4 (relative)
# Exits 77 without a GPU (1 when the driver fails, or under CHARNN_REQUIRE_GPU=1:
# tests/gpu/gpu_skip.h).
# Options (defaults: a small model on a generated text, well under a minute):
#   --steps N --cpu-steps K (default N) --hidden H --layers L --batch B --seq S
#   --data FILE
#   --results FILE   append a summary (losses, timings, sample heads) to FILE
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

STEPS=30 CPU_STEPS="" HIDDEN=64 LAYERS=2 BATCH=16 SEQ=32 DATA="" RESULTS=""
while [ $# -gt 0 ]; do
    case $1 in
        --steps) STEPS=$2 ;;
        --cpu-steps) CPU_STEPS=$2 ;;
        --hidden) HIDDEN=$2 ;;
        --layers) LAYERS=$2 ;;
        --batch) BATCH=$2 ;;
        --seq) SEQ=$2 ;;
        --data) DATA=$2 ;;
        --results) RESULTS=$2 ;;
        *) fail "unknown option $1" ;;
    esac
    shift 2
done

"$CHARNN_BUILD/tests/gpu_probe" gpu.cross_device || exit $?
TOTAL=$((STEPS + ${CPU_STEPS:-$STEPS}))
if [ -z "$DATA" ]; then
    gen_text english 60000 9 "$WORK/text.txt"
    DATA=$WORK/text.txt
fi
head -c 5000 "$DATA" >"$WORK/score.txt"
OPTS=(--data "$DATA" --cell lstm --hidden "$HIDDEN" --layers "$LAYERS" --batch "$BATCH"
      --seq "$SEQ" --dropout 0.1 --lr 0.003 --seed 5 --log-every 10 --eval-every 0)
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
note() { echo "$*"; [ -z "$RESULTS" ] || echo "$*" >>"$RESULTS"; }

losses() { sed -n 's/.*"type":"train".*"loss":\([0-9.eE+a-z-]*\).*/\1/p' "$1"; }
last_loss() { losses "$1" | tail -1; }
# learned METRICS [any]: every train loss finite and, unless `any`, the
# last below the first (at least two logged)
learned() {
    losses "$1" | awk -v any="${2:-}" '
        NR == 1 { first = $1 } { last = $1; if ($1 !~ /^[0-9.eE+-]+$/) bad = 1 }
        END { exit !(NR >= 1 && !bad && (any != "" || (NR >= 2 && last < first))) }' ||
        { losses "$1" | tr '\n' ' ' >&2; fail "$1: a loss is not finite or the loss did not fall"; }
}
ck() { printf '%s/ckpt-%08d.h5' "$1" "$2"; }

t0=$(date +%s.%N)
run "$WORK/a.log" "$TRAIN" "${OPTS[@]}" --device cuda --steps "$STEPS" --out "$WORK/a"
t1=$(date +%s.%N)
grep -q "device cuda" "$WORK/a.log" || { cat "$WORK/a.log"; fail "run a not on the GPU"; }
run "$WORK/b.log" "$TRAIN" "${OPTS[@]}" --device cuda --steps "$STEPS" --out "$WORK/b"
"${H5CMP[@]}" "$(ck "$WORK/a" "$STEPS")" "$(ck "$WORK/b" "$STEPS")" --exact --quiet \
    --group /model --group /optim --group /state || fail "two GPU runs differ"
learned "$WORK/a/metrics.jsonl"
note "gpu: $STEPS steps (lstm ${LAYERS}x$HIDDEN, batch ${BATCH}x$SEQ) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, loss $(last_loss "$WORK/a/metrics.jsonl"); a second run: bitwise identical"

run "$WORK/c.log" "$TRAIN" "${OPTS[@]}" --device cpu --steps $TOTAL --out "$WORK/c" \
    --resume "$(ck "$WORK/a" "$STEPS")"
grep -qF "resumed from $(ck "$WORK/a" "$STEPS") at step $STEPS" "$WORK/c.log" ||
    { cat "$WORK/c.log"; fail "the CPU run did not resume the GPU checkpoint"; }
learned "$WORK/c/metrics.jsonl" any
note "cpu: resumed at step $STEPS, to step $TOTAL: loss $(last_loss "$WORK/c/metrics.jsonl")"

C=$(ck "$WORK/c" $TOTAL)
for dev in cuda cpu; do
    run "$WORK/s-$dev.out" "$SAMPLE" "$C" --device "$dev" --argmax --prime "The " --length 300
    [ "$(wc -m <"$WORK/s-$dev.out")" -ge 300 ] || fail "$dev sample too short"
    "$SAMPLE" "$C" --device "$dev" --score "$WORK/score.txt" >"$WORK/score-$dev.json"
done
run "$WORK/s-cuda2.out" "$SAMPLE" "$C" --device cuda --argmax --prime "The " --length 300
cmp -s "$WORK/s-cuda.out" "$WORK/s-cuda2.out" || fail "two GPU samples differ"
nats() { sed -n 's/.*"nats_per_char": *\([0-9.eE+-]*\).*/\1/p' "$1"; }
g=$(nats "$WORK/score-cuda.json") c=$(nats "$WORK/score-cpu.json")
awk -v g="$g" -v c="$c" 'BEGIN { d = g - c; if (d < 0) d = -d; exit !(d <= 1e-4 * c) }' ||
    fail "--score differs: GPU $g, CPU $c nats/char"
same=$(cmp "$WORK/s-cuda.out" "$WORK/s-cpu.out" 2>/dev/null | sed -n 's/.*byte \([0-9]*\).*/\1/p')
note "sample: GPU and CPU argmax samples agree ${same:+up to byte $same}${same:-entirely}; --score GPU $g, CPU $c nats/char"
note "sample (GPU): $(head -c 120 "$WORK/s-cuda.out" | tr '\n' ' ')"
echo "cross_device: ok"
