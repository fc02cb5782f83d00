#!/bin/bash
# sweep_check.sh sweep|sbatch|plot_metrics [--no-mpi] — the scaling tools.
#   sweep         launch/sweep on CPU ranks 1,2 (1 with --no-mpi), both
#                 modes, a tiny model, a few steps, --repeat 2 (the fastest
#                 of two runs kept): DIR/scaling.csv has the
#                 expected columns and one row per mode and rank count (global
#                 batch fixed for strong, x P for weak; efficiency 1 at P = 1;
#                 positive throughput and phase times; the same loss for strong
#                 scaling at every P), the P = 1 run is shared by both modes,
#                 and DIR/scaling.png is a PNG (signature, IHDR, IEND).
#   sbatch        slurm/sweep.sbatch as a plain script inside a made-up
#                 allocation of 2 nodes x 4 tasks x 6 CPUs (fake srun and
#                 scontrol), CHARNN_SWEEP_ARGS=--dry-run: rank counts 1, 2, 4,
#                 8; srun -n P --nodes=ceil(P/4); --batch 128 for strong and
#                 128 x P for weak; --device cuda; the trainer never starts.
#   plot_metrics  tools/plot_metrics.py on a short run with validation and a
#                 resume (its clock restarts): a PNG; and on a file without
#                 eval lines; a file with no loss lines is an error.
# The plots need matplotlib in /usr/bin/python3 (python3-matplotlib; tests/run
# installs it): skipped without it.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
what=${1:?sweep, sbatch or plot_metrics}
NO_MPI=0
[ "${2:-}" = --no-mpi ] && NO_MPI=1
export CHARNN_PYTHON=$PY CHARNN_TRAIN=$TRAIN
have_matplotlib() { "$PY" -c 'import matplotlib' 2>/dev/null; }

# check_png FILE: a PNG signature, an IHDR chunk of nonzero size, an IEND chunk
check_png() {
    "$PY" - "$1" <<'PYEOF' || fail "$1 is not a valid PNG"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert len(b) > 100, f"{len(b)} bytes"
assert b[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
assert b[12:16] == b"IHDR", "no IHDR"
w, h = struct.unpack(">II", b[16:24])
assert w > 100 and h > 100, (w, h)
assert b[-8:-4] == b"IEND", "no IEND"
print(f"png ok: {w}x{h}, {len(b)} bytes")
PYEOF
}

case $what in
sweep)
    have_matplotlib || skip "no matplotlib in $PY (apt-get install python3-matplotlib)"
    ranks=1,2 dirs=6 # (P = 1, strong P = 2, weak P = 2) x 2 repetitions
    if [ "$NO_MPI" = 1 ] || ! command -v mpirun >/dev/null; then ranks=1 dirs=2; fi
    gen_text english 60000 4 "$WORK/text.txt"
    "$CHARNN_SOURCE/launch/sweep" --data "$WORK/text.txt" --ranks "$ranks" --mode both \
        --batch 8 --steps 12 --log-every 4 --repeat 2 --out "$WORK/sweep" \
        -- --hidden 16 --layers 1 --seq 16 >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "launch/sweep"; }
    cat "$WORK/log"
    grep -q 'weak P=1: global batch 8, the same run as strong P=1' "$WORK/log" ||
        fail "the P = 1 run was not shared by both modes"
    [ "$(find "$WORK/sweep/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq "$dirs" ] ||
        fail "unexpected run directories: $(ls "$WORK/sweep/runs")"
    [ -z "$(find "$WORK/sweep/runs" -name '*.h5')" ] || fail "checkpoints left behind"
    "$PY" - "$WORK/sweep/scaling.csv" "$ranks" <<'PYEOF' || fail "scaling.csv"
