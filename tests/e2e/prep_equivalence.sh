#!/bin/bash
# prep_equivalence.sh — training on CORPUS.h5 (charnn-prep) is training on
# the text file it was made from:
#   1. the same options on text.txt and on text.h5 give bitwise identical
#      /model and /optim after 20 steps, and the same train and validation
#      losses (metrics.jsonl, exactly), on 1 rank and on 2 ranks (9 rows:
#      5 + 4), with validation every 5 steps;
#   2. a Chinese text prepared from two files (concatenated) read 5 bytes at
#      a time (multi-byte characters cut at every place) trains bitwise like
#      the one concatenated file;
#   3. a run on text.h5 stopped at step 10 and resumed to 20 is the straight
#      run; a text-file checkpoint resumes on text.h5 (same split, same
#      vocabulary) to the same weights; a CORPUS.h5 with another vocabulary
#      (--min-count) is refused on resume;
#   4. --val-frac / --encoding that contradict the file: one error line;
#      the values it was made with are accepted; a checkpoint as --data is
#      "not a corpus".
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
EXPECT=(bash "$CHARNN_SOURCE/tests/e2e/expect_error.sh")
MPI=1
if [ "${1:-}" = --no-mpi ] || ! command -v mpirun >/dev/null; then
    MPI=0
    echo "note: no MPI: the 2-rank case is skipped"
fi

# same_metrics A B: every train loss / grad norm and validation loss equal
same_metrics() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
def recs(path):
    out = []
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "train":
            out.append(("train", r["step"], r["loss"], r["grad_norm"]))
        elif r["type"] == "eval":
            out.append(("eval", r["step"], r["val_loss"]))
    return out
a, b = recs(sys.argv[1]), recs(sys.argv[2])
if a != b:
    for x, y in zip(a, b):
        if x != y:
            sys.exit(f"metrics differ: {x} vs {y}")
    sys.exit(f"metrics differ in length: {len(a)} vs {len(b)}")
n_train = sum(r[0] == "train" for r in a)
n_eval = sum(r[0] == "eval" for r in a)
print(f"metrics: {n_train} train and {n_eval} validation losses identical")
if n_train == 0 or n_eval == 0:
    sys.exit("no losses logged")
PYEOF
}
same_model() { # same_model A.h5 B.h5 WHAT
    "${H5CMP[@]}" "$1" "$2" --exact --quiet --group /model --group /optim --group /vocab ||
        fail "$3: /model, /optim or /vocab differ"
}

gen_text english 30000 11 "$WORK/text.txt"
run "$WORK/prep.log" "$PREP" "$WORK/text.txt" -o "$WORK/text.h5"
cat "$WORK/prep.log"
OPTS=(--hidden 32 --layers 2 --seq 16 --batch 9 --dropout 0.5 --lr 0.002 --seed 4242
      --log-every 1 --eval-every 5 --save-every 0 --device cpu --threads 1)

# ---- 1. text vs CORPUS.h5, 1 and 2 ranks ----
nps="0"
[ $MPI = 0 ] || nps="0 2"
for np in $nps; do
    for src in txt h5; do
        run "$WORK/$src-np$np.log" launch "$np" --data "$WORK/text.$src" "${OPTS[@]}" \
            --steps 20 --out "$WORK/$src-np$np"
    done
    [ "$np" = 0 ] || grep -q "| $np rank(s)" "$WORK/h5-np$np.log" || fail "expected $np ranks"
    echo "== text vs CORPUS.h5, ${np/#0/1} rank(s)"
    same_model "$WORK/txt-np$np/latest.h5" "$WORK/h5-np$np/latest.h5" "text vs h5, np $np"
    same_metrics "$WORK/txt-np$np/metrics.jsonl" "$WORK/h5-np$np/metrics.jsonl" ||
        fail "text vs h5, np $np: metrics differ"
done

# ---- 2. Chinese, two files, read 5 bytes at a time ----
gen_text chinese 40000 3 "$WORK/zh.txt"
"$PY" - "$WORK/zh.txt" "$WORK/zh1.txt" "$WORK/zh2.txt" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(t[:17001])
open(sys.argv[3], "w", encoding="utf-8").write(t[17001:])
PYEOF
run "$WORK/prep-zh.log" "$PREP" "$WORK/zh1.txt" "$WORK/zh2.txt" -o "$WORK/zh.h5" \
    --chunk-bytes 5
cat "$WORK/prep-zh.log"
"$PY" "$CHARNN_SOURCE/tests/e2e/prep_check.py" "$WORK/zh.h5" "$WORK/zh1.txt" "$WORK/zh2.txt" ||
    fail "zh.h5 is not the two files' text"
