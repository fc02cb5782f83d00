#!/usr/bin/env bash
# cpu_vs_torch.sh — benchmark: charnn-train --device cpu vs PyTorch (CPU; Debian's and PyPI's) on the same LSTM/GRU training work, against the machine's FMA peak.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/cpu_vs_torch.sh [--steps S] [--threads LIST] [--config LIST]
                             [--cells lstm,gru] [--torch debian|pypi|both]
                             [--make-venv] [--repeat R] [--build-dir DIR]
                             [--no-build] [--keep]

Trains the same char-RNN for S steps with charnn-train (--device cpu) and with
bench/torch_train.py (PyTorch, CPU): Debian's python3-torch and/or the
current PyTorch from PyPI in a venv, all with T threads. Prints chars/s
(the first log interval excluded as warm-up), ms/batch, the losses, GFLOP/s
(3 x the forward GEMM flops per character: forward, input and weight
gradients), the percentage of the FP32 FMA peak that bench/fma_peak.c
measures with T threads in the same run (the highest of its readings, taken
at the start and before each config), and each program's peak RSS (GNU
time's %M): one table row for every config x cell x thread count.

  --steps S        steps per run (default: small 60, notebook 10, zh-small 30,
                   zh 8)
  --threads LIST   comma-separated thread counts (default: 1,nproc)
  --config LIST    comma-separated configs, or all (the default):
                   small    2x128, batch 32x64, tinyshakespeare
                   notebook 2x512, batch 100x100, tinyshakespeare
                   zh-small 2x128, batch 32x64, the Chinese text (V ~ 4,000)
                   zh       2x512, batch 128x100, the Chinese text
                            (configs/chinese.ini's shape)
  --cells LIST     comma-separated cells, lstm and/or gru (default lstm,gru)
  --torch WHICH    debian (PYTHON's torch), pypi (the venv below) or both
                   (default: both when the venv exists, else debian)
  --make-venv      create the PyPI venv first when it does not exist
                   (python3 -m venv, then pip install torch numpy: ~3.5 GB,
                   needs the network); it is kept for later runs
  --repeat R       run each program R times, alternating, and keep the fastest
                   run of each (default 1; use 2 or more on a shared machine)
  --build-dir DIR  charnn build directory (default: build); configured as
                   Release (a new one without the tests) and charnn-train
                   built when needed
  --no-build       use DIR/charnn-train as it is
  --keep           keep the run directories (printed) instead of deleting them

Environment: PYTHON (Debian's python with torch, default /usr/bin/python3);
TORCH_VENV (the PyPI venv; default ${XDG_CACHE_HOME:-$HOME/.cache}/charnn/torch-venv,
outside the repository); CHARNN_CPU_ISA (charnn's kernels; default the
widest the CPU runs, see README); OMP_WAIT_POLICY, passed to every program
(default PASSIVE: with libgomp's spinning ACTIVE policy, PyTorch's OpenMP
threads fight its own OpenBLAS threads for the cores and it runs several
times slower; see docs/benchmarks.md).
Corpora: ../shared/corpora/tinyshakespeare.txt and sanguo.gb18030.txt
(relative to the repo root) when present, else 1,000,000 characters from
tests/e2e/gen_text.py english / chinese (the script says which).
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
VENV=${TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/charnn/torch-venv}
STEPS="" THREADS_ARG="1,$(nproc)" REPEAT=1 CONFIG=all CELLS=lstm,gru BUILD="$ROOT/build"
DO_BUILD=1 KEEP=0 TORCH="" MAKE_VENV=0
while [ $# -gt 0 ]; do
    case "$1" in
    --steps) STEPS=$2; shift 2 ;;
    --threads) THREADS_ARG=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --cells) CELLS=$2; shift 2 ;;
    --torch) TORCH=$2; shift 2 ;;
    --make-venv) MAKE_VENV=1; shift ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "cpu_vs_torch.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[ "$CONFIG" = all ] && CONFIG=small,notebook,zh-small,zh
IFS=',' read -r -a CONFIGS <<<"$CONFIG"
for c in "${CONFIGS[@]}"; do
    case "$c" in
    small | notebook | zh-small | zh) ;;
    *) echo "cpu_vs_torch.sh: --config takes small, notebook, zh-small, zh or all, not '$c'" >&2; exit 2 ;;
    esac
done
IFS=',' read -r -a CELL_LIST <<<"$CELLS"
for c in "${CELL_LIST[@]}"; do
    case "$c" in
    lstm | gru) ;;
    *) echo "cpu_vs_torch.sh: --cells takes lstm and/or gru, not '$c'" >&2; exit 2 ;;
    esac
