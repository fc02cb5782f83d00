#!/bin/bash
# prep_min_count.sh — charnn-prep --min-count N: every character seen fewer
# than N times becomes U+FFFD, which joins the vocabulary. On an English
# text with 'Ω' once, 'ж' twice and '€' 5 times added:
#   --min-count 3 drops Ω and ж (vocabulary 2 - 1 = 1 smaller, 3 characters
#   mapped), --min-count 6 drops € too, --min-count 0 and 1 keep all (no
#   U+FFFD); every CORPUS.h5 matches the text recomputed in Python
#   (prep_check.py: /vocab, /train, /val, attributes);
#   a model trains on the --min-count 3 corpus (vocabulary with U+FFFD) and
#   samples from it.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
CHECK=("$PY" "$CHARNN_SOURCE/tests/e2e/prep_check.py")

gen_text english 20000 4 "$WORK/a.txt"
printf 'x \xce\xa9 \xd0\xb6\xd0\xb6 \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\n' \
    >"$WORK/b.txt"
gen_text english 3000 5 "$WORK/c.txt"
TEXTS=("$WORK/a.txt" "$WORK/b.txt" "$WORK/c.txt")

vocab_size() { "$PY" -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["vocab"].size)' "$1"; }
attr() { "$PY" -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r").attrs[sys.argv[2]])' "$1" "$2"; }

declare -A V
for m in 0 1 3 6; do
    "$PREP" "${TEXTS[@]}" -o "$WORK/m$m.h5" --min-count $m --val-frac 0.1 >"$WORK/m$m.log" 2>&1 ||
        { cat "$WORK/m$m.log"; fail "charnn-prep --min-count $m"; }
    cat "$WORK/m$m.log"
    "${CHECK[@]}" "$WORK/m$m.h5" "${TEXTS[@]}" --min-count $m --val-frac 0.1 ||
        fail "--min-count $m: CORPUS.h5 differs from the text"
    V[$m]=$(vocab_size "$WORK/m$m.h5")
done
echo "vocabulary: --min-count 0: ${V[0]}, 1: ${V[1]}, 3: ${V[3]}, 6: ${V[6]}"
[ "${V[1]}" = "${V[0]}" ] || fail "--min-count 1 changed the vocabulary"
[ "${V[3]}" = $((V[0] - 2 + 1)) ] || fail "--min-count 3: expected ${V[0]} - 2 + 1 (U+FFFD)"
[ "${V[6]}" = $((V[0] - 3 + 1)) ] || fail "--min-count 6: expected ${V[0]} - 3 + 1 (U+FFFD)"
[ "$(attr "$WORK/m3.h5" n_unknown)" = 3 ] || fail "--min-count 3: n_unknown"
[ "$(attr "$WORK/m6.h5" n_unknown)" = 8 ] || fail "--min-count 6: n_unknown"
grep -q "3 occurrences of 2 rare characters (--min-count 3) became U+FFFD" "$WORK/m3.log" ||
    fail "--min-count 3: the summary line"
"$PY" - "$WORK/m3.h5" <<'PYEOF' || fail "U+FFFD in the vocabulary"
import sys, h5py
v = list(h5py.File(sys.argv[1], "r")["vocab"][()])
assert 0xFFFD in v and 0x3A9 not in v and 0x436 not in v and 0x20AC in v, v
print("--min-count 3: U+FFFD in, Ω and ж out, € in")
PYEOF

# a model trains on it and samples from its vocabulary
"$TRAIN" --data "$WORK/m3.h5" --hidden 16 --layers 1 --batch 4 --seq 16 --steps 3 \
    --save-every 0 --eval-every 0 --device cpu --threads 1 --out "$WORK/run" >"$WORK/train.log" 2>&1 ||
    { cat "$WORK/train.log"; fail "training on the --min-count corpus"; }
grep -q "vocab ${V[3]}," "$WORK/train.log" || { cat "$WORK/train.log"; fail "vocabulary size"; }
"$SAMPLE" "$WORK/run/latest.h5" --length 50 --device cpu >"$WORK/sample.txt" 2>"$WORK/sample.err" ||
    { cat "$WORK/sample.err"; fail "sampling"; }
echo "prep.min_count: ok"
