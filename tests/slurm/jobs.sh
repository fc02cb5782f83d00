#!/bin/bash
# tests/slurm/jobs.sh CASE [--no-mpi] — slurm/cpu.sbatch and launch/charnn
# under a real Slurm: a private slurmctld + slurmd + munged on this host
# (tests/slurm/cluster.sh; MpiDefault and TaskPlugin left at Slurm's
# defaults, none), 2 tasks x 1 CPU, a small model (the CHARNN_* overrides).
#   train    sbatch trains to the end; launch/charnn chose srun, added
#            --mpi=pmix, left out --cpu-bind (task/none: no warning), 1 thread
#   preempt  scancel --signal=USR1 (to the tasks, as #SBATCH --signal=USR1@N
#            does) -> exit 75 -> `scontrol requeue` -> the job runs again
#            with --resume auto; then scancel --signal=USR1 --batch (to the
#            batch shell, which forwards it) -> requeued again -> finishes:
#            final weights bitwise equal to an uninterrupted job's
#   cap      CHARNN_MAX_REQUEUES=1: preempted twice, requeued once; the job
#            ends FAILED with exit 75 and Restarts=1
#   kill     SIGKILL to rank 1 under srun: the job ends within 60 s, the
#            output names the task (srun: error: ...: task 1: Killed)
# Every signal or kill is keyed on the job's progress lines and lands on ranks
# found in /proc (lib.sh); a job that only a signal or a kill ends has steps
# it will never make (FOREVER), one that must finish is signalled at most 100
# steps into its 2000, through ranks held still until the signal is there
# (signal_frozen): no machine is fast enough to finish first.
# Skips (77) where the cluster cannot start (tests/slurm/cluster.sh; under
# CI=true a failure) and with --no-mpi (a build without MPI runs 1 rank).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
. "$CHARNN_SOURCE/tests/slurm/cluster.sh"
CASE=${1:?CASE}
[ "${2:-}" != --no-mpi ] || skip "built without MPI: the Slurm jobs run 2 ranks"
STEPS=2000   # the jobs that must finish (train, preempt)
FOREVER=1000000 # the jobs that end only by a signal or a kill (cap, kill)
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")

gen_text english 30000 8 "$WORK/text.txt"
BASE_ARGS="--hidden 32 --layers 1 --batch 8 --seq 16 --save-every 100000 --eval-every 0 --log-every 10"
MODEL_ARGS="$BASE_ARGS --steps $STEPS"
unset CHARNN_ROOT CHARNN_REQUEUE CHARNN_MAX_REQUEUES CHARNN_LAUNCHER_ARGS
submit() { slurm_submit_cpu "$@"; }
forever() { MODEL_ARGS="$BASE_ARGS --steps $FOREVER" slurm_submit_cpu "$@"; }

# wait_line FILE REGEX SECS [N]: until N lines (default 1) of FILE match
wait_line() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
        sleep 0.1
    done
    cat "$1" 2>/dev/null || true
    fail "no line matching '$2' in $1 within $3 s"
}

# job_step NAME ID STEP: until job ID's output ($WORK/NAME.out) logs STEP
# or later since the job's last start, and its 2 ranks (training into
# $WORK/NAME) are in RANKS; fails as soon as the job is not running
job_step() {
    wait_step "$WORK/$1.out" "$3" "slurm_job_active $2" 'charnn-slurm: job'
    rank_pids "$WORK/$1" 2 "slurm_job_active $2"
}

# preempt ID [--batch]: scancel --signal=USR1 [--batch] to job ID, whose
# ranks (RANKS) are held still until the signal has reached them
preempt() {
    signal_frozen USR1 "sl scancel --signal=USR1 ${2:-} $1" "${RANKS[@]}"
}

finished() { slurm_job_done "$@"; }
# requeued ID NAME: until job ID, requeued, runs again (else its output and
# slurmctld's log, and fail)
requeued() {
    slurm_wait_requeued "$1" && return 0
    cat "$WORK/$2.out"
    tail -n 30 "$SLURM_DIR/log/slurmctld.log"
    fail "job $1 ($2) was not requeued, or did not run again"
}
restarts() { slurm_job_field "$1" Restarts; }
slurm_cluster_start
t0=$SECONDS

case_train() {
    local id
    id=$(submit straight)
    finished "$id" straight
    cat "$WORK/straight.out"
    local out="$WORK/straight.out"
    grep -Eq '^  launcher +srun$' "$out" || fail "launch/charnn did not choose srun"
    grep -Eq '^  command +srun -n 2 --kill-on-bad-exit=1 --cpus-per-task=1 --mpi=pmix ' "$out" ||
        fail "srun not run as: srun -n 2 --kill-on-bad-exit=1 --cpus-per-task=1 --mpi=pmix"
    grep -Eq '^  binding +--cpus-per-task=1, not bound: .*TaskPlugin=task/none' "$out" ||
        fail "the binding line does not say why the ranks are not bound"
    grep -Eq -- '--resume auto --threads 1$' "$out" || fail "trainer not given --resume auto --threads 1"
    if grep -q "lacks support for cpu binding" "$out"; then fail "srun still asked for cpu binding"; fi
    grep -q "| 2 rank(s)" "$out" || fail "not 2 ranks"
    grep -q "^done: step $STEPS" "$out" || fail "did not train to step $STEPS"
    [ "$(restarts "$id")" = 0 ] || fail "the straight job was requeued"
    echo "ok: sbatch slurm/cpu.sbatch: 2 ranks under srun --mpi=pmix, $STEPS steps ($((SECONDS - t0)) s)"
}

