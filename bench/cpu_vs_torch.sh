#!/usr/bin/env bash
# cpu_vs_torch.sh — benchmark: charnn-train --device cpu vs PyTorch (CPU) on the same LSTM/GRU training work, against the machine's FMA peak.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/cpu_vs_torch.sh [--steps S] [--threads T] [--config small|notebook|both]
                             [--cells lstm,gru] [--repeat R] [--build-dir DIR]
                             [--no-build] [--keep]

Trains the same char-RNN for S steps with charnn-train (--device cpu) and with
bench/torch_train.py (PyTorch, CPU), both with T threads, and prints chars/s
(the first log interval excluded as warm-up), ms/batch, the losses, GFLOP/s
(3 x the forward GEMM flops per character: forward, input and weight
gradients), the percentage of the FP32 FMA peak that bench/fma_peak.c
measures with T threads in the same run (the highest of its readings, taken
at the start and before each config), and each program's
peak RSS (GNU time's %M).

  --steps S        steps per run (default: small 60, notebook 10)
  --threads T      threads for both (default: nproc)
  --config C       small (2x128, batch 32x64), notebook (2x512, batch 100x100)
                   or both (default)
  --cells LIST     comma-separated cells, lstm and/or gru (default lstm,gru)
  --repeat R       run each program R times, alternating, and keep the fastest
                   run of each (default 1; use 3 or more on a shared machine)
  --build-dir DIR  charnn build directory (default: build); configured as
                   Release (a new one without the tests) and charnn-train
                   built when needed
  --no-build       use DIR/charnn-train as it is
  --keep           keep the run directories (printed) instead of deleting them

Environment: PYTHON (default /usr/bin/python3: Debian's, with torch);
OMP_WAIT_POLICY, passed to both programs (default PASSIVE: with libgomp's
spinning ACTIVE policy, PyTorch's OpenMP threads fight its own OpenBLAS threads
for the cores and it runs several times slower; see docs/benchmarks.md).
Corpus: ../shared/corpora/tinyshakespeare.txt (relative to the repo root) when
present, else 1,000,000 characters from tests/e2e/gen_text.py english.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
STEPS="" THREADS=$(nproc) REPEAT=1 CONFIG=both CELLS=lstm,gru BUILD="$ROOT/build" DO_BUILD=1 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
    --steps) STEPS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --cells) CELLS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "cpu_vs_torch.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$CONFIG" in
