#!/usr/bin/env bash
# make_seeds.sh [BUILD_DIR] — (re)generates the fuzzers' seed corpora in
# tests/fuzz/corpus/<target>/ and the fixed checkpoint tests/fuzz/data/prime.h5.
#
# Checkpoints come from BUILD_DIR/charnn-train (default: build; a normal,
# uninstrumented build), trained for one step on tiny texts (1 layer, 2
# hidden units: each file stays under 50 KB); everything else, damaged
# copies and the h5py-made files included, from make_seeds.py
# (/usr/bin/python3 with h5py and numpy). The output is deterministic:
# running it again rewrites the same bytes, so `git status` shows what
# changed. Files named regress-* (inputs that once crashed a fuzzer, kept as
# regression tests) are never touched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
train=$build/charnn-train
[ -x "$train" ] || { echo "make_seeds.sh: no $train (build it first: cmake --build build)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/charnn-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT

# tiny_ckpt NAME TEXT CELL (TEXT in $work): one step, the checkpoint copied to $work/NAME.h5
tiny_ckpt() {
    local name=$1 text=$2 cell=$3
    # relative paths: the checkpoint records --data and --out
    (cd "$work" && "$train" --data "$text" --cell "$cell" --hidden 2 --layers 1 --batch 2 \
        --seq 4 --steps 1 --val-frac 0.1 --save-every 0 --eval-every 0 --log-every 1 --seed 7 \
        --device cpu --threads 1 --out "run-$name" >"$name.log" 2>&1) ||
        { cat "$work/$name.log" >&2; exit 1; }
    cp "$work/run-$name/ckpt-00000001.h5" "$work/$name.h5"
}

# a handful of distinct characters keeps the vocabulary (and the files) small
for i in $(seq 60); do printf 'abc de\nba cd e\n'; done >"$work/ascii.txt"
# the prime fuzzer's model: ASCII, Latin-1, CJK and an emoji in the vocabulary
for i in $(seq 40); do printf 'The king é 中文 😀\n'; done >"$work/mixed.txt"

tiny_ckpt lstm ascii.txt lstm
tiny_ckpt gru ascii.txt gru
tiny_ckpt rnn ascii.txt rnn
tiny_ckpt prime mixed.txt gru

mkdir -p "$here/data"
cp "$work/prime.h5" "$here/data/prime.h5"
/usr/bin/python3 "$here/make_seeds.py" "$work" "$here/corpus"
for d in "$here"/corpus/*/; do
    printf '%-28s %3d files, largest %6d bytes\n' "$(basename "$d")" \
        "$(find "$d" -type f | wc -l)" "$(find "$d" -type f -printf '%s\n' | sort -n | tail -1)"
done
