#!/bin/bash
# tests/slurm/two_nodes.sh CASE [--no-mpi] — two Slurm nodes on one machine:
# network namespaces A and B, each with its own hostname (a, b) and address
# (10.213.0.1, .2) on a veth pair, a slurmd in each, slurmctld in A
# (tests/slurm/cluster.sh). slurm/cpu.sbatch runs 2 nodes x 2 tasks; Open
# MPI's ranks on different nodes talk over TCP (OMPI_MCA_pml=ob1,
# OMPI_MCA_btl=self,vader,tcp, TCP limited to 10.213.0.0/24: the veth pair).
#   equiv  the 2 x 2 job: launch/charnn's layout says 2 hosts, the trainer
#          sees 2 ranks on its node (MPI_COMM_TYPE_SHARED: node-local rank);
#          its step-20 weights are within 1e-5 of a 1-rank run's. Time per
#          step (steps 100..STEPS) of that job and of a 1-node x 4-task job
#          printed (TCP between nodes vs shared memory on one host).
#   link   the veth pair taken down mid-run (the job has steps it will never
#          make: only the cut ends it, on any machine): the job ends (Slurm
#          marks node b down after SlurmdTimeout and ends the job NODE_FAIL)
#          within 90 s, no hang; then a 1-node job resumes from the newest
#          checkpoint (--resume auto) and trains 100 steps more.
# Skips (77) where the namespaces or the cluster cannot be set up.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
. "$CHARNN_SOURCE/tests/slurm/cluster.sh"
CASE=${1:?CASE}
[ "${2:-}" != --no-mpi ] || skip "built without MPI: the Slurm jobs run several ranks"
H5CMP=("$PY" "$CHARNN_SOURCE/tests/e2e/h5compare.py")

gen_text english 30000 8 "$WORK/text.txt"
# model STEPS SAVE_EVERY: the options of every run, into MODEL_ARGS
model() {
    MODEL_ARGS="--hidden 32 --layers 1 --batch 8 --seq 16 --dropout 0.3 --steps $1 --save-every $2"
    MODEL_ARGS+=" --keep 20 --eval-every 0 --log-every 20"
}
unset CHARNN_ROOT CHARNN_REQUEUE CHARNN_MAX_REQUEUES CHARNN_LAUNCHER_ARGS
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=10.213.0.0/24 \
    OMPI_MCA_mpi_yield_when_idle=1 \
    OMPI_MCA_oob_tcp_if_include=10.213.0.0/24

submit() { slurm_submit_cpu "$@"; }
completed() { slurm_job_done "$@"; }

# ms_per_step METRICS FROM: mean wall time of a step after step FROM
ms_per_step() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t = [(r["step"], r["time_s"]) for r in recs if r.get("type") == "train" and r["step"] >= int(sys.argv[2])]
(s0, t0), (s1, t1) = t[0], t[-1]
print(f"{1000 * (t1 - t0) / (s1 - s0):.2f}")
EOF
}

slurm_cluster_start_netns
t0=$SECONDS

