#!/bin/bash
# valgrind_sample.sh — charnn-sample under valgrind (memcheck) on a small
# trained LSTM (2 x 16): sampling with a prime, with a prime that is a lone
# byte order mark (it decodes to nothing: the model starts from a newline),
# with --argmax and without a prime, and --score. Each run must end with no
# memory error (invalid read/write, use of uninitialised values, bad free)
# and no definitely lost block; what third-party libraries keep until exit
# (still reachable, possibly lost in their thread pools) is not counted.
# tests/sanitize/valgrind.supp holds the few suppressions, each justified.
# Skips when valgrind is missing, or when charnn-sample links the CUDA
# runtime (valgrind cannot run it; CI builds without CUDA).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

command -v valgrind >/dev/null || skip "valgrind is not installed (apt-get install valgrind)"
# (grep reads all of ldd's output: with -q it could stop early, and ldd's
# SIGPIPE would then make the pipeline false under pipefail)
if ldd "$SAMPLE" | grep -E 'libcuda|libcudart|libcublas|libnccl' >/dev/null; then
    skip "charnn-sample links the CUDA runtime, which valgrind cannot run (configure with -DCHARNN_CUDA=OFF)"
fi

gen_text english 6000 17 "$WORK/text.txt"
"$TRAIN" --data "$WORK/text.txt" --cell lstm --hidden 16 --layers 2 --batch 4 --seq 16 --steps 5 \
    --save-every 0 --eval-every 0 --log-every 5 --device cpu --threads 1 --out "$WORK/run" \
    >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
CK=$WORK/run/latest.h5
head -c 600 "$WORK/text.txt" >"$WORK/score.txt"

# One thread: valgrind serialises threads anyway, and OpenMP's pool would
# only add its own (suppressed) noise.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=yes --num-callers=40
    --suppressions="$CHARNN_SOURCE/tests/sanitize/valgrind.supp")

# vg NAME args...: charnn-sample args under valgrind; its log in $WORK/NAME.vg
vg() {
    local name=$1 rc=0
    shift
    "${VG[@]}" --log-file="$WORK/$name.vg" "$SAMPLE" "$CK" --device cpu --threads 1 "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$WORK/$name.vg"; then
        cat "$WORK/$name.err" "$WORK/$name.vg"
        fail "$name: exit $rc under valgrind (see the log above)"
    fi
    echo "ok: $name: $(grep -E 'definitely lost|ERROR SUMMARY' "$WORK/$name.vg" | sed 's/^==[0-9]*== *//' | tr '\n' ' ')"
}

vg prime --prime "The old king" --length 40 --seed 3
vg bom_prime --prime $'\xef\xbb\xbf' --length 40 --seed 3
vg no_prime --length 40 --seed 3
vg argmax --prime "The" --length 40 --argmax
vg score --score "$WORK/score.txt"
# the lone BOM is an empty prime: the same text, after the BOM's own bytes
cmp -s <(tail -c +4 "$WORK/bom_prime.out") "$WORK/no_prime.out" ||
    fail "a prime that is a lone BOM does not sample as the empty prime"
grep -q '"chars": 599' "$WORK/score.out" || { cat "$WORK/score.out"; fail "score output"; }
