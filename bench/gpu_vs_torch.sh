#!/usr/bin/env bash
# gpu_vs_torch.sh — benchmark: charnn-train --device cuda vs PyTorch + cuDNN (bench/torch_train.py --device cuda).
set -euo pipefail

usage() {
    cat <<'EOF2'
usage: bench/gpu_vs_torch.sh --build-dir DIR [--steps S] [--cells "lstm gru"]
                             [--configs "notebook chinese"] [--corpora DIR] [--results FILE]

Trains the same char-RNN for S steps (default 60; the first 10 are warm-up)
with DIR/charnn-train --device cuda and with bench/torch_train.py --device
cuda (nn.LSTM / nn.GRU: cuDNN), and prints one line per run: ms/batch,
chars/s and peak GPU memory.
  notebook: 2x512, batch 100x100, tinyshakespeare.txt (UTF-8)
  chinese:  2x512, batch 128x100, sanguo.gb18030.txt (GB18030; configs/chinese.ini)
Peak memory: PyTorch's torch.cuda.max_memory_allocated (tensors only), and
for both programs the largest "memory.used" nvidia-smi reports while the run
is going, minus the value before it (the whole process: CUDA context,
cuBLAS/cuDNN workspaces and the caching allocator's pool), sampled every 50 ms.
Corpora: --corpora DIR (default ../shared/corpora). Environment: PYTHON
(default python3).
EOF2
}

BUILD="" STEPS=60 CELLS="lstm gru" CONFIGS="notebook chinese" CORPORA=../shared/corpora RESULTS=""
while [ $# -gt 0 ]; do
    case $1 in
        --build-dir) BUILD=$2 ;;
        --steps) STEPS=$2 ;;
        --cells) CELLS=$2 ;;
        --configs) CONFIGS=$2 ;;
        --corpora) CORPORA=$2 ;;
        --results) RESULTS=$2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$BUILD" ] || { usage >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
note() { echo "$*"; [ -z "$RESULTS" ] || echo "$*" >>"$RESULTS"; }

gpu_mem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1; }
# peak_of CMD...: runs CMD, sampling nvidia-smi; prints the peak increase (MiB) on fd 3
peak_of() {
    local base peak=0 m pid
    base=$(gpu_mem || echo 0)
    "$@" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        m=$(gpu_mem || echo 0)
        [ "${m:-0}" -gt "$peak" ] && peak=$m
        sleep 0.05
    done
    local rc=0
    wait "$pid" || rc=$?
    echo $((peak > base ? peak - base : 0)) >&3
    return $rc
}

for cfg in $CONFIGS; do
    case $cfg in
        notebook) data=$CORPORA/tinyshakespeare.txt enc=utf-8 batch=100 ;;
        chinese) data=$CORPORA/sanguo.gb18030.txt enc=gb18030 batch=128 ;;
        *) echo "unknown config $cfg" >&2; exit 2 ;;
    esac
    [ -f "$data" ] || { note "bench $cfg: skipped: $data is absent"; continue; }
    for cell in $CELLS; do
        common=(--cell "$cell" --hidden 512 --layers 2 --batch "$batch" --seq 100 --dropout 0
                --lr 0.002 --steps "$STEPS")
        smi=$( { peak_of "$BUILD/charnn-train" --data "$data" --encoding "$enc" "${common[@]}" \
            --device cuda --log-every 10 --eval-every 0 --save-every 0 --out "$WORK/c-$cfg-$cell" \
            >"$WORK/c.log" 2>&1; } 3>&1) || { cat "$WORK/c.log"; note "bench $cfg $cell: charnn failed"; continue; }
        # chars/s over the log intervals after the first (warm-up)
        cps=$(sed -n 's/.*"type":"train".*"chars_per_s":\([0-9.]*\).*/\1/p' "$WORK/c-$cfg-$cell/metrics.jsonl" |
            tail -n +2 | awk '{ s += 1 / $1; n++ } END { if (n) printf "%.0f", n / s }')
        ms=$(awk -v c="$cps" -v b="$batch" 'BEGIN { printf "%.2f", 1000 * b * 100 / c }')
        note "bench $cfg $cell charnn: ${ms} ms/batch, ${cps} chars/s, peak +${smi} MiB (nvidia-smi)"
        tsmi=$( { peak_of "$PY" bench/torch_train.py --device cuda --data "$data" --encoding "$enc" \
            "${common[@]}" --warmup 10 --log-every 10 >"$WORK/t.log" 2>&1; } 3>&1) ||
            { tail -5 "$WORK/t.log"; note "bench $cfg $cell torch: failed"; continue; }
        note "bench $cfg $cell torch: $(sed -n 's/^RESULT //p' "$WORK/t.log" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
print("%.2f ms/batch, %.0f chars/s, peak %.0f MiB allocated" % (r["ms_per_batch"], r["chars_per_s"], r["peak_mem_mib"]), end="")'), peak +${tsmi} MiB (nvidia-smi)"
    done
done
