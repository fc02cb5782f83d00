# launch/deps.sh — shared by tests/run and launch/demo (source it; do not run it).
#
# One place for what a fresh Debian 12 machine needs and for how charnn is
# configured and built:
#   charnn_ensure_packages PKG...  install the missing ones (apt-get, root only)
#   charnn_env                     environment for Open MPI as root, nvcc on PATH
#   charnn_build [TARGET...]       configure (Release) and build with -j$(nproc)
# Environment: BUILD_DIR (default build, relative to the repository root),
# CMAKE_ARGS (extra arguments for the cmake configure step, split on spaces).
# shellcheck shell=bash

CHARNN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The package lists (read by the scripts that source this file):
# to configure and build (the test suite is on by default, hence cmocka);
# shellcheck disable=SC2034
CHARNN_PKGS_BUILD=(build-essential cmake libopenmpi-dev openmpi-bin
    libhdf5-dev hdf5-tools libopenblas-openmp-dev libcmocka-dev)
# for the end-to-end tests (PyTorch reference, checkpoint inspection, valgrind,
# GNU time for the benchmark's peak RSS: bench.cpu_vs_torch);
# shellcheck disable=SC2034
CHARNN_PKGS_TEST=(python3-torch python3-h5py python3-numpy python3-matplotlib valgrind time)
# for the tests under a real Slurm (tests/slurm: private slurmctld, slurmd and
# munged; network namespaces and veth pairs for two nodes);
# shellcheck disable=SC2034
CHARNN_PKGS_SLURM=(slurm-wlm munge iproute2)
# for tests/run --fuzz (libFuzzer: clang and its runtimes; OpenMP for clang).
# shellcheck disable=SC2034
CHARNN_PKGS_FUZZ=(clang libclang-rt-14-dev libomp-dev)
# the second BLAS, which tests/run --sanitize builds against (BLIS, OpenMP
# threads: -DBLA_VENDOR=FLAME), so that the suite passes with two BLAS libraries;
# shellcheck disable=SC2034
CHARNN_PKGS_BLAS2=(libblis-openmp-dev)
# the King James Bible (the `bible` tool and its text), the demo's corpus.
# shellcheck disable=SC2034
CHARNN_PKGS_CORPUS=(bible-kjv bible-kjv-text)

charnn_say() { printf '%s\n' "$*" >&2; }

# Installs whichever of the named Debian packages are not installed yet.
# Cheap when nothing is missing (one dpkg-query call, no apt-get at all).
# Not root: prints the exact apt-get line for what is missing; returns 1 when
# any of the missing packages is one of CHARNN_PKGS_BUILD (nothing can be
# built without it), 0 otherwise (the tests that need it skip or fail later).
# Returns 1 when apt-get fails, with a line saying so.
charnn_ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        charnn_say "deps: no dpkg-query (not Debian?); not checking packages: $*"
        return 0
    fi
    local -a missing
    mapfile -t missing < <(charnn_missing_packages "$@")
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        charnn_say "deps: missing packages: ${missing[*]}"
        charnn_say "deps: not root, so not installing them; run as root:"
        charnn_say "    apt-get install --no-install-recommends ${missing[*]}"
        if charnn_any_of_build "${missing[@]}"; then
            charnn_say "deps: error: cannot build without: $(charnn_build_only "${missing[@]}")"
            return 1
        fi
        return 0
    fi
    charnn_say "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q || ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        charnn_say "deps: error: apt-get could not install: ${missing[*]}"
        return 1
    fi
}

# Prints, one a line, those of the named packages that are not installed.
# dpkg-query exits 1 when it knows none of some name: that is an answer
# (not installed), not a failure, so its status is not read.
charnn_missing_packages() {
    local installed p
    installed=$({ dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null || true; } |
        awk '$1 == "ii" { sub(/:.*/, "", $2); print $2 }')
    for p in "$@"; do
        grep -qxF -- "$p" <<<"$installed" || printf '%s\n' "$p"
    done
}

# Prints those of the named packages that are in CHARNN_PKGS_BUILD.
charnn_build_only() {
    local p b
    local -a out=()
    for p in "$@"; do
        for b in "${CHARNN_PKGS_BUILD[@]}"; do [ "$p" = "$b" ] && out+=("$p"); done
    done
    printf '%s\n' "${out[*]}"
}

# True when any of the named packages is in CHARNN_PKGS_BUILD.
charnn_any_of_build() { [ -n "$(charnn_build_only "$@")" ]; }

# Environment for running the binaries and tests.
charnn_env() {
    # Open MPI refuses to run as root without these; CI runs as root. Allow
    # more ranks than cores so multi-rank tests run on small machines.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_rmaps_base_oversubscribe=1
    # The CUDA toolkit's usual home is often not on PATH; CMake finds nvcc there.
    if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
        export PATH="/usr/local/cuda/bin:$PATH"
    fi
}

# The build directory, absolute (BUILD_DIR is relative to the repository root).
charnn_build_dir() {
    local b=${BUILD_DIR:-build}
    case $b in
        /*) printf '%s\n' "$b" ;;
        *) printf '%s\n' "$CHARNN_ROOT/$b" ;;
    esac
}

# Configures (Release, plus $CMAKE_ARGS) and builds the given targets (all
# when none are given).
charnn_build() {
    local build
    build=$(charnn_build_dir)
    local -a extra=() targets=()
    read -r -a extra <<<"${CMAKE_ARGS:-}"
    [ "$#" -gt 0 ] && targets=(--target "$@")
    cmake -S "$CHARNN_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release "${extra[@]}" || return 1
    cmake --build "$build" -j"$(nproc)" "${targets[@]}" || return 1
}