case_preempt() {
    local ref id
    ref=$(submit straight)
    id=$(submit preempted)
    job_step preempted "$id" $((40 + RANDOM % 5 * 10))
    preempt "$id"
    wait_line "$WORK/preempted.out" "requeueing job $id" 60
    requeued "$id" preempted
    wait_line "$WORK/preempted.out" "resumed from .* at step" 60
    local first
    first=$(sed -n 's/.*stopped by a signal at step \([0-9]*\).*/\1/p' "$WORK/preempted.out" | head -n 1)
    grep -q "resumed from .* at step $first\$" "$WORK/preempted.out" || fail "did not resume at step $first"
    echo "ok: preempted at step $first (scancel --signal=USR1), requeued, resumed ($((SECONDS - t0)) s)"
    job_step preempted "$id" $((first + 60))
    preempt "$id" --batch
    wait_line "$WORK/preempted.out" "batch shell got SIGUSR1" 30
    wait_line "$WORK/preempted.out" "requeueing job $id" 30 2
    requeued "$id" preempted
    finished "$id" preempted
    cat "$WORK/preempted.out"
    [ "$(grep -c "requeueing job $id" "$WORK/preempted.out")" -eq 2 ] || fail "not requeued exactly twice"
    [ "$(restarts "$id")" = 2 ] || fail "Restarts=$(restarts "$id"), expected 2"
    [ "$(grep -c "resumed from" "$WORK/preempted.out")" -eq 2 ] || fail "not resumed twice"
    finished "$ref" straight
    "${H5CMP[@]}" --exact --group /model --group /optim --group /state \
        "$WORK/straight/latest.h5" "$WORK/preempted/latest.h5" ||
        fail "the twice-requeued job differs from an uninterrupted one"
    echo "ok: preempted twice (tasks, then batch shell), requeued twice: bitwise equal to an uninterrupted job ($((SECONDS - t0)) s)"
}

case_cap() {
    local id
    id=$(CHARNN_MAX_REQUEUES=1 forever capped)
    job_step capped "$id" 60
    preempt "$id"
    wait_line "$WORK/capped.out" "requeueing job $id" 60
    requeued "$id" capped
    wait_line "$WORK/capped.out" "resumed from .* at step" 120
    local first
    first=$(sed -n 's/.*resumed from .* at step \([0-9]*\)$/\1/p' "$WORK/capped.out" | head -n 1)
    job_step capped "$id" $((first + 60))
    preempt "$id"
    slurm_wait_job "$id" FAILED 60 || { cat "$WORK/capped.out"; fail "the capped job did not end FAILED"; }
    cat "$WORK/capped.out"
    grep -q "already requeued 1 times (CHARNN_MAX_REQUEUES=1): not requeueing" "$WORK/capped.out" ||
        fail "no 'not requeueing' message"
    [ "$(slurm_job_field "$id" ExitCode)" = "75:0" ] || fail "ExitCode=$(slurm_job_field "$id" ExitCode), expected 75:0"
    [ "$(restarts "$id")" = 1 ] || fail "Restarts=$(restarts "$id"), expected 1"
    [ -e "$WORK/capped/latest.h5" ] || fail "no checkpoint after the last stop"
    echo "ok: CHARNN_MAX_REQUEUES=1: requeued once, then FAILED with exit 75 and a checkpoint ($((SECONDS - t0)) s)"
}

case_kill() {
    local id
    id=$(forever killed)
    # training under way; rank 1 is the task whose SLURM_PROCID is 1
    job_step killed "$id" 40
    local t1=$SECONDS
    kill -KILL "${RANKS[1]}"
    slurm_wait_job "$id" "FAILED|COMPLETED" 60 || fail "job $id still not over 60 s after SIGKILL to rank 1"
    local took=$((SECONDS - t1))
    cat "$WORK/killed.out"
    [ "$(slurm_job_field "$id" JobState)" = FAILED ] || fail "job $id: $(slurm_job_field "$id" JobState), expected FAILED"
    grep -Eq 'srun: error: .*task 1: Killed' "$WORK/killed.out" || fail "the output does not name task 1"
    grep -q "charnn-train failed with exit status" "$WORK/killed.out" || fail "no failure line from the batch script"
    echo "ok: SIGKILL to rank 1: job FAILED after ${took} s, task 1 named ($((SECONDS - t0)) s)"
}

dispatch_cases "$CASE"