small) CONFIGS=(small) ;;
notebook) CONFIGS=(notebook) ;;
both) CONFIGS=(small notebook) ;;
*) echo "cpu_vs_torch.sh: --config must be small, notebook or both" >&2; exit 2 ;;
esac
IFS=',' read -r -a CELL_LIST <<<"$CELLS"
for c in "${CELL_LIST[@]}"; do
    case "$c" in
    lstm | gru) ;;
    *) echo "cpu_vs_torch.sh: --cells takes lstm and/or gru, not '$c'" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "cpu_vs_torch.sh: /usr/bin/time (GNU time) is missing (Debian package: time)" >&2; exit 1; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --threads '$THREADS'" >&2; exit 2; }
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --repeat '$REPEAT'" >&2; exit 2; }
[ -z "$STEPS" ] || [[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --steps '$STEPS'" >&2; exit 2; }
"$PY" -c 'import torch' 2>/dev/null || { echo "cpu_vs_torch.sh: $PY has no torch (set PYTHON)" >&2; exit 1; }

# ---- build ----
TRAIN="$BUILD/charnn-train"
if [ "$DO_BUILD" = 1 ]; then
    if [ -f "$BUILD/CMakeCache.txt" ]; then
        bt=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
        if [ "$bt" != Release ]; then
            echo "cpu_vs_torch.sh: $BUILD is a '$bt' build; pass --build-dir for a Release one" >&2
            exit 1
        fi
    else
        echo "== configuring $BUILD (Release)"
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCHARNN_TESTS=OFF >/dev/null
    fi
    echo "== building charnn-train in $BUILD"
    cmake --build "$BUILD" -j"$(nproc)" --target charnn-train >/dev/null
fi
[ -x "$TRAIN" ] || { echo "cpu_vs_torch.sh: no $TRAIN" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/charnn-bench.XXXXXX")
if [ "$KEEP" = 1 ]; then
    echo "== run directories kept in $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

# ---- corpus ----
CORPUS="$ROOT/../shared/corpora/tinyshakespeare.txt"
if [ -f "$CORPUS" ]; then
    CORPUS=$(realpath "$CORPUS")
    CORPUS_DESC="tinyshakespeare.txt ($(wc -c <"$CORPUS") bytes, from ../shared/corpora)"
else
    CORPUS="$WORK/english.txt"
    "$PY" "$ROOT/tests/e2e/gen_text.py" english 1000000 1 >"$CORPUS"
    CORPUS_DESC="generated: tests/e2e/gen_text.py english 1000000 1 (../shared/corpora/tinyshakespeare.txt absent)"
fi
echo "== corpus: $CORPUS_DESC"
VOCAB=$("$PY" -c 'import sys; print(len(set(open(sys.argv[1], encoding="utf-8").read())))' "$CORPUS")

# ---- the FMA peak of the same threads, measured now ----
cc -O3 -march=native -fopenmp "$ROOT/bench/fma_peak.c" -o "$WORK/fma_peak"
# peak_check: measure again; PEAK_LINE/PEAK keep the highest reading of the run
PEAK=0 PEAK_LINE=""
peak_check() {
    local line val
    line=$("$WORK/fma_peak" "$THREADS")
    val=$(sed -n 's/.*: \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$line")
    echo "== $line"
    if awk -v a="$val" -v b="$PEAK" 'BEGIN { exit !(a > b) }'; then
        PEAK=$val PEAK_LINE=$line
    fi
}
peak_check
echo "== threads: $THREADS (nproc $(nproc)); CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "== torch: $("$PY" -c 'import torch; print(torch.__version__)'); OMP_WAIT_POLICY=$OMP_WAIT_POLICY (both)"

# warns when other work keeps the CPUs busy (sampled over 1 s while nothing of ours runs)
load_check() {
    local a b busy
    a=$(head -1 /proc/stat)
    sleep 1
    b=$(head -1 /proc/stat)
    busy=$(awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x); split(b, y); tot = 0
        for (i = 2; i <= n; i++) tot += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.0f", (tot > 0 ? 100 * (tot - idle) / tot : 0) }')
    if [ "$busy" -gt 25 ]; then
        echo "   warning: the CPUs are ${busy}% busy with other work: numbers will be low"
    fi
}

# config -> "hidden layers batch seq steps log_every"
config_args() {
    case "$1" in
    small) echo "128 2 32 64 ${STEPS:-60} 10" ;;
    notebook) echo "512 2 100 100 ${STEPS:-10} 2" ;;
    esac
}

# chars/s over the steps after the first log line, from time_s of the metrics:
# prints "chars/s ms/batch loss_at_warmup loss_last"
METRICS_PY='
import json, sys
path, k, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tr = [r for r in map(json.loads, filter(str.strip, open(path))) if r["type"] == "train"]
warm, last = next(r for r in tr if r["step"] == k), tr[-1]
steps, secs = last["step"] - warm["step"], last["time_s"] - warm["time_s"]
print("%.0f %.1f %.4f %.4f" % (steps * n * m / secs, 1000 * secs / steps, warm["loss"], last["loss"]))'
# the same four numbers from torch_train.py's RESULT line
RESULT_PY='
import json, sys
r = json.loads(next(l for l in sys.stdin if l.startswith("RESULT "))[7:])
print("%.0f %.1f %.4f %.4f" % (r["chars_per_s"], r["ms_per_batch"], r["warm_loss"], r["final_loss"]))'

# run_charnn TAG: one charnn run (log to stdout, indented); its numbers into RES
run_charnn() {
    local out="$WORK/charnn-$1"
    /usr/bin/time -f %M -o "$out.rss" "$TRAIN" --data "$CORPUS" --device cpu --cell "$CELL" \
        "${common[@]}" --eval-every 0 --save-every 0 --log-every "$K" --threads "$THREADS" \
        --out "$out" >"$out.log"
    sed 's/^/   /' "$out.log"
    RES="$("$PY" -c "$METRICS_PY" "$out/metrics.jsonl" "$K" "$N" "$M") $(tail -1 "$out.rss")"
}

# run_torch TAG: the same with bench/torch_train.py
run_torch() {
    local log="$WORK/torch-$1.log"
    /usr/bin/time -f %M -o "$log.rss" "$PY" "$ROOT/bench/torch_train.py" --data "$CORPUS" \
        --cell "$CELL" "${common[@]}" --warmup "$K" --log-every "$K" --threads "$THREADS" >"$log"
    sed 's/^/   /' "$log"
    RES="$("$PY" -c "$RESULT_PY" <"$log") $(tail -1 "$log.rss")"
}

# faster A B: the result with the higher chars/s (A empty = none yet)
faster() {
    if [ -z "$1" ] || [ "${2%% *}" -gt "${1%% *}" ]; then echo "$2"; else echo "$1"; fi
}

# flops per character trained: 3 x the forward GEMMs (W_hh of every layer,
# W_ih of layers above the first, the decoder); G gates
flops_per_char() { # cell hidden layers vocab
    local g=4
    [ "$1" = gru ] && g=3
    echo $((3 * (2 * g * $2 * $2 * (2 * $3 - 1) + 2 * $4 * $2)))
}

ROWS=()
for cfg in "${CONFIGS[@]}"; do
  peak_check
  for CELL in "${CELL_LIST[@]}"; do
    read -r H L N M S K <<<"$(config_args "$cfg")"
    if [ "$S" -le "$K" ]; then
        echo "cpu_vs_torch.sh: --steps $S leaves nothing after the warm-up ($K steps) for '$cfg'" >&2
        exit 2
    fi
    common=(--hidden "$H" --layers "$L" --batch "$N" --seq "$M" --dropout 0.5 --lr 0.002
        --grad-clip 5 --val-frac 0.05 --steps "$S")
    c_res="" t_res=""
    for r in $(seq 1 "$REPEAT"); do
        echo "== [$cfg $CELL, run $r/$REPEAT] charnn-train: $CELL ${L}x${H}, batch ${N}x${M}, $S steps (first $K = warm-up)"
        load_check
        run_charnn "$cfg-$CELL-$r"
        c_res=$(faster "$c_res" "$RES")
        echo "== [$cfg $CELL, run $r/$REPEAT] PyTorch: the same work"
        load_check
        run_torch "$cfg-$CELL-$r"
        t_res=$(faster "$t_res" "$RES")
    done
    read -r c_cps c_ms c_l0 c_l1 c_rss <<<"$c_res"
    read -r t_cps t_ms t_l0 t_l1 t_rss <<<"$t_res"
    fpc=$(flops_per_char "$CELL" "$H" "$L" "$VOCAB")
    nums=$(awk -v a="$c_cps" -v b="$t_cps" -v f="$fpc" -v p="$PEAK" -v cr="$c_rss" -v tr="$t_rss" \
        'BEGIN { printf "%.2f %.1f %.1f %.0f %.0f", a / b, a * f * 1e-9, b * f * 1e-9,
                 cr / 1024, tr / 1024 }')
    read -r ratio c_gf t_gf c_mib t_mib <<<"$nums"
    ROWS+=("$cfg $CELL ${L}x${H} ${N}x${M}|$c_cps|$t_cps|$ratio|$c_gf|$t_gf|$c_mib|$t_mib|$c_ms|$t_ms|$c_l0 -> $c_l1|$t_l0 -> $t_l1")
  done
done

echo
echo "threads $THREADS, OMP_WAIT_POLICY=$OMP_WAIT_POLICY; chars/s and ms/batch over the steps after"
echo "the first log interval (warm-up: small 10 steps, notebook 2), the best of $REPEAT run(s) each;"
echo "ratio = charnn/PyTorch chars/s; GFLOP/s = chars/s x 3 x forward GEMM flops per character;"
echo "peak = the highest of the run's fma_peak readings: $PEAK_LINE; RSS = peak resident MiB; loss: end of warm-up -> last step"
printf '%-26s %10s %10s %6s %8s %6s %8s %8s %8s %9s %9s %18s %18s\n' "config (cell, batch)" \
    "charnn c/s" "torch c/s" "ratio" "c GF/s" "%peak" "t GF/s" "c MiB" "t MiB" "charnn ms" \
    "torch ms" "charnn loss" "torch loss"
for row in "${ROWS[@]}"; do
    IFS='|' read -r a b c d e g h i j k l m <<<"$row"
    f=$(awk -v e="$e" -v p="$PEAK" 'BEGIN { printf "%.0f%%", 100 * e / p }')
    printf '%-26s %10s %10s %6s %8s %6s %8s %8s %8s %9s %9s %18s %18s\n' "$a" "$b" "$c" "$d" "$e" \
        "$f" "$g" "$h" "$i" "$j" "$k" "$l" "$m"
done
