#!/usr/bin/env bash
# gpu_vs_torch.sh — benchmark: charnn-train --device cuda (the recurrence
# stepwise and persistent) vs PyTorch + cuDNN (bench/torch_train.py --device
# cuda), each in FP32 and in TF32, matched. Exits 1 when any run failed.
set -euo pipefail

usage() {
    cat <<'EOF2'
usage: bench/gpu_vs_torch.sh --build-dir DIR [--steps S] [--cells "lstm gru"]
                             [--configs "notebook shakespeare chinese"]
                             [--kernels "stepwise persistent"] [--modes "fp32 tf32"]
                             [--corpora DIR] [--results FILE]

Trains the same char-RNN for S steps (default 60; the first 10 are warm-up)
with DIR/charnn-train --device cuda --rnn-kernel K (K each of --kernels) and
with bench/torch_train.py --device cuda (nn.LSTM / nn.GRU: cuDNN), each
program in each of --modes, matched:
  fp32  charnn-train without --tf32; torch_train.py --tf32 off (cuDNN's and
        cuBLAS's TF32 switches both off; PyTorch's default has cuDNN's on)
  tf32  charnn-train --tf32;         torch_train.py --tf32 on
Configs (dropout 0, lr 0.002, seq 100):
  notebook:    2x512, batch 100x100, tinyshakespeare.txt (UTF-8)
  shakespeare: 2x256, batch 100x100, tinyshakespeare.txt (configs/shakespeare.ini's model)
  chinese:     2x512, batch 128x100, sanguo.gb18030.txt (GB18030; configs/chinese.ini)
One line per run: ms/batch, chars/s, the last training loss, peak GPU memory
(for both programs the largest nvidia-smi "memory.used" during the run minus
the value before it, sampled every 50 ms; for PyTorch also
torch.cuda.max_memory_allocated, tensors only); then per config, cell and
mode the ratio PyTorch ms / charnn ms (> 1: charnn faster). A charnn run
asked for the persistent kernel that fell back to stepwise (its log says so)
is reported as such, not as persistent. Where both kernels ran, their last
losses (same model, data and seed) must agree within 1%. Any failed run or
check: its log's tail, a FAIL line, and exit 1 after the others ran.
Corpora: --corpora DIR (default ../shared/corpora). Environment: PYTHON
(default python3). --self-test: both programs on the CPU with a 2x32 model and
batch 8 (tests/gpu/bench_selftest.sh checks the script's own logic in CI; no
number it prints means anything).
EOF2
}

BUILD="" DEVICE=cuda TINY=0 STEPS=60 CELLS="lstm gru" CONFIGS="notebook shakespeare chinese"
KERNELS="stepwise persistent" MODES="fp32 tf32" CORPORA=../shared/corpora RESULTS=""
while [ $# -gt 0 ]; do
    case $1 in
        --build-dir) BUILD=$2 ;;
        --steps) STEPS=$2 ;;
        --cells) CELLS=$2 ;;
        --configs) CONFIGS=$2 ;;
        --kernels) KERNELS=$2 ;;
        --modes) MODES=$2 ;;
        --corpora) CORPORA=$2 ;;
        --results) RESULTS=$2 ;;
        --self-test) DEVICE=cpu TINY=1; shift; continue ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$BUILD" ] || { usage >&2; exit 2; }
