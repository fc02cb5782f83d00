#!/bin/bash
# faults.sh CASE — one injected fault and its required outcome (faults.cmake
# registers each function case_<name> as the ctest fault.<name>). Faults come
# from outside (kill -9, truncate, a bit flip, `ulimit -f`) or from the
# test-only switch CHARNN_FAULT_INJECT (src/fault.h). docs/reliability.md
# maps every failure considered to its case here.
#   bash faults.sh --list     prints the cases
# Options: --no-mpi (the build has no MPI: the multi-rank cases skip).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
OPTS=(--hidden 24 --layers 2 --batch 6 --seq 16 --dropout 0.3 --lr 0.01 --eval-every 0
      --log-every 1 --device cpu --threads 1)

# ---- helpers ----

train() {
    [ -f "$WORK/t.txt" ] || gen_text english 30000 5 "$WORK/t.txt"
    "$TRAIN" --data "$WORK/t.txt" "${OPTS[@]}" "$@"
}

# train_as NAME STATUS ARGS...: train ARGS into $WORK/NAME.{log,err}; the
# exit status must be STATUS
train_as() {
    local name=$1 want=$2 rc=0
    shift 2
    train "$@" >"$WORK/$name.log" 2>"$WORK/$name.err" || rc=$?
    [ "$rc" = "$want" ] || {
        cat "$WORK/$name.log" "$WORK/$name.err"
        fail "$name: exit status $rc, expected $want"
    }
}

# same A B WHAT: the models, Adam moments and carried states are bitwise equal
same() { "${H5CMP[@]}" --exact --group /model --group /optim --group /state "$1" "$2" || fail "$3"; }

# attr FILE NAME: an integer attribute of /train
attr() {
    "$PY" -c 'import h5py, sys; print(int(h5py.File(sys.argv[1], "r")["train"].attrs[sys.argv[2]]))' \
        "$1" "$2"
}

# latest DIR: the name latest.h5 points to
latest() { readlink "$1/latest.h5"; }

# loadable FILE: charnn-sample can score with it
loadable() {
    "$SAMPLE" "$1" --score "$WORK/t.txt" --device cpu --threads 1 >"$WORK/score.json" ||
        fail "charnn-sample cannot load $1"
    grep -q '"nats_per_char"' "$WORK/score.json" || fail "no score from $1"
}

no_leftovers() {
    local left
    left=$(find "$1" -name '.*tmp*')
    [ -z "$left" ] || fail "temporary files left in $1: $left"
}

has() { grep -qE -- "$2" "$1" || { cat "$1"; fail "$1 lacks: $2"; }; }

need_mpi() {
    [ "$NO_MPI" = 0 ] && command -v mpirun >/dev/null || skip "built without MPI"
}

# ---- non-finite steps ----

# A NaN gradient (step 4) and an infinite loss (step 7) are skipped with a
# warning each: parameters and Adam untouched (adam_t counts only applied
# steps), the save due at step 4 waits for the next good step (5); a run
# stopped at step 8 and resumed is bitwise the uninterrupted one.
case_nan_skip() {
    export CHARNN_FAULT_INJECT=nan-grad@4,inf-loss@7
    train_as a 0 --out "$WORK/a" --steps 12 --save-every 4
    has "$WORK/a.err" "warning: gradient norm is non-finite \(nan\) at step 4: step skipped"
    has "$WORK/a.err" "warning: training loss is non-finite \(inf\) at step 7: step skipped"
    [ "$(grep -c warning "$WORK/a.err")" = 2 ] || fail "expected exactly 2 warnings"
    [ "$(attr "$WORK/a/latest.h5" step)" = 12 ] || fail "step should be 12"
    [ "$(attr "$WORK/a/latest.h5" adam_t)" = 10 ] || fail "adam_t should be 10 (2 skipped)"
    [ ! -e "$WORK/a/ckpt-00000004.h5" ] || fail "saved right after the bad step 4"
    [ "$(attr "$WORK/a/ckpt-00000005.h5" adam_t)" = 4 ] || fail "deferred save at 5 missing"
    train_as b 0 --out "$WORK/b" --steps 8 --save-every 4
    train_as b2 0 --out "$WORK/b" --steps 12 --save-every 4 --resume auto
    same "$WORK/a/latest.h5" "$WORK/b/latest.h5" "resumed across skipped steps differs"
    unset CHARNN_FAULT_INJECT
    train_as c 0 --out "$WORK/c" --steps 12 --save-every 4
    [ "$(attr "$WORK/c/latest.h5" adam_t)" = 12 ] || fail "without faults adam_t should be 12"
    if "${H5CMP[@]}" --exact --group /model "$WORK/a/latest.h5" "$WORK/c/latest.h5" >/dev/null; then
        fail "skipping two steps changed nothing"
    fi
    echo "ok: steps 4 and 7 skipped, adam_t 10, resume across them exact"
}