import csv, math, sys
cols = ("mode,ranks,threads,global_batch,batch_per_rank,seq,params,warm_steps,ms_per_step,"
        "chars_per_s,speedup,efficiency,compute_ms_median,compute_ms_max,allreduce_ms_median,"
        "allreduce_ms_max,optim_ms_median,optim_ms_max,data_ms_median,data_ms_max,loss,repeats,"
        "ms_per_step_all,run").split(",")
ranks = [int(p) for p in sys.argv[2].split(",")]
with open(sys.argv[1]) as f:
    r = csv.reader(f)
    header = next(r)
    assert header == cols, header
    rows = [dict(zip(header, line)) for line in r]
got = [(x["mode"], int(x["ranks"])) for x in rows]
want = [(m, p) for m in ("strong", "weak") for p in ranks]
assert got == want, got
loss = {}
for x in rows:
    p, g = int(x["ranks"]), int(x["global_batch"])
    assert g == (8 if x["mode"] == "strong" else 8 * p), x
    assert int(x["seq"]) == 16 and int(x["threads"]) == 1 and int(x["params"]) > 0, x
    assert int(x["warm_steps"]) == 8, x  # 12 steps, the first 4 are warm-up
    for c in ("ms_per_step", "chars_per_s", "speedup", "efficiency", "compute_ms_median"):
        v = float(x[c])
        assert math.isfinite(v) and v > 0, (c, x)
    for ph in ("compute", "allreduce", "optim", "data"):
        assert 0 <= float(x[ph + "_ms_median"]) <= float(x[ph + "_ms_max"]) + 1e-3, (ph, x)
    reps = [float(v) for v in x["ms_per_step_all"].split(";")]
    assert int(x["repeats"]) == 2 and len(reps) == 2, x
    assert abs(float(x["ms_per_step"]) - min(reps)) < 1e-3, x  # the fastest repetition
    assert x["run"] == f"runs/p{p}-b{g}-r{1 + reps.index(min(reps))}", x
    if p == 1:
        assert float(x["efficiency"]) == 1.0 and float(x["speedup"]) == 1.0, x
    assert abs(float(x["chars_per_s"]) - g * 16 * 1000 / float(x["ms_per_step"])) \
        <= 0.01 * float(x["chars_per_s"]), x  # (ms_per_step is rounded to 4 decimals)
    eff = float(x["speedup"]) / p
    assert abs(eff - float(x["efficiency"])) < 2e-3, x
    if x["mode"] == "strong":
        loss[p] = float(x["loss"])
# strong scaling: the same global batch gives the same training (float rounding)
assert max(loss.values()) - min(loss.values()) < 1e-3, loss
print("scaling.csv ok:", len(rows), "rows")
PYEOF
    check_png "$WORK/sweep/scaling.png"
    ;;
sbatch)
    mkdir -p "$WORK/bin"
    for l in srun mpirun; do
        printf '#!/bin/bash\necho "fake %s must not run: $*" >&2\nexit 99\n' "$l" >"$WORK/bin/$l"
    done
    cat >"$WORK/bin/scontrol" <<'EOF'
