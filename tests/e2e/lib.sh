# lib.sh — shared helpers for the end-to-end tests (sourced, bash).
# ctest passes CHARNN_BUILD (the build dir) and CHARNN_SOURCE (the repo root).
set -euo pipefail
: "${CHARNN_BUILD:?set by ctest}" "${CHARNN_SOURCE:?set by ctest}"
TRAIN="$CHARNN_BUILD/charnn-train"
SAMPLE="$CHARNN_BUILD/charnn-sample"
PREP="$CHARNN_BUILD/charnn-prep"
PY=${CHARNN_PYTHON:-/usr/bin/python3} # Debian's python3: torch, h5py, numpy (the device check: its own)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
# OpenMP threads that spin at barriers crawl when ctest -j runs tests side by
# side on a small machine: let them sleep instead.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/charnn-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# gen_text english|chinese CHARS SEED FILE
gen_text() { "$PY" "$CHARNN_SOURCE/tests/e2e/gen_text.py" "$1" "$2" "$3" >"$4"; }

# run P ranks of charnn-train with the given options
mpi_train() {
    local p=$1
    shift
    mpirun -np "$p" --oversubscribe --bind-to none "$TRAIN" "$@"
}

# launch NP args...: charnn-train directly for NP = 0, else on NP ranks
launch() {
    local np=$1
    shift
    if [ "$np" = 0 ]; then "$TRAIN" "$@"; else mpi_train "$np" "$@"; fi
}

# run LOG cmd...: cmd quietly into LOG; a failure shows LOG and fails
run() {
    local log=$1 rc=0
    shift
    "$@" >"$log" 2>&1 || rc=$?
    [ $rc = 0 ] || { cat "$log" >&2; fail "exit $rc: $*"; }
}

# ---- a job that runs while a test acts on it (signals, kills) ----
# Waits are keyed on what the job does (its progress lines, its processes),
# never on how long it should take: a fast machine must not finish the job
# before the test acts, a slow one must not be given up on. Each wait fails
# at once when the job it waits on is gone, and at its backstop (seconds,
# far beyond need) when nothing happens at all.