# More than --max-bad-steps in a row: exit 3, one error naming the step and
# the newest checkpoint (the last written after a good step), nothing saved;
# --resume auto then carries on from it.
case_nan_limit() {
    CHARNN_FAULT_INJECT=nan-grad@5,nan-grad@6,nan-grad@7 \
        train_as a 3 --out "$WORK/a" --steps 20 --save-every 2 --max-bad-steps 2
    has "$WORK/a.err" "error: gradient norm is non-finite \(nan\) at step 7, 3 bad step\(s\) in a row \(more than --max-bad-steps 2\): stopping without saving"
    has "$WORK/a.err" "the newest checkpoint, $WORK/a/ckpt-00000004\.h5, is intact"
    [ "$(latest "$WORK/a")" = ckpt-00000004.h5 ] || fail "latest.h5 should still name step 4"
    [ ! -e "$WORK/a/ckpt-00000006.h5" ] || fail "saved during the bad streak"
    loadable "$WORK/a/latest.h5"
    train_as b 0 --out "$WORK/a" --steps 20 --save-every 2 --max-bad-steps 2 --resume auto
    has "$WORK/b.log" "resumed from $WORK/a/ckpt-00000004\.h5 at step 4"
    echo "ok: stopped at the 3rd bad step in a row, ckpt-4 intact, resumed from it"
}

# ---- damaged checkpoints ----

# corrupt_case HOW WORD: the newest of two checkpoints is damaged; --resume auto
# warns, naming it and the damage, resumes from the older one, and ends
# bitwise where an undisturbed run ends.
corrupt_case() {
    local how=$1 word=$2 f size
    train_as s 0 --out "$WORK/s" --steps 9 --save-every 3
    train_as r 0 --out "$WORK/r" --steps 6 --save-every 3
    f=$WORK/r/ckpt-00000006.h5
    size=$(stat -c %s "$f")
    case $how in
        truncate) truncate -s $((size / 2)) "$f" ;;
        bitflip) printf '\x5a' | dd of="$f" bs=1 seek=$((size * 2 / 3)) conv=notrunc status=none ;;
    esac
    train_as r2 0 --out "$WORK/r" --steps 9 --save-every 3 --resume auto
    has "$WORK/r2.err" "warning: checkpoint '$f' is $word.*: skipped, resuming from an older checkpoint"
    [ "$(grep -c . "$WORK/r2.err")" = 1 ] || fail "expected one warning line"
    has "$WORK/r2.log" "resumed from $WORK/r/ckpt-00000003\.h5 at step 3"
    same "$WORK/s/latest.h5" "$WORK/r/latest.h5" "run resumed past a damaged checkpoint differs"
    echo "ok: damaged ckpt-6 skipped with a warning, resumed from ckpt-3, final state exact"
}
case_newest_truncated() { corrupt_case truncate truncated; }
case_newest_bitflip() { corrupt_case bitflip corrupted; }

# ---- the checkpoint writer killed ----

