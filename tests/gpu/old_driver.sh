#!/bin/bash
# old_driver.sh — a CUDA driver older than the runtime (faked by the LD_PRELOAD
# shim fake_old_driver.c) is an error, not "no GPU": charnn-train and
# charnn-sample under --device auto stop with one line naming the CUDA error
# and the driver and runtime versions (they used to run on the CPU silently),
# --device cpu still trains, and the GPU tests fail instead of skipping.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
SHIM=${1:?usage: old_driver.sh SHIM.so}
gen_text english 20000 2 "$WORK/t.txt"
want='CUDA cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version \(driver 12\.4, runtime [0-9]+\.[0-9]+\)'
OPTS=(--data "$WORK/t.txt" --hidden 8 --layers 1 --batch 3 --seq 10 --threads 1 --eval-every 0)

# expect_fail NAME REGEX CMD...: exit 1 and REGEX on its output
expect_fail() {
    local name=$1 re=$2 rc=0
    shift 2
    LD_PRELOAD=$SHIM "$@" >"$WORK/$name.out" 2>&1 || rc=$?
    [ $rc = 1 ] || { cat "$WORK/$name.out"; fail "$name: exit $rc, expected 1"; }
    grep -Eq "$re" "$WORK/$name.out" || { cat "$WORK/$name.out"; fail "$name: no '$re'"; }
    echo "ok: $name: $(head -1 "$WORK/$name.out")"
}

expect_fail train "^charnn-train: error: --device auto: $want; pass --device cpu" \
    "$TRAIN" "${OPTS[@]}" --out "$WORK/a" --steps 1
[ ! -e "$WORK/a/ckpt-00000001.h5" ] || fail "it trained anyway"
LD_PRELOAD=$SHIM "$TRAIN" "${OPTS[@]}" --out "$WORK/b" --steps 1 --device cpu >"$WORK/cpu.out" 2>&1 ||
    { cat "$WORK/cpu.out"; fail "--device cpu failed under the old driver"; }
expect_fail sample "^charnn-sample: error: --device auto: $want" \
    "$SAMPLE" "$WORK/b/ckpt-00000001.h5" --length 5
expect_fail parity "^FAIL gpu.parity: the CUDA driver fails: $want" "$CHARNN_BUILD/tests/test_gpu_parity"
