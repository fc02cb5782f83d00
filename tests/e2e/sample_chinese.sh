#!/bin/bash
# sample_chinese.sh — a large non-ASCII vocabulary end to end: train a few
# steps on generated Chinese text (~60k characters, thousands distinct), then
#   the checkpoint's /vocab is the text's distinct code points, sorted, > 1000;
#   sampling 300 characters after a Chinese prime taken from the text gives
#   strict UTF-8: the prime, then exactly 300 code points of the vocabulary
#   (the same bytes again with the same seed);
#   --score on the text prints one JSON line with chars = code points - 1 and
#   a finite loss below that of a uniform guess over the vocabulary.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

TEXT=$WORK/zh.txt
gen_text chinese 60000 8 "$TEXT"
"$TRAIN" --data "$TEXT" --cell lstm --hidden 32 --layers 2 --batch 12 --seq 16 --steps 30 \
    --lr 0.01 --seed 9 --save-every 0 --eval-every 0 --log-every 10 --device cpu --threads 1 \
    --out "$WORK/run" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
CK=$WORK/run/latest.h5

"$PY" - "$TEXT" "$CK" <<'EOF' || fail "checkpoint vocabulary"
import sys, h5py, numpy as np
text = open(sys.argv[1], "rb").read().decode("utf-8", errors="strict")
f = h5py.File(sys.argv[2], "r")
vocab = f["vocab"][()]
want = np.array(sorted({ord(c) for c in text}), dtype=np.uint32)
print(f"text: {len(text)} code points, {len(want)} distinct; /vocab: {vocab.size} {vocab.dtype}")
if vocab.dtype != np.uint32 or not np.array_equal(vocab, want):
    sys.exit("/vocab is not the sorted distinct code points of the text")
if vocab.size <= 1000:
    sys.exit(f"/vocab has {vocab.size} entries, expected > 1000")
if int(f["model"].attrs["vocab_size"]) != vocab.size:
    sys.exit(f"/model vocab_size {f['model'].attrs['vocab_size']} != {vocab.size}")
EOF

# a prime from the training text: 6 characters, no newline
PRIME=$("$PY" -c '
import sys
t = open(sys.argv[1], encoding="utf-8").read()
i = next(i for i in range(1000, len(t)) if "\n" not in t[i:i + 6])
print(t[i:i + 6], end="")' "$TEXT")
[ -n "$PRIME" ] || fail "no prime"

for run in a b; do
    "$SAMPLE" "$CK" --device cpu --threads 1 --prime "$PRIME" --length 300 --seed 11 \
        >"$WORK/$run.out" 2>"$WORK/$run.err" || { cat "$WORK/$run.err"; fail "charnn-sample"; }
    [ ! -s "$WORK/$run.err" ] || { cat "$WORK/$run.err"; fail "output on stderr"; }
done
cmp -s "$WORK/a.out" "$WORK/b.out" || fail "the same seed gave different bytes"
"$PY" - "$WORK/a.out" "$PRIME" "$CK" <<'EOF' || fail "sampled text"
import sys, h5py
raw = open(sys.argv[1], "rb").read()
try:
    text = raw.decode("utf-8", errors="strict")
except UnicodeDecodeError as e:
    sys.exit(f"not valid UTF-8: {e}")
prime = sys.argv[2]
vocab = {chr(c) for c in h5py.File(sys.argv[3], "r")["vocab"][()]}
if not text.startswith(prime):
    sys.exit(f"does not begin with the prime {prime!r}: {text[:20]!r}")
gen = text[len(prime):]
if len(gen) != 300:
    sys.exit(f"{len(gen)} code points after the prime, expected 300")
if set(gen) - vocab:
    sys.exit(f"characters outside the vocabulary: {sorted(set(gen) - vocab)[:10]!r}")
if sum(ord(c) >= 0x4E00 for c in gen) < 100:
    sys.exit(f"hardly any CJK characters in {gen[:50]!r}")
print(f"prime {prime!r} + {len(gen)} code points ({len(raw)} bytes): {gen[:30]!r}...")
EOF

"$SAMPLE" "$CK" --device cpu --threads 1 --score "$TEXT" >"$WORK/score.out" 2>"$WORK/score.err" ||
    { cat "$WORK/score.err"; fail "charnn-sample --score"; }
"$PY" - "$WORK/score.out" "$TEXT" "$CK" <<'EOF' || fail "--score output"
import json, math, sys, h5py
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
if len(lines) != 1:
    sys.exit(f"expected one JSON line, got {lines!r}")
r = json.loads(lines[0])
n = len(open(sys.argv[2], encoding="utf-8").read())
V = h5py.File(sys.argv[3], "r")["vocab"].shape[0]
print(f"score: {r}, uniform guess {math.log(V):.4f} nats")
if r["chars"] != n - 1:
    sys.exit(f"chars {r['chars']}, expected {n - 1}")
nats, bits = r["nats_per_char"], r["bits_per_char"]
if not (math.isfinite(nats) and 0 < nats < math.log(V)):
    sys.exit(f"nats_per_char {nats} not in (0, ln V = {math.log(V):.4f})")
if abs(bits - nats / math.log(2)) > 1e-6 * bits:
    sys.exit(f"bits_per_char {bits} != nats_per_char / ln 2")
EOF
echo "sample.chinese: ok"
