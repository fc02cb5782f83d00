#!/usr/bin/env bash
# bench_smoke.sh — bench/cpu_vs_torch.sh for 12 steps of the small config
# (LSTM and GRU, 2 threads, Debian's torch only: PyPI's is not in CI) with
# this build's charnn-train; passes when the script ends well and its table
# has a row for each cell with both programs' throughput. Skips (77) when
# Debian's python3 has no torch.
set -euo pipefail
: "${CHARNN_BUILD:?}" "${CHARNN_SOURCE:?}"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no torch (python3-torch)"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$CHARNN_SOURCE/bench/cpu_vs_torch.sh" --config small --steps 12 --cells lstm,gru \
    --threads 2 --torch debian --build-dir "$CHARNN_BUILD" --no-build >"$out" 2>&1 || {
    cat "$out"
    echo "FAIL: bench/cpu_vs_torch.sh exited with an error"
    exit 1
}
for cell in lstm gru; do
    row=$(grep -E "^small $cell 2x128 32x64 +2 +[0-9]+ +[0-9]+ +[0-9.]+ " "$out" || true)
    if [ -z "$row" ]; then
        cat "$out"
        echo "FAIL: no table row with both throughputs for small $cell"
        exit 1
    fi
    echo "$row"
done
echo "PASS"
