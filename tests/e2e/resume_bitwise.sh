#!/bin/bash
# resume_bitwise.sh — stopping and resuming must not change the training:
# 2K steps straight vs K steps then `--resume auto` up to 2K (same --out) give
# bitwise identical /model, /optim, /state, /vocab and /train on the CPU
# backend, with validation runs and checkpoints in between:
#   1. one rank (2 threads), LSTM
#   2. two ranks (uneven rows 6+5), GRU; and a 1-rank first half resumed on
#      two ranks (equal within 1e-4 only: the gradient sum order changes, and
#      Adam amplifies it where a gradient nearly cancels — seen: 6.6e-6)
#   3. a small text (4 windows/epoch): the resumed half crosses epoch boundaries
#   4. --resume PATH to an older checkpoint at an epoch boundary, into a fresh
#      --out and into the run's own --out (PATH wins over latest.h5); a
#      missing PATH is an error naming it
# Every resumed run must say it resumed, and its metrics must continue the
# step count (a silent fresh start would reproduce the straight run too).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
MPI=1 # parallel.cmake passes --no-mpi for a build without MPI: the 2-rank cases are left out
if [ "${1:-}" = --no-mpi ] || ! command -v mpirun >/dev/null; then
    MPI=0
    echo "note: no MPI: the 2-rank cases are skipped"
fi

gen_text english 30000 5 "$WORK/text.txt" # ~150 windows/epoch of 12x16
gen_text english 900 6 "$WORK/small.txt"  # --val-frac 0.1: 810 chars, 4 windows of 12x16
BASE=(--hidden 32 --layers 2 --seq 16 --dropout 0.5 --lr 0.002 --seed 77 --log-every 1
      --device cpu)

ckpt() { printf '%s/ckpt-%08d.h5' "$1" "$2"; }

# same_ckpt A B WHAT: every dataset and attribute that training determines
same_ckpt() {
    echo "== $3: $(basename "$1") vs $(basename "$2")"
    "${H5CMP[@]}" "$1" "$2" --exact --attrs --quiet --group /model --group /optim \
        --group /state --group /vocab --group /train || fail "$3: $1 and $2 differ"
}

# resumed LOG PATH STEP: the run said it resumed from PATH at STEP
resumed() {
    grep -qF "resumed from $2 at step $3" "$1" ||
        { cat "$1" >&2; fail "$1: no 'resumed from $2 at step $3'"; }
}

# metrics STRAIGHT RESUMED FIRST LAST: RESUMED's train steps are FIRST..LAST,
# each once; its train and eval losses equal STRAIGHT's at the same steps
metrics() {
    "$PY" - "$@" <<'EOF' || fail "metrics $2 vs $1"
import json, sys
straight, resumed, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def read(path):
    train, ev, steps = {}, {}, []
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "train":
            steps.append(r["step"])
            train[r["step"]] = r["loss"]
        elif r["type"] == "eval":
            ev[r["step"]] = r["val_loss"]
    return train, ev, steps
st, se, _ = read(straight)
rt, re_, steps = read(resumed)
if steps != list(range(first, last + 1)):
    sys.exit(f"{resumed}: train steps {steps}, expected {first}..{last} once each")
bad = [s for s in rt if rt[s] != st.get(s)]
bad += [s for s in re_ if s in se and re_[s] != se[s]]
common = sorted(set(re_) & set(se))
if bad or not common:
    sys.exit(f"{resumed}: losses differ from {straight} at steps {sorted(set(bad))}"
             f" (eval steps in common: {common})")
print(f"metrics: {len(rt)} train losses and evals at steps {common} identical")
EOF
}

# halves NAME NP K SAVE EVAL OPTS...: 2K straight vs K + resume auto to 2K
halves() {
    local name=$1 np=$2 k=$3 save=$4 eval=$5
    shift 5
    local s=$WORK/$name-straight r=$WORK/$name-resumed
    local opts=("${BASE[@]}" "$@" --save-every "$save" --eval-every "$eval")
    run "$s.log" launch "$np" "${opts[@]}" --steps $((2 * k)) --out "$s"
    run "$r.1.log" launch "$np" "${opts[@]}" --steps "$k" --out "$r"
    run "$r.2.log" launch "$np" "${opts[@]}" --steps $((2 * k)) --out "$r" --resume auto
    for log in "$s.log" "$r.1.log" "$r.2.log"; do
        grep -q "| $((np > 0 ? np : 1)) rank(s)" "$log" || { cat "$log"; fail "$log: wrong rank count"; }
    done
    resumed "$r.2.log" "$(ckpt "$r" "$k")" "$k"
    grep -q "val_loss" "$r.2.log" ||
        fail "$name: no validation in the resumed half"
    metrics "$s/metrics.jsonl" "$r/metrics.jsonl" 1 $((2 * k))
    for step in $(seq $((k + 1)) $((2 * k - 1))); do
        if [ -f "$(ckpt "$r" "$step")" ]; then
            same_ckpt "$(ckpt "$s" "$step")" "$(ckpt "$r" "$step")" "$name"
        fi
    done
    same_ckpt "$(ckpt "$s" $((2 * k)))" "$(ckpt "$r" $((2 * k)))" "$name final"
    echo "-- $name: ${SECONDS}s so far"
}

