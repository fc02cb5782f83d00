#!/usr/bin/env bash
# onednn_vs_charnn.sh — one recurrent layer's training work (forward +
# backward) with oneDNN's RNN primitives against charnn's own CPU primitives
# (bench/onednn_rnn.c), LSTM, GRU and vanilla RNN; prints one table and the
# exactness checks. Skips (exit 0, one line) when oneDNN (libdnnl-dev) is absent.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/onednn_vs_charnn.sh [--threads LIST] [--check-threads LIST] [--reps R]
                                 [--cells LIST] [--inputs LIST] [--steps T]
                                 [--build-dir DIR] [--no-build]

Times forward + backward of one layer (T=100 steps, B=100 rows, H=512) for
input widths C=512 (a second layer) and C=65 (the one-hot first layer; both
together: the notebook's 2-layer stack, printed as 65+512), with oneDNN and
with charnn's CPU backend, best of R repetitions after a warm-up, at each of
the thread counts in LIST; then compares the two libraries' h and gradients,
each one's bits run to run, and each one's bits across the thread counts
(those of --threads and of --check-threads, which are not timed).

  --threads LIST        comma-separated thread counts to time (default 1,2)
  --check-threads LIST  extra thread counts for the bitwise check only
                        (default 3,4; "none" for none)
  --reps R              timed repetitions, best kept (default 5)
  --cells LIST          lstm,gru,rnn (default all three)
  --inputs LIST         input widths (default 512,65)
  --steps T             window length (default 100)
  --build-dir DIR       charnn build directory (default: build); configured as
                        Release, CUDA off, when it has no CMakeCache.txt, and
                        the target onednn_rnn built
  --no-build            use DIR/onednn_rnn as it is

Environment: OMP_WAIT_POLICY, default PASSIVE (what charnn's executables set,
src/omp_policy.c); both libraries run on the same libgomp threads.
Run it as `nice -n -10 bench/onednn_vs_charnn.sh` (root) on a quiet machine:
the table prints the machine line and the load before and after.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THREADS=1,2 CHECK=3,4 REPS=5 CELLS=lstm,gru,rnn INPUTS=512,65 STEPS=100
BUILD="$ROOT/build" DO_BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --check-threads) CHECK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --cells) CELLS=$2; shift 2 ;;
    --inputs) INPUTS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "onednn_vs_charnn.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
list_re='^[1-9][0-9]*(,[1-9][0-9]*)*$'
[[ "$THREADS" =~ $list_re ]] || { echo "onednn_vs_charnn.sh: bad --threads '$THREADS'" >&2; exit 2; }
[[ "$CHECK" == none || "$CHECK" =~ $list_re ]] || { echo "onednn_vs_charnn.sh: bad --check-threads '$CHECK'" >&2; exit 2; }
[[ "$INPUTS" =~ $list_re ]] || { echo "onednn_vs_charnn.sh: bad --inputs '$INPUTS'" >&2; exit 2; }
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "onednn_vs_charnn.sh: bad --reps '$REPS'" >&2; exit 2; }
[[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "onednn_vs_charnn.sh: bad --steps '$STEPS'" >&2; exit 2; }
[[ "$CELLS" =~ ^(lstm|gru|rnn)(,(lstm|gru|rnn))*$ ]] || { echo "onednn_vs_charnn.sh: bad --cells '$CELLS'" >&2; exit 2; }

# ---- oneDNN present? (CMake decides: bench/onednn.cmake) ----
skip() {
    echo "onednn_vs_charnn.sh: skipped: oneDNN not found (Debian: apt-get install libdnnl-dev)"
    exit 0
}
BIN="$BUILD/onednn_rnn"
if [ "$DO_BUILD" = 1 ]; then
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCHARNN_CUDA=OFF >/dev/null
    elif ! grep -Eq '^CHARNN_DNNL_(INCLUDE_DIR:PATH|LIBRARY:FILEPATH)=/' "$BUILD/CMakeCache.txt"; then
        # configured before oneDNN was installed, or never looked: look again
        cmake -U 'CHARNN_DNNL_*' "$BUILD" >/dev/null
    fi
    [ "$(grep -Ec '^CHARNN_DNNL_(INCLUDE_DIR:PATH|LIBRARY:FILEPATH)=/' "$BUILD/CMakeCache.txt")" = 2 ] || skip
    cmake --build "$BUILD" --target onednn_rnn -j "$(nproc)" >/dev/null
elif [ ! -x "$BIN" ]; then
    [ -f /usr/include/oneapi/dnnl/dnnl.h ] || skip
    echo "onednn_vs_charnn.sh: $BIN not built (drop --no-build)" >&2
    exit 1
fi

export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
isa=""
for f in avx2 fma avx512f; do
    [[ " $flags " == *" $f "* ]] && isa="$isa $f"
done
echo "# machine: $cpu, $(nproc) CPUs,${isa:- no avx2}; $(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "# charnn $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'); nice $(nice); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: $0 --threads $THREADS --check-threads $CHECK --reps $REPS --cells $CELLS --inputs $INPUTS --steps $STEPS"
args=(--cells "$CELLS" --inputs "$INPUTS" --threads "$THREADS" --reps "$REPS" --steps "$STEPS")
[ "$CHECK" = none ] || args+=(--check-threads "$CHECK")
"$BIN" "${args[@]}"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
