#!/bin/bash
# profile_check.sh — --profile writes per-rank phase timings with
# min/median/max across ranks; --save-minutes checkpoints on wall time, in a
# run that --max-minutes holds to about 3 s of wall time however fast the
# machine is (a fixed number of steps can end before a few saves are due).
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
    --log-every 1000 --save-every 0 --eval-every 0 --save-minutes 0.004 --keep 1000 \
    --max-minutes 0.05 --threads 1 --out "$WORK/timed" >"$WORK/log" 2>&1 ||
    { cat "$WORK/log"; fail "training with --save-minutes"; }
grep -q "^--max-minutes 0.05: ending at step" "$WORK/log" || { cat "$WORK/log"; fail "the time limit did not end the run"; }
n=$(find "$WORK/timed" -name 'ckpt-*.h5' | wc -l)
[ "$n" -ge 3 ] || fail "--save-minutes 0.004 wrote only $n checkpoint(s) in a run of about 3 s"
echo "ok: $n checkpoints from --save-minutes"