case_equiv() {
    local steps=300 id one
    model $steps 20
    id=$(submit two --nodes=2 --ntasks-per-node=2)
    completed "$id" two
    cat "$WORK/two.out"
    local out="$WORK/two.out"
    grep -Eq '^  hosts +a,b$' "$out" || fail "launch/charnn: hosts not a,b"
    grep -Eq '^  ranks +4 \(2 per host, 2 hosts\)$' "$out" || fail "launch/charnn: not 4 ranks, 2 per host"
    grep -Eq '^  command +srun -n 4 --kill-on-bad-exit=1 --cpus-per-task=1 --mpi=pmix ' "$out" ||
        fail "not srun -n 4 ... --mpi=pmix"
    grep -q "| 4 rank(s) (2 on this node)" "$out" || fail "the trainer did not see 2 ranks on its node"
    [ "$(sl scontrol show hostnames "$(slurm_job_field "$id" NodeList)" | paste -sd, -)" = a,b ] ||
        fail "job $id not on nodes a and b"
    # the reference: 1 rank, the same options, outside Slurm
    local -a opts
    read -r -a opts <<<"$MODEL_ARGS"
    "$TRAIN" "${opts[@]}" --data "$WORK/text.txt" --out "$WORK/one" --device cpu \
        --threads 1 --steps 20 >"$WORK/one.log" 2>&1 || { cat "$WORK/one.log"; fail "the 1-rank run"; }
    "${H5CMP[@]}" --atol 1e-5 --group /model "$WORK/one/ckpt-00000020.h5" "$WORK/two/ckpt-00000020.h5" ||
        fail "2 nodes x 2 ranks: weights at step 20 not within 1e-5 of 1 rank"
    echo "ok: 2 nodes x 2 ranks over TCP: step-20 weights within 1e-5 of 1 rank ($((SECONDS - t0)) s)"
    one=$(submit onehost --nodes=1 --ntasks=4 --ntasks-per-node=4 -w a)
    completed "$one" onehost
    grep -q "| 4 rank(s) (4 on this node)" "$WORK/onehost.out" || { cat "$WORK/onehost.out"; fail "1-node job: not 4 ranks on the node"; }
    local tcp shm
    tcp=$(ms_per_step "$WORK/two/metrics.jsonl" 100)
    shm=$(ms_per_step "$WORK/onehost/metrics.jsonl" 100)
    echo "time per step (4 ranks, steps 100..$steps): 2 nodes x 2 over TCP $tcp ms, 1 node x 4 (shared memory) $shm ms"
}

case_link() {
    local id
    # the cut job has steps it will never make: only the cut ends it
    model 1000000 100
    id=$(submit cut --nodes=2 --ntasks-per-node=2 --no-requeue)
    wait_until 300 "job $id: a checkpoint at step 200" "slurm_job_active $id" \
        test -e "$WORK/cut/ckpt-00000200.h5" || { cat "$WORK/cut.out"; fail "no checkpoint at step 200"; }
    slurm_wait_job "$id" RUNNING 1 || fail "the job ended before the link was cut"
    local t1=$SECONDS
    slurm_link down
    echo "link a-b down at step >= 200"
    slurm_wait_job "$id" "NODE_FAIL|FAILED|CANCELLED|TIMEOUT" 90 ||
        { cat "$WORK/cut.out"; fail "job $id still not over 90 s after the link went down"; }
    local took=$((SECONDS - t1)) state
    state=$(slurm_job_field "$id" JobState)
    # the link back: slurmd b hears of the job's end and kills its ranks
    # (they would wait in TCP for many minutes, spinning)
    slurm_link up
    cat "$WORK/cut.out"
    sl sinfo -N || true
    [ "$state" = NODE_FAIL ] || fail "job $id ended $state, expected NODE_FAIL"
    grep -q "DUE TO NODE FAILURE" "$WORK/cut.out" || fail "the job's output does not say why it ended"
    echo "ok: link cut: job $id ended NODE_FAIL after ${took} s ($((SECONDS - t0)) s)"
    local newest at resumed
    newest=$(readlink "$WORK/cut/latest.h5")
    at=$((10#$(sed 's/^ckpt-\([0-9]*\)\.h5$/\1/' <<<"$newest")))
    # resumed on node a alone, to 100 steps past the newest checkpoint
    model $((at + 100)) 100
    resumed=$(submit cut --nodes=1 --ntasks-per-node=2 -w a)
    completed "$resumed" cut 180
    grep -q "resumed from $WORK/cut/$newest at step $at\$" "$WORK/cut.out" ||
        { cat "$WORK/cut.out"; fail "the 1-node job did not resume from $newest"; }
    grep -q "| 2 rank(s) (2 on this node)" "$WORK/cut.out" || fail "the resumed job: not 2 ranks on one node"
    grep -q "^done: step $((at + 100))" "$WORK/cut.out" || fail "the resumed job did not train to step $((at + 100))"
    echo "ok: resumed from $newest (step $at) on node a alone and finished at step $((at + 100)) ($((SECONDS - t0)) s)"
}

dispatch_cases "$CASE"
