#!/bin/bash
# profile_check.sh — --profile writes per-rank phase timings with
# min/median/max across ranks; --save-minutes checkpoints on wall time, in a
# run that --max-minutes holds to about 3 s of wall time however fast the
# machine is (a fixed number of steps can end before a few saves are due);
# how many saves were due is judged from the run's own step times, so a
# slow or loaded machine, which makes fewer and longer steps, passes too.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
ranks=2
[ "${1:-}" = --no-mpi ] && ranks=1
gen_text english 40000 3 "$WORK/text.txt"
mpi_train "$ranks" --data "$WORK/text.txt" --hidden 32 --batch 8 --seq 16 --steps 400 \
    --log-every 100 --profile --save-every 0 --eval-every 0 \
    --threads 1 --out "$WORK/run" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "training"; }
"$PY" - "$WORK/run/metrics.jsonl" "$ranks" <<'PYEOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ranks = int(sys.argv[2])
prof = [l for l in lines if l["type"] == "profile"]
assert [p["step"] for p in prof] == [100, 200, 300, 400], [p["step"] for p in prof]
for p in prof:
    assert p["ranks"] == ranks and p["steps"] == 100
    phases = p["ms_per_step"]
    assert set(phases) == {"data", "compute", "allreduce", "optim", "checkpoint", "eval"}
    for name, ph in phases.items():
        assert len(ph["ranks"]) == ranks, name
        assert ph["min"] <= ph["median"] <= ph["max"], name
        assert min(ph["ranks"]) == ph["min"] and max(ph["ranks"]) == ph["max"], name
    assert phases["compute"]["min"] > 0, "compute time not measured"
print("profile lines ok:", len(prof))
PYEOF
mpi_train "$ranks" --data "$WORK/text.txt" --hidden 32 --batch 8 --seq 16 --steps 1000000 \
    --log-every 1 --save-every 0 --eval-every 0 --save-minutes 0.004 --keep 1000 \
    --max-minutes 0.05 --threads 1 --out "$WORK/timed" >"$WORK/log" 2>&1 ||
    { cat "$WORK/log"; fail "training with --save-minutes"; }
grep -q "^--max-minutes 0.05: ending at step" "$WORK/log" || { cat "$WORK/log"; fail "the time limit did not end the run"; }
n=$(find "$WORK/timed" -name 'ckpt-*.h5' | wc -l)
# Saves come at step boundaries once 0.24 s have passed: between two, at most
# 0.24 s plus the longest step. So the run's own step times (metrics.jsonl,
# every step) say how many it must have written, however slow the machine
# (a loaded one may make only a few steps in the 3 s); at least 3 where the
# steps are short.
"$PY" - "$WORK/timed/metrics.jsonl" "$n" <<'PYEOF' || fail "--save-minutes 0.004 wrote too few checkpoints"
import json, sys
t = [r["time_s"] for r in map(json.loads, open(sys.argv[1])) if r["type"] == "train"]
longest = max(b - a for a, b in zip([0.0] + t, t))
want = max(1, int(t[-1] // (0.004 * 60 + longest)) - 1)
n = int(sys.argv[2])
print(f"{n} checkpoints in {t[-1]:.2f} s of {len(t)} steps (longest {longest:.3f} s): at least {want} due")
sys.exit(0 if n >= want else 1)
PYEOF
echo "ok: $n checkpoints from --save-minutes"
