#!/bin/bash
# stop_resume.sh — preemption: SIGTERM to one rank of a 2-rank run at a random
# step makes every rank stop at the next step boundary, write a checkpoint and
# exit 75; `--resume auto` then finishes the run, bitwise identical to an
# uninterrupted one (/model, /optim, /state).
# The interrupted run is given far more steps than it will ever make (it runs
# until signalled, however fast the machine); once it has stopped at step N,
# it is resumed to N + 100 and compared with an uninterrupted run of N + 100
# steps (--steps sets only where a run ends: no schedule depends on it).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
command -v mpirun >/dev/null && [ "${1:-}" != --no-mpi ] || skip "built without MPI"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
gen_text english 60000 8 "$WORK/text.txt"
OPTS=(--data "$WORK/text.txt" --hidden 64 --layers 2 --batch 10 --seq 24 --dropout 0.3
      --lr 0.005 --save-every 100000 --eval-every 0 --log-every 10 --threads 1 --device cpu)
FOREVER=1000000 # steps: the interrupted run ends only by the signal

mpi_train 2 "${OPTS[@]}" --steps $FOREVER --out "$WORK/stopped" >"$WORK/first.log" 2>&1 &
launcher=$!
rank_pids "$WORK/stopped" 2 "alive $launcher"
# training under way, at a random step
wait_step "$WORK/first.log" $((50 + RANDOM % 10 * 10)) "alive $launcher"
kill -TERM "${RANKS[1]}"
rc=0
wait $launcher || rc=$?
cat "$WORK/first.log"
[ "$rc" -eq 75 ] || fail "interrupted run exited $rc, expected 75"
stopped_at=$(sed -n 's/.*stopped by a signal at step \([0-9]*\).*/\1/p' "$WORK/first.log")
[ -n "$stopped_at" ] || fail "no stop message"
echo "stopped at step $stopped_at"
end=$((stopped_at + 100))

mpi_train 2 "${OPTS[@]}" --steps $end --out "$WORK/stopped" --resume auto >"$WORK/second.log" 2>&1 ||
    { cat "$WORK/second.log"; fail "resumed run"; }
grep -q "resumed from .* at step $stopped_at" "$WORK/second.log" || fail "did not resume at $stopped_at"
mpi_train 2 "${OPTS[@]}" --steps $end --out "$WORK/straight" >"$WORK/straight.log" 2>&1 ||
    { cat "$WORK/straight.log"; fail "uninterrupted run"; }
"${H5CMP[@]}" --exact --group /model --group /optim --group /state \
    "$WORK/straight/latest.h5" "$WORK/stopped/latest.h5" || fail "resumed run differs"
echo "ok: SIGTERM at step $stopped_at, resumed to $end: bitwise identical to an uninterrupted run"
