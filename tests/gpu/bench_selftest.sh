#!/bin/bash
# bench_selftest.sh — bench/gpu_vs_torch.sh's own logic, on the CPU
# (--self-test: both programs with a 2x32 model, batch 8, 12 steps), so that
# the device check's bench part cannot fail on a GPU for a reason a CPU
# shows. On a generated text named as the notebook's corpus:
#   1. the real charnn-train (no GPU, so no "recurrence: persistent" line):
#      stepwise and PyTorch rows in FP32 and TF32, a ratio line per mode,
#      the two kernels' losses within 1%, each persistent row failed as "did
#      not run", exit 1
#   2. a charnn-train wrapper that says "recurrence: persistent" when asked
#      for it: every row passes, the plan line is reported, exit 0; charnn
#      got --tf32 exactly in the TF32 rows and PyTorch --tf32 on / off to match
#   3. a charnn-train that fails: its FAIL line, exit 1
# Skips (77) without PyTorch.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
"$PY" -c 'import torch' 2>/dev/null || skip "$PY has no torch"
BENCH=$CHARNN_SOURCE/bench/gpu_vs_torch.sh
mkdir -p "$WORK/corpora"
gen_text english 40000 3 "$WORK/corpora/tinyshakespeare.txt"
# a python that records torch_train.py's arguments, then runs it
cat >"$WORK/py" <<EOF
#!/bin/bash
echo "torch \$*" >>"$WORK/args"
exec "$PY" "\$@"
EOF
chmod +x "$WORK/py"
bench() { # bench RESULTS BUILD_DIR [option...]: the script's exit status
    local res=$1 dir=$2 rc=0
    shift 2
    PYTHON=$WORK/py "$BENCH" --self-test --build-dir "$dir" --corpora "$WORK/corpora" \
        --configs notebook --cells lstm --steps 12 --results "$res" "$@" >"$res.log" 2>&1 || rc=$?
    return $rc
}
expect_line() { grep -qE "$2" "$1" || { cat "$1"; fail "no line matching '$2'"; }; }

# ---- 1. no persistent kernel here ----
rc=0
bench "$WORK/r1" "$CHARNN_BUILD" || rc=$?
cat "$WORK/r1"
[ $rc = 1 ] || fail "case 1: exit $rc, expected 1 (the persistent rows cannot run on the CPU)"
for m in fp32 tf32; do
    expect_line "$WORK/r1" "^bench notebook lstm charnn stepwise $m: [0-9.]+ ms/batch, [0-9]+ chars/s, loss [0-9.]+"
    expect_line "$WORK/r1" "^bench notebook lstm torch cudnn $m: [0-9.]+ ms/batch"
    expect_line "$WORK/r1" "^ratio notebook lstm $m \(torch ms / charnn ms\): stepwise [0-9.]+x persistent [0-9.]+x"
    expect_line "$WORK/r1" "^losses notebook lstm $m: stepwise [0-9.]+, persistent [0-9.]+: within 1%"
    expect_line "$WORK/r1" "^FAIL bench notebook lstm charnn persistent $m: the persistent kernel did not run"
done
expect_line "$WORK/r1" "^bench: FAIL"

# ---- 2. a charnn-train that runs "persistent" ----
mkdir -p "$WORK/fake"
cat >"$WORK/fake/charnn-train" <<EOF
#!/bin/bash
echo "charnn \$*" >>"$WORK/args"
case " \$* " in
    *" --rnn-kernel persistent "*) echo "cuda: recurrence: persistent (lstm forward, FP32, fake)" >&2 ;;
    *) echo "cuda: recurrence: stepwise (fake)" >&2 ;;
esac
exec "$CHARNN_BUILD/charnn-train" "\$@"
EOF
chmod +x "$WORK/fake/charnn-train"
: >"$WORK/args"
rc=0
bench "$WORK/r2" "$WORK/fake" || rc=$?
cat "$WORK/r2"
[ $rc = 0 ] || fail "case 2: exit $rc, expected 0"
expect_line "$WORK/r2" "^bench notebook lstm charnn persistent fp32: .*; ran persistent$"
expect_line "$WORK/r2" "^bench notebook lstm charnn stepwise tf32: .*; ran stepwise$"
expect_line "$WORK/r2" "^    plan: recurrence: persistent \(lstm forward, FP32, fake\)"
expect_line "$WORK/r2" "^bench: all runs passed"
! grep -q "^FAIL" "$WORK/r2" || fail "case 2: a FAIL line"
# matched modes: charnn --tf32 in 2 of 4 runs, PyTorch --tf32 on once and off once
[ "$(grep -c '^charnn .*--tf32' "$WORK/args")" = 2 ] || { cat "$WORK/args"; fail "charnn --tf32 not in exactly the TF32 runs"; }
[ "$(grep -c '^torch .*--tf32 on' "$WORK/args")" = 1 ] && [ "$(grep -c '^torch .*--tf32 off' "$WORK/args")" = 1 ] ||
    { cat "$WORK/args"; fail "PyTorch's TF32 switch not matched to the mode"; }

# ---- 3. a charnn-train that fails ----
mkdir -p "$WORK/broken"
printf '#!/bin/sh\necho "charnn-train: error: broken on purpose" >&2\nexit 3\n' >"$WORK/broken/charnn-train"
chmod +x "$WORK/broken/charnn-train"
rc=0
bench "$WORK/r3" "$WORK/broken" --modes fp32 --kernels stepwise || rc=$?
cat "$WORK/r3"
[ $rc = 1 ] || fail "case 3: exit $rc with a failing charnn-train, expected 1"
expect_line "$WORK/r3" "^FAIL bench notebook lstm charnn stepwise fp32: charnn-train exited non-zero"
echo "ok: gpu_vs_torch.sh: rows, ratios, loss agreement, matched TF32, fallback and failures as expected"