done
IFS=',' read -r -a THREAD_LIST <<<"$THREADS_ARG"
# shellcheck disable=SC2207 # numbers: no word splitting to fear
THREAD_LIST=($(printf '%s\n' "${THREAD_LIST[@]}" | awk '!seen[$0]++'))
for t in "${THREAD_LIST[@]}"; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --threads '$THREADS_ARG'" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "cpu_vs_torch.sh: /usr/bin/time (GNU time) is missing (Debian package: time)" >&2; exit 1; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --repeat '$REPEAT'" >&2; exit 2; }
[ -z "$STEPS" ] || [[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "cpu_vs_torch.sh: bad --steps '$STEPS'" >&2; exit 2; }

# ---- the PyTorch builds: debian (PY) and pypi (the venv, made on request) ----
if [ "$MAKE_VENV" = 1 ] && [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV: python3 -m venv, pip install torch numpy (PyPI)"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch numpy
fi
if [ -z "$TORCH" ]; then
    TORCH=debian
    [ -x "$VENV/bin/python" ] && TORCH=both
fi
case "$TORCH" in
debian) TORCH_KINDS=(debian) ;;
pypi) TORCH_KINDS=(pypi) ;;
both) TORCH_KINDS=(debian pypi) ;;
*) echo "cpu_vs_torch.sh: --torch takes debian, pypi or both" >&2; exit 2 ;;
esac
declare -A TORCH_PY=([debian]="$PY" [pypi]="$VENV/bin/python")
for k in "${TORCH_KINDS[@]}"; do
    "${TORCH_PY[$k]}" -c 'import torch' 2>/dev/null || {
        if [ "$k" = pypi ]; then
            echo "cpu_vs_torch.sh: no torch in $VENV (create it with --make-venv)" >&2
        else
            echo "cpu_vs_torch.sh: $PY has no torch (set PYTHON)" >&2
        fi
        exit 1
    }
done

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

# ---- corpora: english (small, notebook) and chinese (zh-small, zh) ----
declare -A CORPUS ENC VOCAB
corpus_setup() { # kind file gen-kind
    local f="$ROOT/../shared/corpora/$2"
    if [ -f "$f" ]; then
        CORPUS[$1]=$(realpath "$f")
        echo "== corpus $1: $2 ($(wc -c <"$f") bytes, from ../shared/corpora)"
    else
        CORPUS[$1]="$WORK/$3.txt"
        "$PY" "$ROOT/tests/e2e/gen_text.py" "$3" 1000000 1 >"${CORPUS[$1]}"
        ENC[$1]=utf-8
        echo "== corpus $1: generated: tests/e2e/gen_text.py $3 1000000 1 (../shared/corpora/$2 absent)"
    fi
    VOCAB[$1]=$("$PY" -c 'import sys; print(len(set(open(sys.argv[1], encoding=sys.argv[2]).read())))' \
        "${CORPUS[$1]}" "${ENC[$1]}")
}
ENC[en]=utf-8 ENC[zh]=gb18030
need_en=0 need_zh=0
for c in "${CONFIGS[@]}"; do
    case "$c" in zh*) need_zh=1 ;; *) need_en=1 ;; esac
done
[ "$need_en" = 0 ] || corpus_setup en tinyshakespeare.txt english
[ "$need_zh" = 0 ] || corpus_setup zh sanguo.gb18030.txt chinese

# ---- the FMA peak of each thread count, measured now and before each config ----
cc -O3 -march=native -fopenmp "$ROOT/bench/fma_peak.c" -o "$WORK/fma_peak"
declare -A PEAK PEAK_LINE
peak_check() { # threads: measure again, keep the highest reading
    local line val
    line=$("$WORK/fma_peak" "$1")
    val=$(sed -n 's/.*: \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$line")
    echo "== $line"
    if awk -v a="$val" -v b="${PEAK[$1]:-0}" 'BEGIN { exit !(a > b) }'; then
        PEAK[$1]=$val PEAK_LINE[$1]=$line
    fi
}
for t in "${THREAD_LIST[@]}"; do peak_check "$t"; done
echo "== threads: ${THREAD_LIST[*]} (nproc $(nproc)); CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
for k in "${TORCH_KINDS[@]}"; do
    echo "== torch ($k): $("${TORCH_PY[$k]}" -c 'import torch; print(torch.__version__)') at ${TORCH_PY[$k]}"
done
echo "== charnn: $TRAIN; OMP_WAIT_POLICY=$OMP_WAIT_POLICY (all)"

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

# config -> "corpus hidden layers batch seq steps log_every"
config_args() {
    case "$1" in
    small) echo "en 128 2 32 64 ${STEPS:-60} 10" ;;
    notebook) echo "en 512 2 100 100 ${STEPS:-10} 2" ;;
    zh-small) echo "zh 128 2 32 64 ${STEPS:-30} 5" ;;
    zh) echo "zh 512 2 128 100 ${STEPS:-8} 2" ;;
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
    /usr/bin/time -f %M -o "$out.rss" "$TRAIN" --data "${CORPUS[$CORP]}" --encoding "${ENC[$CORP]}" \
        --device cpu --cell "$CELL" "${common[@]}" --eval-every 0 --save-every 0 --log-every "$K" \
        --threads "$T" --out "$out" >"$out.log"
    sed 's/^/   /' "$out.log"
    RES="$("$PY" -c "$METRICS_PY" "$out/metrics.jsonl" "$K" "$N" "$M") $(tail -1 "$out.rss")"
}