# alive PID: the process runs (not gone, not a zombie)
alive() {
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# wait_until SECS WHAT WHILE CMD...: polls CMD (every 20 ms) until it
# succeeds; returns 1, saying why on stderr, when the command string WHILE
# (the job still runs: "alive PID", "slurm_job_active ID"; empty: no check)
# fails first, or after SECS
wait_until() {
    local secs=$1 what=$2 while=$3 end n=0
    shift 3
    end=$((SECONDS + secs))
    until "$@"; do
        # WHILE every 0.5 s (it may ask a daemon: scontrol)
        if [ -n "$while" ] && [ $((n++ % 25)) = 0 ] && ! eval "$while"; then
            echo "$what: the job ended first ($while)" >&2
            return 1
        fi
        [ "$SECONDS" -lt "$end" ] || { echo "$what: not within $secs s" >&2; return 1; }
        sleep 0.02
    done
}

# last_step LOG [RESET]: the step of LOG's last progress line ("step N/M
# ..."), 0 before any; lines matching the regex RESET (a job's start, in a
# log that several runs append to) start the count again
last_step() {
    awk -v reset="${2:-}" 'reset != "" && $0 ~ reset { last = 0 }
        /^step [0-9]+\// { split($2, a, "/"); last = a[1] } END { print last + 0 }' "$1" 2>/dev/null || echo 0
}

# at_step LOG STEP [RESET]: LOG's last progress line is at STEP or later
at_step() { [ "$(last_step "$1" "${3:-}")" -ge "$2" ]; }

# wait_step LOG STEP WHILE [RESET]: until at_step, while the command
# string WHILE holds (wait_until); fails showing LOG
wait_step() {
    wait_until 300 "$1: step $2" "$3" at_step "$1" "$2" "${4:-}" || { cat "$1"; fail "no step $2 in $1"; }
}

# train_pids DIR: the charnn-train processes training into DIR (--out DIR),
# one pid a line: found by their executable and arguments in /proc, however
# they were started (mpirun, srun, a wrapper; a sanitizer build)
train_pids() {
    local exe link p
    exe=$(readlink -f "$TRAIN")
    for link in $(find /proc -maxdepth 2 -path '/proc/[0-9]*/exe' -lname "$exe" 2>/dev/null); do
        p=${link#/proc/}
        p=${p%/exe}
        tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -A1 -xF -- --out | grep -qxF -- "$1" && echo "$p"
    done
    return 0
}

# rank_of PID: the MPI rank of a charnn-train process (Open MPI's
# OMPI_COMM_WORLD_RANK, else Slurm's SLURM_PROCID; empty without either)
rank_of() {
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | awk -F= '
        $1 == "OMPI_COMM_WORLD_RANK" { o = $2 } $1 == "SLURM_PROCID" { s = $2 }
        END { print (o != "" ? o : s) }'
}

# rank_pids DIR N [WHILE]: the pids of the N ranks training into DIR, in
# rank order, into RANKS, once all N run; fails if WHILE fails first
rank_pids() {
    wait_until 300 "$2 ranks training into $1" "${3:-}" all_ranks "$1" "$2" ||
        { ps -ef | grep -F charnn >&2; fail "rank processes of $1 not found"; }
}
all_ranks() {
    local p r
    RANKS=()
    for p in $(train_pids "$1"); do
        r=$(rank_of "$p")
        [ -z "$r" ] && [ "$2" = 1 ] && r=0
        [ -n "$r" ] && RANKS[r]=$p
    done
    [ "${#RANKS[@]}" -ge "$2" ]
}

# sig_pending PID SIG: signal SIG (a name: USR1) is pending in process PID
sig_pending() {
    local n m
    n=$(kill -l "$2")
    for m in $(awk '/^(SigPnd|ShdPnd):/ { print $2 }' "/proc/$1/status" 2>/dev/null); do
        (((16#$m >> (n - 1)) & 1)) && return 0
    done
    return 1
}

# stopped PID: every thread of process PID is stopped (SIGSTOP taken)
stopped() {
    local st
    for st in /proc/"$1"/task/*/status; do
        [ "$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "$st" 2>/dev/null)" = T ] || return 1
    done
}

# signal_frozen SIG CMD PIDS...: the processes PIDS stopped (SIGSTOP), CMD
# run (it sends SIG to them, directly or through others: scancel, a batch
# shell, a launcher), then, once SIG is pending in every one of them, let go
# (SIGCONT). However fast the machine, no step runs between the decision to
# signal and the signal's arrival: a job cannot finish before it.
signal_frozen() {
    local sig=$1 cmd=$2 p
    shift 2
    kill -STOP "$@"
    # stopped, every thread: a signal sent before the stop takes effect
    # would be taken at once (USR1 comes before STOP), not left pending
    for p in "$@"; do
        wait_until 60 "process $p stopped" "" stopped "$p" ||
            { kill -CONT "$@"; fail "process $p did not stop"; }
    done
    eval "$cmd"
    for p in "$@"; do
        wait_until 60 "SIG$sig pending in $p" "" sig_pending "$p" "$sig" ||
            { kill -CONT "$@"; fail "SIG$sig never reached process $p"; }
    done
    kill -CONT "$@"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# exit 77 (ctest SKIP_RETURN_CODE) with a reason
skip() {
    echo "skipped: $*"
    exit 77
}

# dispatch_cases [--no-mpi] CASE | --list: for the scripts whose tests are their
# functions case_NAME (charnn_script_cases): runs case_CASE, NO_MPI=1 after
# --no-mpi (the build has no MPI); --list prints the cases
dispatch_cases() {
    NO_MPI=0
    [ "${1:-}" = --no-mpi ] && { NO_MPI=1; shift; }
    if [ "${1:-}" = --list ]; then
        declare -F | sed -n 's/^declare -f case_//p'
        exit 0
    fi
    declare -F "case_${1:-}" >/dev/null || fail "unknown case '${1:-}' (try --list)"
    "case_$1"
}
