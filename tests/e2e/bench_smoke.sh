#!/usr/bin/env bash
# bench_smoke.sh — bench/cpu_vs_torch.sh for 12 steps of the small config
# (LSTM and GRU, 2 threads, Debian's torch only: PyPI's is not in CI) with
# this build's charnn-train; passes when the script ends well and its table
# has a row for each cell with both programs' throughput. Skips (77) when
# Debian's python3 has no torch (ctest's skip, SKIP_RETURN_CODE 77, which
# the stages' skip budgets see: tests/budget).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
"$PY" -c 'import torch' 2>/dev/null || skip "$PY has no torch (python3-torch)"
out=$WORK/bench.out
"$CHARNN_SOURCE/bench/cpu_vs_torch.sh" --config small --steps 12 --cells lstm,gru \
    --threads 2 --torch debian --build-dir "$CHARNN_BUILD" --no-build >"$out" 2>&1 || {
    cat "$out"
    fail "bench/cpu_vs_torch.sh exited with an error"
}
for cell in lstm gru; do
    row=$(grep -E "^small $cell 2x128 32x64 +2 +[0-9]+ +[0-9]+ +[0-9.]+ " "$out" || true)
    if [ -z "$row" ]; then
        cat "$out"
        fail "no table row with both throughputs for small $cell"
    fi
    echo "$row"
done
echo "PASS"
