#!/bin/bash
# require_gpu.sh — with every GPU hidden (CUDA_VISIBLE_DEVICES=-1), each GPU
# test skips (77) by default and fails (1) under CHARNN_REQUIRE_GPU=1 with
# one line naming the CUDA error and the driver and runtime versions.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
export CUDA_VISIBLE_DEVICES=-1
T=$CHARNN_BUILD/tests
cases=("$T/test_gpu_parity" "$T/test_gpu_model" "$T/test_rnn_persistent" "bash $CHARNN_SOURCE/tests/gpu/cross_device.sh")
for c in "${cases[@]}"; do
    rc=0
    $c >"$WORK/out" 2>&1 || rc=$?
    [ $rc = 77 ] || { cat "$WORK/out"; fail "$c: exit $rc without a GPU, expected 77 (skip)"; }
    rc=0
    CHARNN_REQUIRE_GPU=1 $c >"$WORK/out" 2>&1 || rc=$?
    [ $rc = 1 ] || { cat "$WORK/out"; fail "$c: exit $rc under CHARNN_REQUIRE_GPU=1, expected 1"; }
    grep -E "CHARNN_REQUIRE_GPU=1 but no usable GPU: CUDA cudaError[A-Za-z]+: .* \(driver [^,]+, runtime [0-9]+\.[0-9]+\)" "$WORK/out" >/dev/null ||
        { cat "$WORK/out"; fail "$c: no CUDA error and versions in its failure"; }
    echo "ok: $c: skips (77), fails under CHARNN_REQUIRE_GPU=1: $(head -1 "$WORK/out")"
done
