#!/bin/bash
# same_checkpoints.sh — refactoring without changing results: builds a base
# revision and the working tree, trains the same fixed runs with each, and
# compares what they wrote, bitwise.
#
# usage: tools/same_checkpoints.sh [--base REV] [--corpus FILE] [--jobs N] [--keep]
#                                  [--cmake ARG]...
#   --base REV     the revision to compare against (default: main)
#   --corpus FILE  the text, of which the first 200 kB are used (default:
#                  ../shared/corpora/tinyshakespeare.txt beside the checkout);
#                  when it is absent the check is skipped: a message, exit 0
#   --jobs N       parallel build jobs (default 2)
#   --keep         keep the scratch directory (default: removed at the end)
#   --cmake ARG    one more cmake argument for both builds; the default builds
#                  are Release, CHARNN_CUDA=OFF and CHARNN_TESTS=OFF (the runs
#                  are on the CPU) and build charnn-train and charnn-prep only
#
# The two trees: REV checked out with `git worktree add --detach` in a scratch
# directory, and the working tree as it is (uncommitted changes included),
# each configured and built into a build directory of its own there. Each
# tree then runs, from a directory of its own holding the same copy of the
# text (so the paths a checkpoint records are the same relative paths):
#   lstm: charnn-train on the text, 30 steps, a checkpoint every 10, then
#         --resume auto up to step 40;
#   gru:  charnn-prep text -> CORPUS.h5 (that tree's prep), then the same
#         with --cell gru on the CORPUS.h5;
# all on the CPU with --threads 2 (the options in TRAIN_ARGS below), every
# process under nice -n 10. Compared, base against working tree: the two
# CORPUS.h5 and checkpoints 10, 20, 30 and 40 of both runs — every dataset
# (dtype, shape, raw bytes) and every attribute of every group and dataset
# (type and value: weights, Adam's moments and step, carried state,
# vocabulary, training position and loss, options), bar the names in IGNORE
# (none today: nothing in these files depends on the time, host or
# directory); whether the files are byte-identical is printed as a note.
# Exit status: 0 identical (or skipped), 1 something differs, 2 a usage,
# build or run failure. Needs git, cmake, a C compiler, and Debian's
# /usr/bin/python3 with h5py and numpy.
set -euo pipefail

REPO=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
BASE=main
CORPUS=$REPO/../shared/corpora/tinyshakespeare.txt
JOBS=2
KEEP=0
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release -DCHARNN_CUDA=OFF -DCHARNN_TESTS=OFF)
PY=/usr/bin/python3
NICE=(nice -n 10)
IGNORE="" # comma-separated "dataset /path" or "attr /path@name" keys not compared
TRAIN_ARGS=(--hidden 128 --layers 2 --batch 32 --seq 64 --dropout 0.3 --lr 0.002
            --seed 4321 --save-every 10 --eval-every 10 --log-every 10 --device cpu
            --threads 2)