for src in txt h5; do
    run "$WORK/zh-$src.log" "$TRAIN" --data "$WORK/zh.$src" "${OPTS[@]}" --batch 8 --steps 10 \
        --out "$WORK/zh-$src"
done
echo "== Chinese: one text file vs CORPUS.h5 of two files"
same_model "$WORK/zh-txt/latest.h5" "$WORK/zh-h5/latest.h5" "Chinese text vs h5"
same_metrics "$WORK/zh-txt/metrics.jsonl" "$WORK/zh-h5/metrics.jsonl" || fail "Chinese metrics"

# ---- 3. resume ----
echo "== resume on CORPUS.h5"
run "$WORK/r1.log" "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 10 --out "$WORK/res"
run "$WORK/r2.log" "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 20 --out "$WORK/res" \
    --resume auto
grep -q "resumed from" "$WORK/r2.log" || { cat "$WORK/r2.log"; fail "did not resume"; }
same_model "$WORK/h5-np0/latest.h5" "$WORK/res/latest.h5" "straight vs resumed on h5"
echo "== a text-file checkpoint resumed on CORPUS.h5"
run "$WORK/r3.log" "$TRAIN" --data "$WORK/text.txt" "${OPTS[@]}" --steps 10 --out "$WORK/mix"
run "$WORK/r4.log" "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 20 --out "$WORK/mix" \
    --resume auto
grep -q "resumed from" "$WORK/r4.log" || { cat "$WORK/r4.log"; fail "did not resume"; }
same_model "$WORK/txt-np0/latest.h5" "$WORK/mix/latest.h5" "text, then resumed on h5"
echo "== resume on a CORPUS.h5 with another vocabulary"
{ cat "$WORK/text.txt"; printf 'rare: \xce\xa9\n'; } >"$WORK/text2.txt"
run "$WORK/prep2.log" "$PREP" "$WORK/text2.txt" -o "$WORK/text2.h5" --min-count 2 --val-frac 0.05
cp -r "$WORK/res" "$WORK/res2"
"${EXPECT[@]}" "vocabulary of .*text2.h5.* differs from checkpoint" -- \
    "$TRAIN" --data "$WORK/text2.h5" "${OPTS[@]}" --steps 30 --out "$WORK/res2" --resume auto

# ---- 4. options that contradict the file ----
echo "== contradicting options"
"${EXPECT[@]}" "--val-frac 0.1 contradicts corpus '.*text.h5' \(prepared with --val-frac 0.05" -- \
    "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 1 --val-frac 0.1 --out "$WORK/bad"
"${EXPECT[@]}" "--encoding latin1 contradicts corpus '.*text.h5' \(prepared with --encoding utf-8, already decoded\)" -- \
    "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 1 --encoding latin1 --out "$WORK/bad"
"${EXPECT[@]}" "checkpoint '.*' was trained with --val-frac 0.2, corpus '.*text.h5' was prepared with --val-frac 0.05" -- \
    bash -c '"$1" --data "$2" --out "$3" --val-frac 0.2 --steps 1 --hidden 8 --layers 1 --batch 2 --seq 8 --device cpu >/dev/null 2>&1 && exec "$1" --data "$4" --out "$3" --resume auto --steps 2 --device cpu' \
    _ "$TRAIN" "$WORK/text.txt" "$WORK/vf" "$WORK/text.h5"
"${EXPECT[@]}" "'.*latest.h5' is an HDF5 file but not a corpus written by charnn-prep" -- \
    "$TRAIN" --data "$WORK/res/latest.h5" "${OPTS[@]}" --steps 1 --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || [ -z "$(ls -A "$WORK/bad")" ] || fail "a failed run wrote into --out"
run "$WORK/ok.log" "$TRAIN" --data "$WORK/text.h5" "${OPTS[@]}" --steps 1 --val-frac 0.05 \
    --encoding UTF8 --out "$WORK/ok"
"$PY" - "$WORK/h5-np0/latest.h5" <<'PYEOF' || fail "checkpoint options"
import sys, h5py
o = h5py.File(sys.argv[1], "r")["options"].attrs
got = {k: (o[k].decode() if isinstance(o[k], bytes) else o[k]) for k in ("val-frac", "encoding")}
print("checkpoint options from the CORPUS.h5:", got)
if got != {"val-frac": "0.05", "encoding": "utf-8"}:
    sys.exit("unexpected")
PYEOF
echo "prep.equivalence: ok"
