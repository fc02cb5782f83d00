#!/bin/bash
# parallel_equivalence.sh — data parallelism must not change the training:
# the same options under `mpirun -np 1`, `-np 2` and `-np 3` (even and uneven
# splits of the rows, dropout on) give, after 20 steps, /model weights within
# 1e-5 of each other and the same training losses (metrics.jsonl) within
# 1e-5 — and weights that moved away from the initial ones, so a run that
# trains nothing cannot pass.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
# parallel.cmake passes --no-mpi for a build without MPI (CHARNN_MPI=OFF)
[ "${1:-}" != --no-mpi ] || skip "charnn built without MPI"
command -v mpirun >/dev/null || skip "mpirun not found"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
ATOL=${CHARNN_EQUIV_ATOL:-1e-5}
STEPS=20

gen_text english 30000 11 "$WORK/text.txt"
COMMON=(--data "$WORK/text.txt" --hidden 32 --layers 2 --seq 16 --dropout 0.5 --lr 0.002
        --seed 4242 --log-every 1 --save-every 0 --eval-every 0 --device cpu --threads 1)

# train losses of a metrics file must agree within ATOL, step by step (1..STEPS)
compare_losses() {
    "$PY" - "$1" "$2" "$ATOL" "$STEPS" <<'EOF'
import json, math, sys
a_path, b_path, atol, steps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
def losses(path):
    out = {}
    for line in open(path):
        rec = json.loads(line)
        if rec.get("type") == "train":
            if rec["step"] in out:
                sys.exit(f"{path}: step {rec['step']} logged twice")
            out[rec["step"]] = rec["loss"]
    if sorted(out) != list(range(1, steps + 1)):
        sys.exit(f"{path}: train steps {sorted(out)}, expected 1..{steps}")
    return out
a, b = losses(a_path), losses(b_path)
worst = max(abs(a[s] - b[s]) for s in a)
print(f"train losses: max abs diff {worst:.3g} over {len(a)} steps")
if not worst <= atol or not all(math.isfinite(v) for v in a.values()):
    sys.exit(f"FAIL: losses of {a_path} and {b_path} differ by {worst:.3g} > {atol}")
if a[1] == a[steps]:
    sys.exit(f"FAIL: {a_path}: the loss did not change in {steps} steps")
EOF
}

# 12 rows split 12 | 6+6 | 4+4+4, 10 rows split 10 | 5+5 | 4+3+3
for cell in lstm gru rnn; do
    batches="12 10"
    [ $cell = rnn ] && batches=10 # optional cell: the uneven case only
    for batch in $batches; do
        tag=$cell-b$batch
        opts=("${COMMON[@]}" --cell "$cell" --batch "$batch")
        # the initial weights: one step with a learning rate too small to move them
        run "$WORK/$tag-init.log" "$TRAIN" "${opts[@]}" --steps 1 --lr 1e-30 --out "$WORK/$tag-init"
        for p in 1 2 3; do
            run "$WORK/$tag-p$p.log" mpi_train "$p" "${opts[@]}" --steps $STEPS \
                --out "$WORK/$tag-p$p"
            grep -q "| $p rank(s)" "$WORK/$tag-p$p.log" ||
                { cat "$WORK/$tag-p$p.log"; fail "$tag: expected a $p-rank run"; }
            ck=$WORK/$tag-p$p/ckpt-$(printf %08d $STEPS).h5
            [ -f "$ck" ] || fail "$tag -np $p: no checkpoint $ck"
        done
        echo "== $cell --batch $batch: trained vs initial weights"
        "${H5CMP[@]}" "$WORK/$tag-init/latest.h5" "$WORK/$tag-p1/latest.h5" --group /model \
            --min-diff 1e-3 --quiet || fail "$tag: the weights did not move in $STEPS steps"
        for pair in "1 2" "1 3" "2 3"; do
            set -- $pair
            echo "== $cell --batch $batch: -np $1 vs -np $2"
            "${H5CMP[@]}" "$WORK/$tag-p$1/latest.h5" "$WORK/$tag-p$2/latest.h5" \
                --group /model --atol "$ATOL" ||
                fail "$tag: /model of -np $1 and -np $2 differ by more than $ATOL"
            compare_losses "$WORK/$tag-p$1/metrics.jsonl" "$WORK/$tag-p$2/metrics.jsonl" ||
                fail "$tag: training losses of -np $1 and -np $2 differ"
        done
    done
done
echo "parallel.equivalence: ok"