# kill_case POINT LATEST: the writer gets SIGKILL at POINT of its second
# checkpoint (step 6); the first (step 3) stays whole and latest.h5 names
# LATEST; --resume auto finishes, bitwise as an undisturbed run, and the
# killed writer's temporary file is gone.
kill_case() {
    local point=$1 want=$2
    train_as s 0 --out "$WORK/s" --steps 9 --save-every 3
    CHARNN_FAULT_INJECT="kill@$point#2" train_as r 137 --out "$WORK/r" --steps 9 --save-every 3
    has "$WORK/r.err" "fault injection: SIGKILL at $point #2"
    [ "$(latest "$WORK/r")" = "$want" ] || fail "latest.h5 -> $(latest "$WORK/r"), expected $want"
    same "$WORK/s/ckpt-00000003.h5" "$WORK/r/ckpt-00000003.h5" "ckpt-3 damaged by the killed write"
    loadable "$WORK/r/latest.h5"
    train_as r2 0 --out "$WORK/r" --steps 9 --save-every 3 --resume auto
    has "$WORK/r2.log" "resumed from $WORK/r/$want at step"
    same "$WORK/s/latest.h5" "$WORK/r/latest.h5" "resumed after a killed write differs"
    no_leftovers "$WORK/r"
    echo "ok: killed at $point: latest.h5 -> $want intact, resumed exactly"
}
case_kill_mid_file() { kill_case ckpt-half ckpt-00000003.h5; }
case_kill_before_rename() { kill_case ckpt-written ckpt-00000003.h5; }
case_kill_before_link() { kill_case ckpt-renamed ckpt-00000003.h5; }
case_kill_before_prune() { kill_case ckpt-linked ckpt-00000006.h5; }

# SIGKILL at random moments of a run that saves at every step: after each,
# latest.h5 loads; --resume auto carries on; the end is bitwise the
# undisturbed run's. Each kill lands a few steps after the newest checkpoint
# (keyed on the run's progress lines, the moment within the step left to
# chance), so all 8 land mid-run on any machine: 8 x a few steps of 300.
case_kill_random() {
    local i rc pid from
    train_as s 0 --out "$WORK/s" --steps 300 --save-every 1 --keep 3
    for i in $(seq 8); do
        from=0
        [ ! -e "$WORK/r/latest.h5" ] || from=$(attr "$WORK/r/latest.h5" step)
        # exec: $! is charnn-train itself (killing a subshell would leave
        # it running beside the next one)
        (exec "$TRAIN" --data "$WORK/t.txt" "${OPTS[@]}" --out "$WORK/r" --steps 300 \
            --save-every 1 --keep 3 --resume auto) >"$WORK/r$i.log" 2>&1 &
        pid=$!
        wait_step "$WORK/r$i.log" $((from + 1 + RANDOM % 4)) "alive $pid"
        kill -9 "$pid"
        rc=0
        wait "$pid" || rc=$?
        [ "$rc" = 137 ] || { cat "$WORK/r$i.log"; fail "run $i exited $rc, expected 137 (killed mid-run)"; }
        [ ! -e "$WORK/r/latest.h5" ] || loadable "$WORK/r/latest.h5" # none if killed before the first save
    done
    train_as r 0 --out "$WORK/r" --steps 300 --save-every 1 --keep 3 --resume auto
    same "$WORK/s/latest.h5" "$WORK/r/latest.h5" "run killed 8 times differs"
    no_leftovers "$WORK/r"
    echo "ok: killed 8 times mid-run (the last at step $from or later); every latest.h5 loaded; final state exact"
}

# ---- disk full ----

# Past `ulimit -f` (as on a full disk) the write fails: one error naming the
# file and the cause, exit 1 (the run stops: docs/reliability.md), the
# earlier checkpoints byte-identical, no temporary file; the run resumes
# once there is room.
case_disk_full() {
    train_as a 0 --out "$WORK/a" --steps 3 --save-every 1
    local size before
    size=$(stat -c %s "$WORK/a/ckpt-00000003.h5")
    before=$(cd "$WORK/a" && sha256sum ckpt-*.h5 && readlink latest.h5)
    rc=0
    # PMIx (MPI_Init of a singleton) keeps its data in shared-memory files,
    # which the limit would refuse: its hash store instead
    (export PMIX_MCA_gds=hash && ulimit -f $((size / 2048)) && exec "$TRAIN" --data "$WORK/t.txt" "${OPTS[@]}" --out "$WORK/a" \
        --steps 6 --save-every 1 --resume auto) >"$WORK/b.log" 2>"$WORK/b.err" || rc=$?
    [ "$rc" = 1 ] || { cat "$WORK/b.err"; fail "exit status $rc, expected 1"; }
    has "$WORK/b.err" "^charnn-train: error: cannot write checkpoint '$WORK/a/ckpt-00000004\.h5': File too large$"
    [ "$(grep -c . "$WORK/b.err")" = 1 ] || fail "expected one error line"
    [ "$(cd "$WORK/a" && sha256sum ckpt-*.h5 && readlink latest.h5)" = "$before" ] ||
        fail "the earlier checkpoints changed"
    no_leftovers "$WORK/a"
    train_as c 0 --out "$WORK/a" --steps 6 --save-every 1 --resume auto
    [ "$(latest "$WORK/a")" = ckpt-00000006.h5 ] || fail "no progress after the disk had room"
    echo "ok: write past ulimit -f refused cleanly, earlier checkpoints intact, resumed"
}

