# slurm/requeue.sh — the part of slurm/*.sbatch that is the same in all of
# them: run charnn-train through launch/charnn with --resume auto, and when it
# stops for preemption (exit 75) put the job back in the queue. Source it, then
#
#   charnn_slurm_run DEVICE [LAUNCH-ARGS...]
#
# with these set: CONFIG (INI file, "" for none; a relative name not found in
# the current directory is looked for in $CHARNN_ROOT, e.g. configs/anna.ini), DATA (training text, "" when
# the config names it), RUN_DIR (run directory, the same across requeues),
# EXTRA_ARGS (more charnn-train options, split on spaces). LAUNCH-ARGS go to
# launch/charnn before its "--" (e.g. -n 8). The trainer runs as
#
#   launch/charnn LAUNCH-ARGS -- [--config CONFIG] [--data DATA] --out RUN_DIR
#       --device DEVICE EXTRA_ARGS --resume auto
#
# so a fresh job starts the run and a requeued one continues it from
# RUN_DIR/latest.h5. What happens at the end (the function's return status is
# what the batch script exits with):
#   0    the run finished                             -> 0
#   75   stopped by a signal after a checkpoint:
#        - the warning signal (#SBATCH --signal=USR1@120 reaches the trainers
#          directly; with --signal=B:USR1@120 the batch shell gets it and this
#          file forwards it to the launcher, which passes it on to the ranks)
#                                                     -> scontrol requeue $SLURM_JOB_ID, 0
#        - SIGTERM/SIGINT to this batch shell too (scancel, the time limit
#          itself, preemption: Slurm signals every process of the job) -> no
#          requeue (a cancelled job stays cancelled; Slurm requeues preempted
#          jobs itself under PreemptMode=REQUEUE), 75
#   other the trainer's status (1 error, 3 diverged)  -> that status
# Environment: CHARNN_REQUEUE=0 never requeues; CHARNN_MAX_REQUEUES=N stops
# requeueing once $SLURM_RESTART_COUNT reaches N (default: no limit);
# CHARNN_ROOT charnn's files (default: the folder above this file's: the
# repository, or PREFIX/share/charnn of an installed charnn).
# shellcheck shell=bash

CHARNN_ROOT=${CHARNN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

charnn_slurm_say() { printf 'charnn-slurm: %s\n' "$*"; }

# Called by the traps while the launcher runs: note the signal and pass a
# graceful stop on. USR1 rather than the signal itself: mpirun answers SIGTERM
# by killing its ranks, while USR1 reaches charnn-train (through srun or
# mpirun) as the same request as SIGTERM: checkpoint at the next step, exit 75.
charnn_slurm_forward() {
    charnn_slurm_got=$1
    [ "$1" = USR1 ] || charnn_slurm_terminated=$1
    [ -n "$charnn_slurm_pid" ] || return 0
    charnn_slurm_say "batch shell got SIG$1: sending SIGUSR1 to the launcher (pid $charnn_slurm_pid)"
    kill -USR1 "$charnn_slurm_pid" 2>/dev/null || true
}

charnn_slurm_run() {
    local device=${1:?charnn_slurm_run DEVICE [LAUNCH-ARGS...]}
    shift
    local -a args=() extra=()
    local config=${CONFIG:-}
    # a config named relative to charnn's files (configs/anna.ini) when it is
    # not in the submit directory (an installed charnn: $CHARNN_SHARE/configs)
    if [ -n "$config" ] && [[ $config != /* ]] && [ ! -e "$config" ] && [ -f "$CHARNN_ROOT/$config" ]; then
        config=$CHARNN_ROOT/$config
    fi
    [ -z "$config" ] || args+=(--config "$config")
    [ -z "${DATA:-}" ] || args+=(--data "$DATA")
    args+=(--out "${RUN_DIR:?set RUN_DIR}" --device "$device")
    read -r -a extra <<<"${EXTRA_ARGS:-}"
    args+=("${extra[@]}" --resume auto)

    charnn_slurm_say "job ${SLURM_JOB_ID:-(none)}, restart ${SLURM_RESTART_COUNT:-0}," \
        "on $(hostname 2>/dev/null || uname -n), $(date '+%Y-%m-%d %H:%M:%S')"
    if [ -e "$RUN_DIR/latest.h5" ]; then
        charnn_slurm_say "continuing $RUN_DIR from $(readlink "$RUN_DIR/latest.h5" 2>/dev/null || echo latest.h5)"
    else
        charnn_slurm_say "new run in $RUN_DIR"
    fi

    charnn_slurm_got="" charnn_slurm_terminated="" charnn_slurm_pid=""
    trap 'charnn_slurm_forward USR1' USR1
    trap 'charnn_slurm_forward TERM' TERM
    trap 'charnn_slurm_forward INT' INT
    # The launcher runs in the background so that the traps run at once
    # (bash defers them while a foreground command runs).
    "$CHARNN_ROOT/launch/charnn" "$@" -- "${args[@]}" &
    charnn_slurm_pid=$!
    local rc
    while :; do
        charnn_slurm_got=""
        rc=0
        wait "$charnn_slurm_pid" || rc=$?
        # interrupted by a trapped signal: the launcher is still running
        [ -n "$charnn_slurm_got" ] || break
    done
    trap - USR1 TERM INT

    case $rc in
        0)
            charnn_slurm_say "run finished: $RUN_DIR/latest.h5"
            return 0
            ;;
        75) ;;
        *)
            charnn_slurm_say "charnn-train failed with exit status $rc (not requeueing)"
            return "$rc"
            ;;
    esac

    if [ -n "$charnn_slurm_terminated" ]; then
        charnn_slurm_say "stopped by SIG$charnn_slurm_terminated (scancel, time limit or preemption):" \
            "checkpoint written, not requeueing; resubmit to continue"
        return 75
    fi
    if [ -z "${SLURM_JOB_ID:-}" ]; then
        charnn_slurm_say "stopped after a checkpoint; not in a Slurm job: run this script again to continue"
        return 75
    fi
    if [ "${CHARNN_REQUEUE:-1}" = 0 ]; then
        charnn_slurm_say "stopped after a checkpoint; CHARNN_REQUEUE=0: not requeueing"
        return 75
    fi
    if [ -n "${CHARNN_MAX_REQUEUES:-}" ] && [ "${SLURM_RESTART_COUNT:-0}" -ge "$CHARNN_MAX_REQUEUES" ]; then
        charnn_slurm_say "stopped after a checkpoint; already requeued ${SLURM_RESTART_COUNT:-0} times" \
            "(CHARNN_MAX_REQUEUES=$CHARNN_MAX_REQUEUES): not requeueing"
        return 75
    fi
    charnn_slurm_say "stopped after a checkpoint: requeueing job $SLURM_JOB_ID (it continues with --resume auto)"
    if ! scontrol requeue "$SLURM_JOB_ID"; then
        charnn_slurm_say "scontrol requeue $SLURM_JOB_ID failed (submitted with --no-requeue?):" \
            "resubmit the same script to continue"
        return 75
    fi
    return 0
}
