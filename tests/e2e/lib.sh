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