# 1. one rank, two threads
halves one-rank 0 10 5 3 --data "$WORK/text.txt" --cell lstm --batch 12 --threads 2

# 2. two ranks, uneven rows
if [ $MPI = 1 ]; then
    halves two-ranks 2 10 5 3 --data "$WORK/text.txt" --cell gru --batch 11 --threads 1
    # ... and a 1-rank first half continued on 2 ranks
    m=$WORK/mixed
    mopts=("${BASE[@]}" --data "$WORK/text.txt" --cell gru --batch 11 --threads 1 --save-every 5
           --eval-every 3)
    run "$m.1.log" launch 0 "${mopts[@]}" --steps 10 --out "$m"
    run "$m.2.log" launch 2 "${mopts[@]}" --steps 20 --out "$m" --resume auto
    resumed "$m.2.log" "$(ckpt "$m" 10)" 10
    echo "== 1 rank then 2 ranks vs 2 ranks straight"
    "${H5CMP[@]}" "$(ckpt "$WORK/two-ranks-straight" 20)" "$(ckpt "$m" 20)" --quiet --atol 1e-4 \
        --group /model --group /state || fail "1-rank first half resumed on 2 ranks differs"
fi

# 3. the resumed half crosses epoch boundaries (resume at step 10 = epoch 2, window 2)
small=(--data "$WORK/small.txt" --val-frac 0.1 --cell lstm --batch 12 --threads 1)
halves epochs 0 10 4 3 "${small[@]}"
"$PY" - "$(ckpt "$WORK/epochs-resumed" 12)" <<'EOF' || fail "epochs: the layout is not what the case needs"
import h5py, sys
t = h5py.File(sys.argv[1], "r")["train"].attrs
windows, epoch, window = int(t["windows"]), int(t["epoch"]), int(t["window"])
print(f"small text: {windows} windows/epoch; step 12 is epoch {epoch} window {window}")
if windows != 4 or (epoch, window) != (3, 0):
    sys.exit(f"expected 4 windows/epoch, got {windows} (epoch {epoch}, window {window})")
EOF

# 4. --resume PATH: step 8 (an epoch boundary), older than latest.h5 (step 20)
s=$WORK/epochs-straight
old=$(ckpt "$s" 8)
[ "$(readlink "$s/latest.h5")" = "ckpt-00000020.h5" ] || fail "$s/latest.h5 should name step 20"
sopts=("${BASE[@]}" "${small[@]}" --save-every 4 --eval-every 3 --steps 20)
p=$WORK/path-fresh
run "$p.log" launch 0 "${sopts[@]}" --out "$p" --resume "$old"
resumed "$p.log" "$old" 8
metrics "$s/metrics.jsonl" "$p/metrics.jsonl" 9 20
same_ckpt "$(ckpt "$s" 20)" "$(ckpt "$p" 20)" "--resume PATH, fresh --out"
q=$WORK/path-same
cp -a "$s" "$q"
run "$q.log" launch 0 "${sopts[@]}" --out "$q" --resume "$(ckpt "$q" 8)"
resumed "$q.log" "$(ckpt "$q" 8)" 8
grep -q "^step 9/20" "$q.log" || fail "--resume PATH in its own --out did not train from step 9"
same_ckpt "$(ckpt "$s" 20)" "$(ckpt "$q" 20)" "--resume PATH, own --out"
if "$TRAIN" "${sopts[@]}" --out "$WORK/missing" --resume "$WORK/no-such.h5" >"$WORK/missing.log" 2>&1; then
    fail "--resume of a missing file succeeded"
fi
grep -qF "$WORK/no-such.h5" "$WORK/missing.log" ||
    { cat "$WORK/missing.log"; fail "the error does not name the missing checkpoint"; }
echo "resume.bitwise: ok"
