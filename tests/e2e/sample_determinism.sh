#!/bin/bash
# sample_determinism.sh — charnn-sample on a small trained English model:
#   same seed → the same bytes (twice); another seed → other text;
#   --argmax → the same text whatever the seed; --top-k 1 (any temperature,
#   any seed) == --argmax; a near-zero temperature == --argmax; two
#   temperatures with one seed → different text;
#   stdout is exactly the prime followed by --length code points from the
#   vocabulary (nothing else: no newline, no log) and stderr is empty;
#   an empty prime gives just --length code points; a prime outside the
#   vocabulary is an error with nothing on stdout.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

gen_text english 20000 21 "$WORK/text.txt"
# 150 steps: enough that --argmax is not one repeated character
"$TRAIN" --data "$WORK/text.txt" --cell lstm --hidden 64 --layers 2 --batch 12 --seq 32 \
    --steps 150 --lr 0.01 --dropout 0 --seed 3 --save-every 0 --eval-every 0 --log-every 50 --device cpu \
    --threads 1 --out "$WORK/run" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
CK=$WORK/run/latest.h5
PRIME="The old king"
LEN=300
n=0

# draw NAME args...: sample into $WORK/NAME.out (stderr into NAME.err, must be empty)
draw() {
    local name=$1
    shift
    "$SAMPLE" "$CK" --device cpu --threads 1 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
        { cat "$WORK/$name.err"; fail "charnn-sample $*"; }
    [ ! -s "$WORK/$name.err" ] || { cat "$WORK/$name.err"; fail "$name: output on stderr"; }
    n=$((n + 1))
}

# shape NAME PRIME LENGTH: NAME.out is PRIME then LENGTH code points of the vocabulary
shape() {
    "$PY" - "$WORK/$1.out" "$2" "$3" "$CK" <<'EOF' || fail "$1: bad output"
import sys, h5py
path, prime, length = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path, "rb").read().decode("utf-8", errors="strict")
vocab = {chr(c) for c in h5py.File(sys.argv[4], "r")["vocab"][()]}
if not text.startswith(prime):
    sys.exit(f"{path}: does not begin with the prime {prime!r}: {text[:40]!r}")
gen = text[len(prime):]
if len(gen) != length:
    sys.exit(f"{path}: {len(gen)} code points after the prime, expected {length}")
if set(gen) - vocab:
    sys.exit(f"{path}: characters outside the vocabulary: {sorted(set(gen) - vocab)!r}")
EOF
}

same() { cmp -s "$WORK/$1.out" "$WORK/$2.out" || fail "$1 and $2 differ (expected identical)"; }
differ() { ! cmp -s "$WORK/$1.out" "$WORK/$2.out" || fail "$1 and $2 are identical (expected different)"; }

draw s7a --prime "$PRIME" --length $LEN --seed 7
draw s7b --prime "$PRIME" --length $LEN --seed 7
draw s8 --prime "$PRIME" --length $LEN --seed 8
same s7a s7b
differ s7a s8
draw am1 --prime "$PRIME" --length $LEN --argmax --seed 1
draw am2 --prime "$PRIME" --length $LEN --argmax --seed 99
same am1 am2
differ am1 s7a
draw k1a --prime "$PRIME" --length $LEN --top-k 1 --seed 5
draw k1b --prime "$PRIME" --length $LEN --top-k 1 --seed 6 --temperature 2.5
draw k1c --prime "$PRIME" --length $LEN --top-k 1 --seed 7 --temperature 0.3
same am1 k1a
same am1 k1b
same am1 k1c
draw cold --prime "$PRIME" --length $LEN --top-k 5 --temperature 1e-6 --seed 7
same am1 cold
draw t05 --prime "$PRIME" --length $LEN --temperature 0.5 --seed 7
draw t30 --prime "$PRIME" --length $LEN --temperature 3 --seed 7
differ t05 t30
for f in s7a s8 am1 k1b cold t05 t30; do shape $f "$PRIME" $LEN; done
draw len1 --prime "$PRIME" --length 1 --seed 7
shape len1 "$PRIME" 1
draw noprime --length 50 --seed 7
shape noprime "" 50

# a prime with a character the model never saw: an error, stdout empty
if "$SAMPLE" "$CK" --device cpu --prime "Zebra ~" --length 10 >"$WORK/bad.out" 2>"$WORK/bad.err"; then
    fail "a prime outside the vocabulary was accepted"
fi
[ ! -s "$WORK/bad.out" ] || fail "an error printed on stdout: $(head -c 200 "$WORK/bad.out")"
[ -s "$WORK/bad.err" ] || fail "no error message for a prime outside the vocabulary"
"$PY" - "$WORK/am1.out" "$PRIME" <<'EOF' || fail "--argmax output is degenerate"
import sys
gen = open(sys.argv[1], encoding="utf-8").read()[len(sys.argv[2]):]
print(f"argmax: {gen[:100]!r}")
if len(set(gen)) < 3:
    sys.exit(f"only {len(set(gen))} distinct characters: train the model more")
EOF
echo "sample.determinism: ok ($n samples)"