#!/bin/bash
[ "$1 $2" = "show hostnames" ] && printf 'node01\nnode02\n'
EOF
    chmod +x "$WORK"/bin/*
    for v in $(compgen -e | grep -E '^(SLURM_|CHARNN_SWEEP|CHARNN_LAUNCH)' || true); do unset "$v"; done
    export PATH="$WORK/bin:$PATH" SLURM_JOB_ID=777 SLURM_NTASKS=8 SLURM_NPROCS=8 \
        SLURM_NTASKS_PER_NODE=4 SLURM_TASKS_PER_NODE='4(x2)' SLURM_CPUS_PER_TASK=6 \
        SLURM_JOB_NUM_NODES=2 SLURM_NNODES=2 SLURM_JOB_NODELIST='node[01-02]' \
        SLURM_SUBMIT_DIR=$WORK
    export CHARNN_DATA="$WORK/text.txt" CHARNN_CONFIG="$CHARNN_SOURCE/configs/bible.ini" \
        CHARNN_SWEEP_OUT="$WORK/sweep" CHARNN_SWEEP_ARGS=--dry-run CHARNN_TRAIN="$WORK/bin/none"
    (cd "$WORK" && bash "$CHARNN_SOURCE/slurm/sweep.sbatch") >"$WORK/log" 2>&1 ||
        { cat "$WORK/log"; fail "slurm/sweep.sbatch --dry-run"; }
    cat "$WORK/log"
    grep -q '^sweep: ranks 1 2 4 8, mode both' "$WORK/log" || fail "rank counts 1 2 4 8 expected"
    mapfile -t cmds < <(sed -n 's/^  command  *//p' "$WORK/log")
    [ "${#cmds[@]}" -eq 7 ] || fail "expected 7 runs (P = 1 shared), got ${#cmds[@]}"
    i=0
    for mode in strong weak; do
        for p in 1 2 4 8; do
            [ "$mode/$p" != weak/1 ] || continue
            c=${cmds[i]}
            i=$((i + 1))
            nodes=$(((p + 3) / 4))
            if [ "$mode" = strong ]; then g=128; else g=$((128 * p)); fi
            [[ $c == "srun -n $p --kill-on-bad-exit=1 --cpus-per-task=6 --cpu-bind=cores --nodes=$nodes "* ]] ||
                fail "$mode P=$p: $c"
            for w in "--batch $g " "--device cuda" "--profile" "--log-every 20" "--steps 200" \
                "--config $CHARNN_CONFIG" "--out $WORK/sweep/runs/p$p-b$g"; do
                [[ "$c " == *"$w"* ]] || fail "$mode P=$p: no '$w' in: $c"
            done
        done
    done
    [ ! -e "$WORK/sweep" ] || fail "a dry run wrote $WORK/sweep"
    echo "ok: slurm/sweep.sbatch runs launch/sweep over 1, 2, 4, 8 ranks"
    ;;
plot_metrics)
    have_matplotlib || skip "no matplotlib in $PY (apt-get install python3-matplotlib)"
    PLOT=("$PY" "$CHARNN_SOURCE/tools/plot_metrics.py")
    gen_text english 40000 6 "$WORK/text.txt"
    common=(--data "$WORK/text.txt" --hidden 16 --layers 1 --batch 4 --seq 16 --threads 1
        --log-every 5 --eval-every 10 --save-every 20 --out "$WORK/run")
    "$TRAIN" "${common[@]}" --steps 20 >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "training"; }
    "$TRAIN" "${common[@]}" --steps 40 --resume auto >>"$WORK/log" 2>&1 ||
        { cat "$WORK/log"; fail "resumed training"; }
    m="$WORK/run/metrics.jsonl"
    if [ "$(grep -c '"type":"train"' "$m")" -ne 8 ] || [ "$(grep -c '"type":"eval"' "$m")" -ne 4 ]; then
        cat "$m"
        fail "unexpected metrics lines"
    fi
    "${PLOT[@]}" "$m" -o "$WORK/loss.png" || fail "plot_metrics.py"
    check_png "$WORK/loss.png"
    grep '"type":"train"' "$m" >"$WORK/train-only.jsonl"
    "${PLOT[@]}" "$WORK/train-only.jsonl" "$m" --smooth 3 -o "$WORK/two.png" ||
        fail "plot_metrics.py, two files, no eval lines in one"
    check_png "$WORK/two.png"
    echo '{"type":"profile","step":5}' >"$WORK/none.jsonl"
    if "${PLOT[@]}" "$WORK/none.jsonl" -o "$WORK/none.png" 2>"$WORK/err"; then
        fail "plot_metrics.py drew a file without loss lines"
    fi
    grep -q 'no train or eval lines' "$WORK/err" || { cat "$WORK/err"; fail "error message"; }
    echo "ok: plot_metrics.py"
    ;;
*) fail "unknown check $what" ;;
esac