[ "$STEPS" -gt 10 ] || { echo "gpu_vs_torch.sh: --steps must exceed the 10 warm-up steps" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FAILED=0
note() { echo "$*"; [ -z "$RESULTS" ] || echo "$*" >>"$RESULTS"; }
failed() { # failed LOG WHAT: the log's tail, a FAIL line
    tail -8 "$1" | sed 's/^/    /'
    note "FAIL bench $2"
    FAILED=1
}

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

# charnn_run CFG CELL KERNEL MODE: one charnn-train run; sets MS and LOSS
declare -A MS LOSS
charnn_run() {
    local cfg=$1 cell=$2 kernel=$3 mode=$4 key="$1 $2 $4" out=$WORK/c-$1-$2-$3-$4 smi cps ms loss ran
    local tf=()
    [ "$mode" = tf32 ] && tf=(--tf32)
    smi=$( { peak_of "$BUILD/charnn-train" --data "$data" --encoding "$enc" "${common[@]}" \
        --device "$DEVICE" --rnn-kernel "$kernel" "${tf[@]}" --log-every 10 --eval-every 0 \
        --save-every 0 --out "$out" >"$out.log" 2>&1; } 3>&1) ||
        { failed "$out.log" "$cfg $cell charnn $kernel $mode: charnn-train exited non-zero"; return; }
    # chars/s over the log intervals after the first (warm-up)
    cps=$(sed -n 's/.*"type":"train".*"chars_per_s":\([0-9.]*\).*/\1/p' "$out/metrics.jsonl" |
        tail -n +2 | awk '{ s += 1 / $1; n++ } END { if (n) printf "%.0f", n / s }')
    loss=$(sed -n 's/.*"type":"train".*"loss":\([0-9.eE+a-z-]*\).*/\1/p' "$out/metrics.jsonl" | tail -1)
    if [ -z "$cps" ] || ! awk -v l="$loss" 'BEGIN { exit !(l ~ /^[0-9.eE+-]+$/) }'; then
        failed "$out.log" "$cfg $cell charnn $kernel $mode: no throughput or a non-finite loss ($loss)"
        return
    fi
    # which recurrence ran: "persistent" only when every shape's line says so
    ran=$(sed -n 's/.*recurrence: \([a-z]*\).*/\1/p' "$out.log" | sort -u | paste -sd+ -)
    ms=$(awk -v c="$cps" -v b="$batch" 'BEGIN { printf "%.2f", 1000 * b * 100 / c }')
    MS["$key $kernel"]=$ms
    LOSS["$key $kernel"]=$loss
    note "bench $cfg $cell charnn $kernel $mode: ${ms} ms/batch, ${cps} chars/s, loss $loss, peak +${smi} MiB (nvidia-smi)${ran:+; ran $ran}"
    # the persistent kernel's launch shapes (blocks, units, shared memory), once per config
    if [ "$kernel" = persistent ] && [ "$mode" = "${MODES%% *}" ]; then
        { grep -o 'recurrence: persistent (.*' "$out.log" || true; } | sort -u |
            while read -r line; do note "    plan: $line"; done
    fi
    if [ "$kernel" = persistent ] && [ "$ran" != persistent ]; then
        failed "$out.log" "$cfg $cell charnn persistent $mode: the persistent kernel did not run (${ran:-no 'recurrence:' line})"
    fi
}

# torch_run CFG CELL MODE: one torch_train.py run; sets ms[key]
torch_run() {
    local cfg=$1 cell=$2 mode=$3 key="$1 $2 $3" log=$WORK/t-$1-$2-$3.log smi line
    local tf=off
    [ "$mode" = tf32 ] && tf=on
    smi=$( { peak_of "$PY" bench/torch_train.py --device "$DEVICE" --data "$data" --encoding "$enc" \
        "${common[@]}" --tf32 $tf --warmup 10 --log-every 10 >"$log" 2>&1; } 3>&1) ||
        { failed "$log" "$cfg $cell torch $mode: torch_train.py exited non-zero"; return; }
    line=$(sed -n 's/^RESULT //p' "$log" | "$PY" -c '
import json, math, sys
r = json.load(sys.stdin)
assert math.isfinite(r["final_loss"]), "non-finite loss"
print("%.2f %.2f ms/batch, %.0f chars/s, loss %.4f, peak %.0f MiB allocated" % (r["ms_per_batch"],
      r["ms_per_batch"], r["chars_per_s"], r["final_loss"], r.get("peak_mem_mib", 0)))' 2>>"$log") ||
        { failed "$log" "$cfg $cell torch $mode: no RESULT line or a non-finite loss"; return; }
    MS["$key torch"]=${line%% *}
    note "bench $cfg $cell torch cudnn $mode: ${line#* }, peak +${smi} MiB (nvidia-smi)"
}

for cfg in $CONFIGS; do
    case $cfg in
        notebook) data=$CORPORA/tinyshakespeare.txt enc=utf-8 batch=100 hidden=512 ;;
        shakespeare) data=$CORPORA/tinyshakespeare.txt enc=utf-8 batch=100 hidden=256 ;;
        chinese) data=$CORPORA/sanguo.gb18030.txt enc=gb18030 batch=128 hidden=512 ;;
        *) echo "unknown config $cfg" >&2; exit 2 ;;
    esac
    [ $TINY = 0 ] || hidden=32 batch=8
    if [ ! -f "$data" ]; then
        note "FAIL bench $cfg: $data is absent"
        FAILED=1
        continue
    fi
    for cell in $CELLS; do
        common=(--cell "$cell" --hidden "$hidden" --layers 2 --batch "$batch" --seq 100 --dropout 0
                --lr 0.002 --steps "$STEPS")
        for mode in $MODES; do
            for kernel in $KERNELS; do
                charnn_run "$cfg" "$cell" "$kernel" "$mode"
            done
            torch_run "$cfg" "$cell" "$mode"
            r="ratio $cfg $cell $mode (torch ms / charnn ms):"
            for kernel in $KERNELS; do
                c=${MS["$cfg $cell $mode $kernel"]:-} t=${MS["$cfg $cell $mode torch"]:-}
                if [ -n "$c" ] && [ -n "$t" ]; then
                    r+=" $kernel $(awk -v c="$c" -v t="$t" 'BEGIN { printf "%.2fx", t / c }')"
                else
                    r+=" $kernel -"
                fi
            done
            note "$r"
            # the two recurrences train the same model on the same data: their
            # last losses agree unless one of them is wrong
            ls=${LOSS["$cfg $cell $mode stepwise"]:-} lp=${LOSS["$cfg $cell $mode persistent"]:-}
            if [ -n "$ls" ] && [ -n "$lp" ]; then
                if awk -v a="$ls" -v b="$lp" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.01 * a) }'; then
                    note "losses $cfg $cell $mode: stepwise $ls, persistent $lp: within 1%"
                else
                    note "FAIL bench $cfg $cell $mode: stepwise loss $ls, persistent $lp: more than 1% apart"
                    FAILED=1
                fi
            fi
        done
    done
done
[ $FAILED = 0 ] || { note "bench: FAIL (a run failed: above)"; exit 1; }
note "bench: all runs passed"
