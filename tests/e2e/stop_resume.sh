#!/bin/bash
# stop_resume.sh — preemption: SIGTERM to one rank of a 2-rank run at a random
# step makes every rank stop at the next step boundary, write a checkpoint and
# exit 75; `--resume auto` then finishes the run, bitwise identical to an
# uninterrupted one (/model, /optim, /state).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
command -v mpirun >/dev/null && [ "${1:-}" != --no-mpi ] || skip "built without MPI"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")
gen_text english 60000 8 "$WORK/text.txt"
OPTS=(--data "$WORK/text.txt" --hidden 64 --layers 2 --batch 10 --seq 24 --dropout 0.3
      --lr 0.005 --steps 2000 --save-every 5000 --eval-every 0 --log-every 50 --threads 1
      --device cpu)

mpi_train 2 "${OPTS[@]}" --out "$WORK/straight" >"$WORK/straight.log" 2>&1 ||
    { cat "$WORK/straight.log"; fail "uninterrupted run"; }

mpi_train 2 "${OPTS[@]}" --out "$WORK/stopped" >"$WORK/first.log" 2>&1 &
launcher=$!
# the rank processes (their command lines start with the binary, mpirun's
# does not): wait until both run, then signal one
for _ in $(seq 100); do
    mapfile -t ranks < <(pgrep -f -- "^$TRAIN .*--out $WORK/stopped" || true)
    [ "${#ranks[@]}" -ge 2 ] && break
    sleep 0.1
done
[ "${#ranks[@]}" -ge 2 ] || { pgrep -af charnn-train; fail "rank processes not found"; }
for _ in $(seq 100); do # training under way (first progress line), then a random moment
    grep -q "^step 50/" "$WORK/first.log" && break
    sleep 0.1
done
sleep "0.$((RANDOM % 9 + 1))"
kill -TERM "${ranks[1]}"
rc=0
wait $launcher || rc=$?
cat "$WORK/first.log"
[ "$rc" -eq 75 ] || fail "interrupted run exited $rc, expected 75"
grep -q "stopped by a signal at step" "$WORK/first.log" || fail "no stop message"
stopped_at=$(sed -n 's/.*stopped by a signal at step \([0-9]*\).*/\1/p' "$WORK/first.log")
[ "$stopped_at" -lt 2000 ] || fail "stopped only at the end (step $stopped_at): signal too late"
echo "stopped at step $stopped_at"

mpi_train 2 "${OPTS[@]}" --out "$WORK/stopped" --resume auto >"$WORK/second.log" 2>&1 ||
    { cat "$WORK/second.log"; fail "resumed run"; }
grep -q "resumed from .* at step $stopped_at" "$WORK/second.log" || fail "did not resume at $stopped_at"
"${H5CMP[@]}" --exact --group /model --group /optim --group /state \
    "$WORK/straight/latest.h5" "$WORK/stopped/latest.h5" || fail "resumed run differs"
echo "ok: SIGTERM at step $stopped_at, resumed run bitwise identical"
