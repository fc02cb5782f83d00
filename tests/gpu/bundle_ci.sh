#!/bin/bash
# bundle_ci.sh — the CPU-side part of the device check (tests/gpu/check), in
# CI: tests/gpu/prepare-bundle (apt-get downloads cached in the build
# directory), then tests/gpu/check itself, whose build (bundle-build:
# -DCHARNN_MPI=OFF -DCHARNN_CUDA=ON against the unpacked .debs, every
# non-system library from the bundle) must pass and which must then say
# there is no GPU (exit 3, the CUDA error and versions) or, on a GPU
# machine, pass; then the bundle-built charnn-train trains a few CPU steps. Skips (77) when apt-get cannot download (no network, not Debian).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
. "$CHARNN_SOURCE/tests/gpu/bundle_lib.sh"
B=$CHARNN_BUILD/gpu-bundle
make_bundle "$B"
size=$(du -sm "$B" | cut -f1)
[ "$size" -le 60 ] || fail "the bundle is $size MiB: over what a device run can carry (64 MiB)"
# the check itself: it builds, then finds no GPU here (exit 3, saying why)
BB=$CHARNN_BUILD/gpu-bundle-build
rc=0
CHARNN_JOBS=${CHARNN_JOBS:-2} CHARNN_CHECK_BUILD_BUDGET=540 \
    OUT=$WORK/check "$CHARNN_SOURCE/tests/gpu/check" --bundle "$B" --build "$BB" \
    --work "$WORK/check-work" >"$WORK/check.log" 2>&1 || rc=$?
cat "$WORK/check/gpu-check.txt"
grep -q "^PASS build" "$WORK/check/gpu-check.txt" || { cat "$WORK/check-work/build.log"; fail "the check's build failed"; }
if [ $rc = 3 ]; then
    grep -Eq "^NO GPU: .*\(driver [^,]+, runtime [0-9.]+\)" "$WORK/check/gpu-check.txt" ||
        fail "the check found no GPU without saying why"
else
    [ $rc = 0 ] || fail "tests/gpu/check: exit $rc"
fi
gen_text english 20000 4 "$WORK/t.txt"
"$BB/charnn-train" --data "$WORK/t.txt" --out "$WORK/run" --steps 3 --hidden 16 --layers 1 \
    --batch 4 --seq 16 --device auto --threads 1 >"$WORK/train.log" 2>&1 ||
    { cat "$WORK/train.log"; fail "the bundle-built charnn-train failed"; }
grep -q "^done: step 3" "$WORK/train.log" || { cat "$WORK/train.log"; fail "no 'done: step 3'"; }
rc=0
"$BB/tests/gpu_probe" bundle >"$WORK/probe.log" 2>&1 || rc=$?
[ $rc = 0 ] || [ $rc = 77 ] || { cat "$WORK/probe.log"; fail "gpu_probe: exit $rc"; }
echo "ok: bundle $size MiB; built; trained; $(cat "$WORK/probe.log")"