# ---- ranks ----

# One rank of three killed with SIGKILL mid-run: the job ends within 60 s,
# the launcher naming the rank; the newest checkpoint loads and resumes.
case_rank_killed_mpi() {
    need_mpi
    local out=$WORK/r pid t0 rc=0 took
    gen_text english 30000 5 "$WORK/t.txt"
    mpi_train 3 --data "$WORK/t.txt" "${OPTS[@]}" --out "$out" --steps 100000 --save-every 20 \
        --log-every 10 >"$WORK/r.log" 2>&1 &
    local job=$!
    # the run has 100000 steps: it outlives this wait on any machine
    wait_until 300 "the first checkpoint" "alive $job" test -e "$out/latest.h5" ||
        { cat "$WORK/r.log"; fail "no first checkpoint"; }
    rank_pids "$out" 3 "alive $job"
    pid=${RANKS[1]}
    sleep "0.$((RANDOM % 9 + 1))"
    t0=$(date +%s.%N)
    kill -9 "$pid"
    timeout 90 tail --pid=$job -f /dev/null || true
    took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    kill -9 $job 2>/dev/null || true
    wait $job || rc=$?
    cat "$WORK/r.log"
    [ "$rc" != 0 ] || fail "the job reported success"
    awk -v t="$took" 'BEGIN { exit !(t < 60) }' || fail "the job took $took s to end after the kill"
    has "$WORK/r.log" "rank 1 .*(signal 9|Killed)"
    loadable "$out/latest.h5"
    local step
    step=$(attr "$out/latest.h5" step)
    mpi_train 3 --data "$WORK/t.txt" "${OPTS[@]}" --out "$out" --steps $((step + 5)) \
        --save-every 20 --resume auto >"$WORK/r2.log" 2>&1 || { cat "$WORK/r2.log"; fail "resume"; }
    has "$WORK/r2.log" "resumed from .* at step $step"
    echo "ok: rank 1 killed, job ended after $took s naming it, resumed from step $step"
}

# The replicas drift apart (one rank's parameter nudged by one ulp after
# step 7): caught at the next check, by --check-every (step 10) or by the
# check before a save (step 8); exit 1, one error naming the rank, nothing
# saved after the drift.
case_drift_mpi() {
    need_mpi
    local rc
    gen_text english 30000 5 "$WORK/t.txt"
    for how in check save; do
        local args=(--check-every 5 --save-every 100) at=10
        [ "$how" = save ] && args=(--check-every 0 --save-every 4) at=8
        rc=0
        CHARNN_FAULT_INJECT=drift@7 mpirun -q -np 2 --oversubscribe --bind-to none "$TRAIN" \
            --data "$WORK/t.txt" "${OPTS[@]}" --out "$WORK/$how" --steps 30 "${args[@]}" \
            >"$WORK/$how.log" 2>"$WORK/$how.err" || rc=$?
        [ "$rc" = 1 ] || { cat "$WORK/$how.err"; fail "$how: exit $rc, expected 1"; }
        has "$WORK/$how.err" "^charnn-train: error: rank 1's parameters differ from rank 0's after step $at \(CRC-64 [0-9a-f]{16}, rank 0: [0-9a-f]{16}\): the replicas drifted apart"
        [ "$(grep -c . "$WORK/$how.err")" = 1 ] || fail "$how: expected one error line"
    done
    [ "$(latest "$WORK/save")" = ckpt-00000004.h5 ] || fail "saved after the drift"
    echo "ok: drift after step 7 caught at step 10 (--check-every 5) and at the save of step 8"
}

# A malformed injection spec is refused (a test that injects nothing would pass)
case_bad_spec() {
    CHARNN_FAULT_INJECT=nan-grad@x train_as a 1 --out "$WORK/a" --steps 1
    has "$WORK/a.err" "CHARNN_FAULT_INJECT: bad item 'nan-grad@x'"
}

# ---- main ----

dispatch_cases "$@"
