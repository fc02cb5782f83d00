#!/bin/bash
# slurm_requeue.sh — the preemption path of slurm/cpu.sbatch, without Slurm.
# Fake `srun` (runs the command under mpirun -np N, or directly for -n 1) and
# `scontrol` (records "requeue JOBID"; prints the host for "show hostnames")
# come first on PATH, SLURM_* variables describe a one-node job of P ranks,
# and the batch script runs as a plain bash script with a small model (the
# CHARNN_CONFIG / CHARNN_DATA / CHARNN_RUN_DIR / CHARNN_EXTRA_ARGS overrides).
#  1. SIGUSR1 to every trainer rank mid-run (what #SBATCH --signal=USR1@120
#     does): the ranks checkpoint and exit 75, the script calls
#     `scontrol requeue 4242` and exits 0 (the job is requeued, not failed).
#  2. The script again, as the requeued job (SLURM_RESTART_COUNT=1): it
#     resumes at the step it stopped at, finishes, exits 0, no requeue.
#  3. Its final checkpoint equals an uninterrupted run's bitwise (/model,
#     /optim, /state).
#  4. --signal=B:USR1 instead: SIGUSR1 to the batch shell only; it forwards
#     it to the launcher, the ranks stop, the job is requeued.
#  5. scancel: SIGTERM to the batch shell and the ranks; a checkpoint, but no
#     requeue, and exit 75.
# P = 2 (1 with --no-mpi or without mpirun).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
P=2
if [ "${1:-}" = --no-mpi ] || ! command -v mpirun >/dev/null; then P=1; fi
STEPS=400 # the signals come at most 100 steps in
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")

gen_text english 60000 8 "$WORK/text.txt"
cat >"$WORK/run.ini" <<EOF
hidden = 32
layers = 2
batch = 10
seq = 24
dropout = 0.3
lr = 0.005
steps = $STEPS
save-every = 5000
eval-every = 0
log-every = 10
EOF

# ---- fake Slurm commands ----------------------------------------------------
mkdir -p "$WORK/bin"
cat >"$WORK/bin/srun" <<'EOF'
#!/bin/bash
# fake srun: log the call, then run the command on -n ranks
printf 'srun %s\n' "$*" >>"$FAKE_SLURM_LOG"
n=1
while [ "$#" -gt 0 ]; do
    case $1 in
        -n | --ntasks) n=$2; shift 2 ;;
        -n*) n=${1#-n}; shift ;;
        --ntasks=*) n=${1#*=}; shift ;;
        -c | -N | --cpus-per-task | --nodes) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
# Slurm's --cpu-bind would pin each task to its own cores; this fake does not
# pin, so it must not let OpenMP pin every rank to the first core either.
unset OMP_PROC_BIND OMP_PLACES
[ "$n" -gt 1 ] || exec "$@"
exec mpirun -np "$n" --oversubscribe --bind-to none "$@"
EOF
cat >"$WORK/bin/scontrol" <<'EOF'
#!/bin/bash
# fake scontrol: "requeue ID" is recorded; "show hostnames LIST" prints LIST
case "$1 ${2:-}" in
    "show hostnames") tr ',' '\n' <<<"$3" ;;
    "requeue "*) printf 'requeue %s\n' "$2" >>"$FAKE_SCONTROL_LOG" ;;
    *) echo "fake scontrol: unexpected: $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$WORK/bin/srun" "$WORK/bin/scontrol"

export PATH="$WORK/bin:$PATH" FAKE_SLURM_LOG="$WORK/srun.log" FAKE_SCONTROL_LOG="$WORK/scontrol.log"
export SLURM_JOB_ID=4242 SLURM_JOB_NAME=charnn-cpu SLURM_NTASKS=$P SLURM_NPROCS=$P \
    SLURM_NTASKS_PER_NODE=$P SLURM_CPUS_PER_TASK=1 SLURM_JOB_NUM_NODES=1 SLURM_NNODES=1 \
    SLURM_JOB_NODELIST=localhost SLURM_SUBMIT_DIR=$WORK SLURM_RESTART_COUNT=0
export CHARNN_CONFIG="$WORK/run.ini" CHARNN_DATA="$WORK/text.txt" CHARNN_RUN_DIR="$WORK/job" \
    CHARNN_EXTRA_ARGS="--keep 2" CHARNN_TRAIN="$TRAIN"
unset CHARNN_ROOT CHARNN_REQUEUE CHARNN_MAX_REQUEUES CHARNN_LAUNCHER_ARGS
: >"$FAKE_SCONTROL_LOG"
SBATCH="$CHARNN_SOURCE/slurm/cpu.sbatch"
t0=$SECONDS

# start_job LOG: the batch script in the background (pid in $job), once its
# P ranks (pids in ${RANKS[@]}, rank order) train and the log shows a
# random step between 50 and 100: far from the end (STEPS), on any machine
start_job() {
    local log=$1
    (cd "$WORK" && exec bash "$SBATCH") >"$log" 2>&1 &
    job=$!
    rank_pids "$CHARNN_RUN_DIR" "$P" "alive $job"
    wait_step "$log" $((50 + RANDOM % 51)) "alive $job"
}