die() { echo "same_checkpoints: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
    --base) BASE=${2:?--base REV}; shift 2 ;;
    --corpus) CORPUS=${2:?--corpus FILE}; shift 2 ;;
    --jobs) JOBS=${2:?--jobs N}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --cmake) CMAKE_ARGS+=("${2:?--cmake ARG}"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

if [ ! -f "$CORPUS" ]; then
    echo "same_checkpoints: skipped: no corpus at $CORPUS (pass --corpus FILE)"
    exit 0
fi
BASE_SHA=$(git -C "$REPO" rev-parse --verify --quiet "$BASE^{commit}") ||
    die "'$BASE' is not a revision of $REPO"
"$PY" -c 'import h5py, numpy' 2>/dev/null || die "$PY lacks h5py or numpy"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/same_checkpoints.XXXXXX")
cleanup() {
    git -C "$REPO" worktree remove --force "$SCRATCH/base-src" 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then echo "kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT

# quiet LOG cmd...: runs cmd with its output in LOG, shown when it fails
quiet() {
    local log=$1 rc=0
    shift
    "$@" >"$log" 2>&1 || rc=$?
    [ $rc = 0 ] || { tail -n 40 "$log" >&2; die "exit $rc: $* (log: $log)"; }
}

# build NAME SRC: configures and builds SRC in $SCRATCH/NAME-build
build() {
    local dir=$SCRATCH/$1-build
    echo "building $1 ($2) ..."
    quiet "$SCRATCH/$1-cmake.log" "${NICE[@]}" cmake -S "$2" -B "$dir" "${CMAKE_ARGS[@]}"
    quiet "$SCRATCH/$1-build.log" "${NICE[@]}" cmake --build "$dir" -j "$JOBS" \
        --target charnn-train charnn-prep
}

# runs NAME: the fixed runs with NAME's build, in $SCRATCH/NAME-runs
runs() {
    local bin=$SCRATCH/$1-build dir=$SCRATCH/$1-runs
    mkdir -p "$dir"
    cp "$SCRATCH/text.txt" "$dir/text.txt"
    echo "training with $1 ..."
    (
        cd "$dir"
        local resume=(--resume auto --steps 40 --device cpu --threads 2)
        quiet lstm-1.log "${NICE[@]}" "$bin/charnn-train" --data text.txt --out lstm --cell lstm \
            --steps 30 "${TRAIN_ARGS[@]}"
        quiet lstm-2.log "${NICE[@]}" "$bin/charnn-train" --out lstm "${resume[@]}"
        quiet prep.log "${NICE[@]}" "$bin/charnn-prep" text.txt -o corpus.h5
        quiet gru-1.log "${NICE[@]}" "$bin/charnn-train" --data corpus.h5 --out gru --cell gru \
            --steps 30 "${TRAIN_ARGS[@]}"
        quiet gru-2.log "${NICE[@]}" "$bin/charnn-train" --out gru "${resume[@]}"
        grep -q "resumed from" lstm-2.log && grep -q "resumed from" gru-2.log ||
            die "$1: a --resume run did not say it resumed"
    )
}

head -c 200000 "$CORPUS" >"$SCRATCH/text.txt"
WORK_REV="$(git -C "$REPO" rev-parse --short HEAD)"
[ -z "$(git -C "$REPO" status --porcelain --untracked-files=no)" ] ||
    WORK_REV="$WORK_REV + uncommitted changes"
echo "base: $BASE ($(git -C "$REPO" rev-parse --short "$BASE_SHA")); working tree: $REPO ($WORK_REV)"
echo "text: the first 200000 bytes of $CORPUS"
quiet "$SCRATCH/worktree.log" git -C "$REPO" worktree add --detach "$SCRATCH/base-src" "$BASE_SHA"
build base "$SCRATCH/base-src"
build work "$REPO"
runs base
runs work

FILES=(corpus.h5)
for run in lstm gru; do
    for step in 10 20 30 40; do
        FILES+=("$(printf '%s/ckpt-%08d.h5' "$run" "$step")")
    done
done
echo "comparing base against working tree (ignored: ${IGNORE:-nothing}):"
"$PY" - "$SCRATCH/base-runs" "$SCRATCH/work-runs" "$IGNORE" "${FILES[@]}" <<'EOF'
import os, sys
import h5py
import numpy as np

base, work, ignore, names = sys.argv[1], sys.argv[2], set(filter(None, sys.argv[3].split(","))), sys.argv[4:]

def raw(value):
    """The bytes of a value: numbers as stored; strings (and arrays of them) as text."""
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        text = [x.decode() if isinstance(x, bytes) else str(x) for x in a.ravel()]
        return repr((a.shape, text)).encode()
    return repr(a.shape).encode() + a.tobytes()

def attr_value(attrs, key):
    return str(attrs.get_id(key).dtype), raw(attrs[key])

def contents(path):
    """{"dataset /p": (dtype, shape, bytes), "attr /p@name": (type, bytes)}"""
    out = {}
    with h5py.File(path, "r") as f:
        def add(name, obj):
            where = "/" + name
            if isinstance(obj, h5py.Dataset):
                out["dataset " + where] = (str(obj.dtype), obj.shape, raw(obj[()]))
            for key in obj.attrs:
                out["attr %s@%s" % (where.rstrip("/") or "/", key)] = attr_value(obj.attrs, key)
        add("", f)
        f.visititems(add)
    return {k: v for k, v in out.items() if k not in ignore}

bad, shown = 0, set()
for name in names:
    a, b = contents(os.path.join(base, name)), contents(os.path.join(work, name))
    diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    sets = [k for k in a if k.startswith("dataset ")]
    n_values = sum(int(np.prod(a[k][1])) for k in sets)
    n_attrs = len(a) - len(sets)
    same_file = open(os.path.join(base, name), "rb").read() == open(os.path.join(work, name), "rb").read()
    verdict = "identical" if not diff else "DIFFERENT (%d)" % len(diff)
    print("  %-22s %2d datasets (%d values), %2d attributes: %s; files %s" % (
        name, len(sets), n_values, n_attrs, verdict,
        "byte-identical" if same_file else "not byte-identical"))
    listing = " ".join(k.split(" ", 1)[1] for k in sorted(sets))
    if listing not in shown:
        shown.add(listing)
        print("    datasets: " + listing)
    for k in diff[:10]:
        print("    differs: %s%s" % (k, "" if k in a and k in b else " (in one file only)"))
    bad += bool(diff)
print("same_checkpoints: %s" % ("all identical" if not bad else "%d of %d files differ" % (bad, len(names))))
sys.exit(1 if bad else 0)
EOF
