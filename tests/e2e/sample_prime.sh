#!/bin/bash
# sample_prime.sh — --prime edge cases on a small trained model:
#   a prime that is a lone byte order mark decodes to no character and
#   samples exactly as no prime (from a newline), after the BOM's own bytes
#   (it used to run the model on no input: the first draw came from logits
#   that were never computed);
#   a prime in --encoding gb18030 samples as the same prime in UTF-8 (the
#   prime is printed as given, in its own encoding).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

printf 'Der König sagt: 中文 ist schön.\n%.0s' {1..80} >"$WORK/text.txt"
"$TRAIN" --data "$WORK/text.txt" --cell gru --hidden 16 --layers 1 --batch 4 --seq 16 --steps 20 \
    --save-every 0 --eval-every 0 --log-every 20 --device cpu --threads 1 --out "$WORK/run" \
    >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
CK=$WORK/run/latest.h5

draw() { # draw NAME args...
    local name=$1
    shift
    "$SAMPLE" "$CK" --device cpu --threads 1 --length 60 --seed 5 "$@" >"$WORK/$name.out" \
        2>"$WORK/$name.err" || { cat "$WORK/$name.err"; fail "charnn-sample $*"; }
}
draw none
draw bom --prime $'\xef\xbb\xbf'
cmp -s <(tail -c +4 "$WORK/bom.out") "$WORK/none.out" ||
    fail "a lone-BOM prime does not sample as no prime"
[ "$(head -c 3 "$WORK/bom.out" | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
    fail "the prime is not printed first"

prime="König 中"
gb=$(printf '%s' "$prime" | iconv -f utf-8 -t gb18030)
draw utf8 --prime "$prime"
draw gb18030 --encoding gb18030 --prime "$gb"
cmp -s <(tail -c +$(($(printf '%s' "$gb" | wc -c) + 1)) "$WORK/gb18030.out") \
    <(tail -c +$(($(printf '%s' "$prime" | wc -c) + 1)) "$WORK/utf8.out") ||
    fail "the prime in gb18030 samples differently from the same prime in UTF-8"
echo "ok: lone-BOM prime = no prime; gb18030 prime = the UTF-8 prime"
