#!/usr/bin/env bash
# max_minutes.sh — charnn-train --max-minutes, the budget launch/demo keeps:
# the whole command (start-up, steps, final validation and checkpoint) ends
# within ±15 % of the limit, with exit 0, a line saying where it ended, a
# loadable final checkpoint; --resume auto then goes on to --steps.
# Tolerance: the limit adapts to the machine's speed (it measures its steps
# as it goes), so a busy machine gives fewer steps, not a later end.
# The budget covers the trainer's work: it is judged at the final
# checkpoint's modification time (written last); the process's exit after
# it is judged too, but not in a sanitizer build, whose exit runs
# LeakSanitizer's scan of the whole heap (seconds beside a CPU hog: once
# 14.0 s for this 12-s budget, the checkpoint within it).
. "$(dirname "$0")/lib.sh"
cd "$WORK"
gen_text english 200000 3 a.txt
limit=0.2 # minutes
t0=$(date +%s%N)
"$TRAIN" --data a.txt --out r --hidden 64 --layers 2 --batch 16 --seq 32 --threads 1 \
    --max-minutes "$limit" --steps 100000 --eval-every 0 --log-every 50 >out.txt ||
    { cat out.txt; fail "charnn-train --max-minutes exited $?"; }
took=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
cat out.txt
step=$(sed -n 's/^--max-minutes 0.2: ending at step \([0-9]*\) (of 100000)$/\1/p' out.txt)
[ -n "$step" ] || fail "no line saying where the time limit ended the run"
ckpt=$(sed -n "s|^done: step $step, checkpoint \(r/ckpt-0*$step\.h5\)$|\1|p" out.txt)
[ -n "$ckpt" ] || fail "no final checkpoint at step $step"
work=$(awk -v a="$t0" -v b="$(stat -c %.9Y "$ckpt")" 'BEGIN { printf "%.2f", b - a / 1e9 }')
budget=$(awk -v m=$limit 'BEGIN { print m * 60 }')
within() { awk -v t="$1" -v b="$budget" 'BEGIN { exit !(t >= 0.85 * b && t <= 1.15 * b) }'; }
within "$work" || fail "the final checkpoint was written $work s after the start, for --max-minutes $limit (budget $budget s, ±15 %)"
if [ -z "${CHARNN_SANITIZED:-}" ]; then
    within "$took" || fail "took $took s for --max-minutes $limit (budget $budget s, ±15 %)"
fi
echo "took $took s (the final checkpoint at $work s) for a budget of $budget s, $step steps"
"$TRAIN" --data a.txt --out r --resume auto --steps $((step + 2)) --threads 1 >out.txt ||
    { cat out.txt; fail "resume after a time limit"; }
grep -q "^done: step $((step + 2))," out.txt || { cat out.txt; fail "resume did not reach --steps"; }