# ---- 1. the job, preempted --------------------------------------------------
start_job "$WORK/job1.log"
kill -USR1 "${RANKS[@]}" # as Slurm does: every task of the step
rc=0
wait "$job" || rc=$?
cat "$WORK/job1.log"
[ "$rc" -eq 0 ] || fail "the preempted job's script exited $rc, expected 0 (requeued)"
grep -q "launcher  *srun" "$WORK/job1.log" || fail "launch/charnn did not choose srun"
grep -q -- "-n $P --kill-on-bad-exit=1 --cpus-per-task=1 --cpu-bind=cores" "$WORK/srun.log" ||
    { cat "$WORK/srun.log"; fail "srun not called with -n $P --kill-on-bad-exit=1 --cpus-per-task=1 --cpu-bind=cores"; }
grep -q -- "--resume auto --threads 1" "$WORK/srun.log" || fail "trainer not given --resume auto --threads 1"
stopped_at=$(sed -n 's/.*stopped by a signal at step \([0-9]*\).*/\1/p' "$WORK/job1.log")
[ -n "$stopped_at" ] || fail "no stop message"
[ "$stopped_at" -lt "$STEPS" ] || fail "stopped only at the end (step $stopped_at): signal too late"
[ "$(cat "$FAKE_SCONTROL_LOG")" = "requeue 4242" ] ||
    { cat "$FAKE_SCONTROL_LOG"; fail "scontrol requeue 4242 not called exactly once"; }
echo "ok: stopped at step $stopped_at, job requeued ($((SECONDS - t0)) s)"

# ---- 2. the requeued job ------------------------------------------------------
export SLURM_RESTART_COUNT=1
rc=0
(cd "$WORK" && exec bash "$SBATCH") >"$WORK/job2.log" 2>&1 || rc=$?
cat "$WORK/job2.log"
[ "$rc" -eq 0 ] || fail "the requeued job's script exited $rc"
grep -q "resumed from .* at step $stopped_at" "$WORK/job2.log" || fail "did not resume at step $stopped_at"
grep -q "run finished" "$WORK/job2.log" || fail "no 'run finished'"
[ "$(wc -l <"$FAKE_SCONTROL_LOG")" -eq 1 ] || fail "requeued again after finishing"
echo "ok: resumed at step $stopped_at and finished ($((SECONDS - t0)) s)"

# ---- 3. the same as an uninterrupted run ----------------------------------------
straight=("$TRAIN" --config "$WORK/run.ini" --data "$WORK/text.txt" --out "$WORK/straight"
    --device cpu --threads 1)
if [ "$P" -gt 1 ]; then
    mpi_train "$P" "${straight[@]:1}" >"$WORK/straight.log" 2>&1 || { cat "$WORK/straight.log"; fail "uninterrupted run"; }
else
    "${straight[@]}" >"$WORK/straight.log" 2>&1 || { cat "$WORK/straight.log"; fail "uninterrupted run"; }
fi
"${H5CMP[@]}" --exact --group /model --group /optim --group /state \
    "$WORK/straight/latest.h5" "$WORK/job/latest.h5" || fail "the requeued run differs from an uninterrupted one"
echo "ok: $P rank(s), SIGUSR1 at step $stopped_at, requeued, resumed: bitwise identical ($((SECONDS - t0)) s)"

# ---- 4. --signal=B:USR1: only the batch shell gets it, and forwards it ----------
export CHARNN_RUN_DIR="$WORK/job-b" SLURM_RESTART_COUNT=0
: >"$FAKE_SCONTROL_LOG"
start_job "$WORK/job4.log"
# the ranks held still until the forwarded signal has reached them
signal_frozen USR1 'kill -USR1 "$job"' "${RANKS[@]}"
rc=0
wait "$job" || rc=$?
cat "$WORK/job4.log"
[ "$rc" -eq 0 ] || fail "B:USR1: the script exited $rc, expected 0 (requeued)"
grep -q "stopped by a signal at step" "$WORK/job4.log" || fail "B:USR1: the trainer did not stop"
[ "$(cat "$FAKE_SCONTROL_LOG")" = "requeue 4242" ] || fail "B:USR1: not requeued"
echo "ok: SIGUSR1 to the batch shell reached the ranks; requeued ($((SECONDS - t0)) s)"

# ---- 5. scancel: SIGTERM to every process of the job: checkpoint, no requeue ----
export CHARNN_RUN_DIR="$WORK/job-c"
: >"$FAKE_SCONTROL_LOG"
start_job "$WORK/job5.log"
kill -TERM "$job" "${RANKS[@]}"
rc=0
wait "$job" || rc=$?
cat "$WORK/job5.log"
[ "$rc" -eq 75 ] || fail "scancel: the script exited $rc, expected 75"
grep -q "stopped by a signal at step" "$WORK/job5.log" || fail "scancel: no checkpoint"
[ ! -s "$FAKE_SCONTROL_LOG" ] || fail "scancel: requeued a cancelled job"
echo "ok: SIGTERM (scancel): checkpoint written, not requeued, exit 75 ($((SECONDS - t0)) s)"
