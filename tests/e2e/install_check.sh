#!/bin/bash
# install_check.sh [--no-mpi] — an installed charnn works with no source tree
# and no build tree (tests/e2e/install.cmake):
#   1. cmake --install $CHARNN_BUILD --prefix $WORK/prefix, then that prefix
#      moved to $WORK/moved (everything must be found relative to the programs)
#   2. in a private mount namespace, tmpfs over $CHARNN_SOURCE and
#      $CHARNN_BUILD, PATH = the moved prefix's bin and the system's, in a job
#      folder of its own: charnn-prep, charnn-train, charnn-sample on its
#      checkpoint, charnn-launch --dry-run (the trainer beside it) and a real
#      2-rank run, charnn-sweep --dry-run, $CHARNN_SHARE/slurm/cpu.sbatch run
#      with bash (requeue.sh, the launcher by its link in share/charnn) and a
#      copy of it in the job folder (charnn-launch --share-dir finds the rest),
#      charnn-launch --share-dir, the man pages.
# --no-mpi: the build has no MPI; the 2-rank run is left out.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
no_mpi=0
[ "${1:-}" != --no-mpi ] || no_mpi=1

[ "$(id -u)" -eq 0 ] || skip "hiding the source and build trees needs root (a mount namespace)"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
for d in "$CHARNN_SOURCE" "$CHARNN_BUILD"; do
    case $WORK/ in "$d"/*) skip "the scratch folder $WORK lies in $d, which is hidden" ;; esac
done

# a sanitizer build's leak suppressions are in the source tree, hidden below:
# a copy outside it
if [[ ${LSAN_OPTIONS:-} == *"$CHARNN_SOURCE/"* ]]; then
    cp "$CHARNN_SOURCE/tests/sanitize/lsan.supp" "$WORK/lsan.supp"
    export LSAN_OPTIONS=${LSAN_OPTIONS//$CHARNN_SOURCE\/tests\/sanitize\/lsan.supp/$WORK\/lsan.supp}
fi
cmake --install "$CHARNN_BUILD" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 ||
    { cat "$WORK/install.log"; fail "cmake --install"; }
cp -a "$WORK/prefix" "$WORK/moved"
rm -rf "$WORK/prefix"
mkdir "$WORK/job"
gen_text english 20000 7 "$WORK/job/text.txt"

# The checks, run inside the namespace (as a script: arguments are paths).
cat >"$WORK/inside.sh" <<'INSIDE'
set -euo pipefail
src=$1 build=$2 moved=$3 no_mpi=$4
mount -t tmpfs hidden "$src"
case $build/ in "$src"/*) ;; *) mount -t tmpfs hidden "$build" ;; esac # build/ in the tree: hidden with it
[ ! -e "$src/CMakeLists.txt" ] && [ ! -e "$build/charnn-train" ] || { echo "FAIL: trees not hidden"; exit 1; }
export PATH=$moved/bin:/usr/local/bin:/usr/bin:/bin
unset CHARNN_TRAIN CHARNN_ROOT CHARNN_SOURCE CHARNN_BUILD
step() { echo "--- $*"; }
step "which"
[ "$(command -v charnn-train)" = "$moved/bin/charnn-train" ]
step "charnn-launch --share-dir"
[ "$(charnn-launch --share-dir)" = "$moved/share/charnn" ]
tiny=(--hidden 16 --layers 1 --seq 16 --batch 4 --threads 1 --log-every 5 --eval-every 0)
step "charnn-prep"
charnn-prep text.txt -o corpus.h5
step "charnn-train"
charnn-train --data corpus.h5 "${tiny[@]}" --steps 10 --out run1
[ -e run1/latest.h5 ]
step "charnn-sample"
charnn-sample run1/latest.h5 --length 80 --seed 3 >sample.txt
[ "$(wc -c <sample.txt)" -ge 80 ]
step "charnn-launch --dry-run"
charnn-launch -n 2 --dry-run -- --data text.txt >dry.txt
grep -q "command .*$moved/bin/charnn-train --data text.txt" dry.txt || { cat dry.txt; exit 1; }
if [ "$no_mpi" = 0 ]; then
    step "charnn-launch -n 2"
    charnn-launch -n 2 -- --data text.txt "${tiny[@]}" --steps 6 --out run2
    [ -e run2/latest.h5 ]
fi
step "charnn-sweep --dry-run"
charnn-sweep --dry-run --data text.txt --ranks 1,2 --steps 4 --out sweep -- --hidden 16 >sweep.txt
grep -q "$moved/bin/charnn-train" sweep.txt || { cat sweep.txt; exit 1; }
step "slurm/cpu.sbatch (installed, run with bash)"
CHARNN_CONFIG="" CHARNN_DATA=text.txt CHARNN_RUN_DIR=run3 CHARNN_EXTRA_ARGS="${tiny[*]} --steps 6" \
    bash "$moved/share/charnn/slurm/cpu.sbatch" >sbatch.txt 2>&1 || { cat sbatch.txt; exit 1; }
grep -q "run finished" sbatch.txt || { cat sbatch.txt; exit 1; }
step "a copy of slurm/cpu.sbatch in the job folder (as sbatch runs it)"
cp "$moved/share/charnn/slurm/cpu.sbatch" mine.sbatch
CHARNN_CONFIG="" CHARNN_DATA=text.txt CHARNN_RUN_DIR=run4 CHARNN_EXTRA_ARGS="${tiny[*]} --steps 6" \
    bash mine.sbatch >mine.txt 2>&1 || { cat mine.txt; exit 1; }
grep -q "run finished" mine.txt || { cat mine.txt; exit 1; }
step "a config named relative to share/charnn"
CHARNN_CONFIG=configs/shakespeare.ini CHARNN_DATA=text.txt CHARNN_RUN_DIR=run5 \
    CHARNN_EXTRA_ARGS="${tiny[*]} --steps 2" bash mine.sbatch >cfg.txt 2>&1 || { cat cfg.txt; exit 1; }
grep -q "run finished" cfg.txt || { cat cfg.txt; exit 1; }
step "man pages"
for c in charnn-train charnn-sample charnn-prep charnn-launch charnn-sweep; do
    grep -q "^\.TH ${c^^} 1" "$moved/share/man/man1/$c.1"
done
grep -q -- '--hidden' "$moved/share/man/man1/charnn-train.1"
echo "all checks passed"
INSIDE

cd "$WORK/job"
unshare --mount --propagation private bash "$WORK/inside.sh" "$CHARNN_SOURCE" "$CHARNN_BUILD" \
    "$WORK/moved" "$no_mpi" >"$WORK/inside.log" 2>&1 || { cat "$WORK/inside.log"; fail "running from the installed prefix"; }
grep -q "^all checks passed" "$WORK/inside.log" || { cat "$WORK/inside.log"; fail "the checks did not finish"; }
grep "^--- " "$WORK/inside.log"
# the modulefile names the prefix it was installed into
grep -q "local prefix = \"$WORK/prefix\"" "$WORK/moved/share/modulefiles/charnn/"*.lua ||
    fail "the modulefile does not name the install prefix"
echo "install.prefix: everything ran from the moved prefix with the source and build trees hidden"