# run_torch KIND TAG: the same with bench/torch_train.py under KIND's python
run_torch() {
    local log="$WORK/torch-$1-$2.log"
    /usr/bin/time -f %M -o "$log.rss" "${TORCH_PY[$1]}" "$ROOT/bench/torch_train.py" \
        --data "${CORPUS[$CORP]}" --encoding "${ENC[$CORP]}" --cell "$CELL" "${common[@]}" \
        --warmup "$K" --log-every "$K" --threads "$T" >"$log"
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
for T in "${THREAD_LIST[@]}"; do
  for cfg in "${CONFIGS[@]}"; do
    peak_check "$T"
    for CELL in "${CELL_LIST[@]}"; do
      read -r CORP H L N M S K <<<"$(config_args "$cfg")"
      if [ "$S" -le "$K" ]; then
          echo "cpu_vs_torch.sh: --steps $S leaves nothing after the warm-up ($K steps) for '$cfg'" >&2
          exit 2
      fi
      common=(--hidden "$H" --layers "$L" --batch "$N" --seq "$M" --dropout 0.5 --lr 0.002
          --grad-clip 5 --val-frac 0.05 --steps "$S")
      c_res="" && declare -A t_res=()
      for r in $(seq 1 "$REPEAT"); do
          tag="$cfg-$CELL-$T-$r"
          echo "== [$cfg $CELL, $T thread(s), run $r/$REPEAT] charnn-train: $CELL ${L}x${H}, batch ${N}x${M}, $S steps (first $K = warm-up)"
          load_check
          run_charnn "$tag"
          c_res=$(faster "$c_res" "$RES")
          for k in "${TORCH_KINDS[@]}"; do
              echo "== [$cfg $CELL, $T thread(s), run $r/$REPEAT] PyTorch ($k): the same work"
              load_check
              run_torch "$k" "$tag"
              t_res[$k]=$(faster "${t_res[$k]:-}" "$RES")
          done
      done
      fpc=$(flops_per_char "$CELL" "$H" "$L" "${VOCAB[$CORP]}")
      read -r c_cps c_ms c_l0 c_l1 c_rss <<<"$c_res"
      row="$cfg $CELL ${L}x${H} ${N}x${M}|$T|$c_cps"
      extra="|$(awk -v a="$c_cps" -v f="$fpc" -v p="${PEAK[$T]}" -v r="$c_rss" \
          'BEGIN { printf "%.1f|%.0f%%|%.0f", a * f * 1e-9, 100 * a * f * 1e-9 / p, r / 1024 }')"
      losses="|$c_ms|$c_l0 -> $c_l1"
      for k in debian pypi; do
          if [ -n "${t_res[$k]:-}" ]; then
              read -r t_cps t_ms t_l0 t_l1 t_rss <<<"${t_res[$k]}"
              row+="|$t_cps|$(awk -v a="$c_cps" -v b="$t_cps" 'BEGIN { printf "%.2f", a / b }')"
              extra+="|$(awk -v b="$t_cps" -v f="$fpc" -v p="${PEAK[$T]}" -v r="$t_rss" \
                  'BEGIN { printf "%.0f%%|%.0f", 100 * b * f * 1e-9 / p, r / 1024 }')"
              losses+="|$t_ms|$t_l0 -> $t_l1"
          else
              row+="|-|-" extra+="|-|-" losses+="|-|-"
          fi
      done
      ROWS+=("$row$extra$losses")
      unset t_res
    done
  done
done

echo
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY; chars/s and ms/batch over the steps after the first log"
echo "interval (warm-up), the best of $REPEAT run(s) each; ratio = charnn / that PyTorch's chars/s;"
echo "GF/s = chars/s x 3 x forward GEMM flops per character; %peak = of the highest fma_peak"
echo "reading of the run at that thread count:"
for T in "${THREAD_LIST[@]}"; do echo "  ${PEAK_LINE[$T]}"; done
echo "MiB = peak RSS; loss: end of warm-up -> last step; deb = Debian's torch, pypi = PyPI's"
fmt='%-26s %2s %9s %9s %6s %9s %6s %7s %6s %6s %6s %7s %6s %7s %8s %18s %8s %18s %8s %18s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$fmt" "config (cell, batch)" "T" "charnn" "deb c/s" "ratio" "pypi c/s" "ratio" \
    "c GF/s" "%peak" "c MiB" "deb %" "deb MiB" "pypi %" "pypiMiB" "c ms" "charnn loss" \
    "deb ms" "deb loss" "pypi ms" "pypi loss"
for row in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$row"
    # shellcheck disable=SC2059
    printf "$fmt" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}" \
        "${f[8]}" "${f[9]}" "${f[10]}" "${f[11]}" "${f[12]}" "${f[13]}" "${f[14]}" "${f[15]}" \
        "${f[16]}" "${f[17]}" "${f[18]}" "${f[19]}"
done
