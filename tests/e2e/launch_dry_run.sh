#!/bin/bash
# launch_dry_run.sh mpirun|srun — launch/charnn's layout and command.
#   mpirun  no Slurm job: a machine of 8 cores on 2 sockets
#           (CHARNN_LAUNCH_CORES/SOCKETS) with 2 GPUs (a fake nvidia-smi);
#           -n 2 --dry-run binds 4 cores per rank (--map-by socket:PE=4
#           --bind-to core), passes NCCL_*/CHARNN_*/OMP_* with -x and adds
#           --threads 4; uneven splits fall back to --bind-to none; a
#           --threads of the user's (or in --config) is kept; without
#           --dry-run the printed command is exactly what runs (a fake mpirun
#           echoes its arguments) and its exit status 75 comes back.
#   srun    inside a Slurm job of 2 nodes x 4 tasks x 6 CPUs (fake srun and
#           scontrol): srun -n 8 --kill-on-bad-exit=1 --cpus-per-task=6 --cpu-bind=cores, hosts
#           from scontrol show hostnames, --threads 6, status 75 passed back;
#           from the site's `scontrol show config`: no --cpu-bind with
#           TaskPlugin=task/none, --mpi=pmix (or pmi2) when MpiDefault=none.
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
LAUNCH="$CHARNN_SOURCE/launch/charnn"
mode=${1:?mpirun or srun}

mkdir -p "$WORK/bin"
cat >"$WORK/bin/nvidia-smi" <<'EOF'
#!/bin/bash
[ "$1" = -L ] || exit 1
echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-000000000000)"
echo "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-11111111-1111-1111-1111-111111111111)"
EOF
# a stand-in trainer: the dry runs must not start it
cat >"$WORK/bin/fake-train" <<EOF
#!/bin/bash
touch "$WORK/trainer-ran"
EOF
# a launcher that shows the command it was given, quoted as launch/charnn
# quotes it, and fails as a preempted trainer does
for l in mpirun srun; do
    cat >"$WORK/bin/$l" <<'EOF'
#!/bin/bash
# srun --mpi=list: the plugins in $FAKE_MPI_LIST
[ "$1" != --mpi=list ] || { printf 'MPI plugin types are...\n\t%s\n' ${FAKE_MPI_LIST:-}; exit 0; }
out="$(basename "$0")"
for a in "$@"; do out+=" $(printf '%q' "$a")"; done
printf 'RAN: %s\n' "$out"
exit 75
EOF
done
cat >"$WORK/bin/scontrol" <<'EOF'
#!/bin/bash
[ "$1 $2" = "show hostnames" ] && [ "$3" = "node[01-02]" ] && printf 'node01\nnode02\n'
# show config: the lines of $FAKE_SLURM_CONFIG (unset: fails, as without a controller)
[ "$1 $2" = "show config" ] && [ -n "${FAKE_SLURM_CONFIG:-}" ] && printf '%b\n' "$FAKE_SLURM_CONFIG"
EOF
chmod +x "$WORK"/bin/*
export PATH="$WORK/bin:$PATH" CHARNN_TRAIN="$WORK/bin/fake-train"
for v in $(compgen -e | grep -E '^(SLURM_|NCCL_|CHARNN_LAUNCH|OMP_)' || true); do unset "$v"; done
export NCCL_DEBUG=INFO CHARNN_TEST_VAR=1

# expect FILE PATTERN... : each (extended regex) matches some line
expect() {
    local f=$1 p
    shift
    for p in "$@"; do
        grep -Eq -- "$p" "$f" || { cat "$f"; fail "no line matches: $p"; }
    done
}
# the command line printed in the layout
printed() { sed -n 's/^  command  *//p' "$1"; }

if [ "$mode" = mpirun ]; then
    export CHARNN_LAUNCH_CORES=8 CHARNN_LAUNCH_SOCKETS=2
    "$LAUNCH" -n 2 --dry-run -- --data in.txt --out "runs/a b" >"$WORK/a.out"
    cat "$WORK/a.out"
    expect "$WORK/a.out" '^launch/charnn: layout$' \
        '^  launcher +mpirun$' \
        "^  hosts +$(hostname)\$" \
        '^  ranks +2 \(2 per host, 1 host\)$' \
        '^  GPUs per host +2 \(2 x NVIDIA H100 80GB HBM3\)$' \
        '^  cores per rank +4 of 8 cores \(2 sockets\)$' \
        '^  binding +--map-by socket:PE=4 --bind-to core$' \
        '^  threads +4 per rank \(OMP_NUM_THREADS=4, --threads 4\)$' \
        '^  env set +OMP_NUM_THREADS=4 OMP_PROC_BIND=close OMP_PLACES=cores'
    cmd=$(printed "$WORK/a.out")
    for x in NCCL_DEBUG CHARNN_TEST_VAR OMP_NUM_THREADS OMP_PROC_BIND OMP_PLACES; do
        [[ " $cmd " == *" -x $x "* ]] || fail "command lacks -x $x: $cmd"
    done
    [[ $cmd == "mpirun -np 2 --map-by socket:PE=4 --bind-to core -x "* ]] || fail "command: $cmd"
    [[ $cmd == *" $WORK/bin/fake-train --data in.txt --out runs/a\\ b --threads 4" ]] || fail "command: $cmd"
    [ ! -e "$WORK/trainer-ran" ] || fail "--dry-run ran the trainer"

    # uneven split: no binding, floor(cores / ranks) threads
    "$LAUNCH" -n 3 --dry-run -- --data in.txt >"$WORK/b.out"
    expect "$WORK/b.out" '^  binding +--bind-to none ' '^  cores per rank +2 of 8 cores' \
        '^  command +mpirun -np 3 --bind-to none -x .*--data in.txt --threads 2$'
    # 1 rank on 2 sockets: no binding, every core
    "$LAUNCH" -n 1 --dry-run -- --data in.txt >"$WORK/c.out"
    expect "$WORK/c.out" '^  binding +--bind-to none ' '--data in.txt --threads 8$'
    # more ranks than cores: oversubscribed, 1 thread each
    "$LAUNCH" -n 16 --dry-run -- --data in.txt >"$WORK/d.out"
    expect "$WORK/d.out" '^  command +mpirun -np 16 --bind-to none --oversubscribe ' '--threads 1$'
    # the user's --threads (or a config's threads key) wins
    "$LAUNCH" -n 2 --dry-run -- --data in.txt --threads=3 >"$WORK/e.out"
    expect "$WORK/e.out" '^  threads +as given' '--data in.txt --threads=3$'
    printf 'hidden = 32\nthreads = 5\n' >"$WORK/t.ini"
    "$LAUNCH" -n 2 --dry-run -- --config "$WORK/t.ini" >"$WORK/f.out"
    expect "$WORK/f.out" "--config $WORK/t.ini\$"

    # for real: the printed command is what runs; status 75 comes back
    rc=0
    "$LAUNCH" -n 2 -- --data in.txt >"$WORK/g.out" || rc=$?
    cat "$WORK/g.out"
    [ "$rc" -eq 75 ] || fail "exit status $rc, expected the launcher's 75"
    [ "$(sed -n 's/^RAN: //p' "$WORK/g.out")" = "$(printed "$WORK/g.out")" ] ||
        fail "the command run differs from the one printed"
    # no launcher at all: one rank runs the trainer itself, more is an error
    mkdir -p "$WORK/nolauncher"
    for t in bash env hostname uname id sed grep awk sort uniq head paste cat nproc lscpu dirname ldd; do
        p=$(command -v "$t" || true)
        [ -z "$p" ] || ln -sf "$p" "$WORK/nolauncher/$t"
    done
    PATH="$WORK/nolauncher" "$LAUNCH" -n 1 --dry-run -- --data in.txt >"$WORK/h.out"
    expect "$WORK/h.out" '^  launcher +none$' '^  GPUs per host +none$' \
        "^  command +$WORK/bin/fake-train --data in.txt --threads 8\$"
    rc=0
    PATH="$WORK/nolauncher" "$LAUNCH" -n 2 --dry-run -- --data in.txt >"$WORK/i.out" 2>&1 || rc=$?
    if [ "$rc" -ne 1 ] || ! grep -q "need srun .* or mpirun" "$WORK/i.out"; then
        cat "$WORK/i.out"
        fail "2 ranks without a launcher: exit status $rc, expected 1 and an error"
    fi
    echo "ok: mpirun layouts"
else
    export SLURM_JOB_ID=99 SLURM_NTASKS=8 SLURM_JOB_NUM_NODES=2 SLURM_CPUS_PER_TASK=6 \
        SLURM_JOB_NODELIST="node[01-02]"
    "$LAUNCH" --dry-run -- --data in.txt >"$WORK/a.out"
    cat "$WORK/a.out"
    expect "$WORK/a.out" '^  launcher +srun$' \
        '^  hosts +node01,node02$' \
        '^  ranks +8 \(4 per host, 2 hosts\)$' \
        '^  GPUs per host +2 \(2 x NVIDIA H100 80GB HBM3\) \(on ' \
        '^  cores per rank +6 \(SLURM_CPUS_PER_TASK\)$' \
        '^  binding +--cpus-per-task=6 --cpu-bind=cores$' \
        "^  command +srun -n 8 --kill-on-bad-exit=1 --cpus-per-task=6 --cpu-bind=cores $WORK/bin/fake-train --data in.txt --threads 6\$"
    [ ! -e "$WORK/trainer-ran" ] || fail "--dry-run ran the trainer"
    # without SLURM_CPUS_PER_TASK: the node's CPUs over its ranks
    SLURM_CPUS_PER_TASK="" SLURM_CPUS_ON_NODE=64 "$LAUNCH" -n 4 --dry-run -- --data in.txt >"$WORK/b.out"
    expect "$WORK/b.out" '^  ranks +4 \(2 per host, 2 hosts\)$' '^  cores per rank +32 \(64 CPUs' \
        '^  command +srun -n 4 --kill-on-bad-exit=1 --cpus-per-task=32 --cpu-bind=cores .* --threads 32$'
    rc=0
    "$LAUNCH" -- --data in.txt >"$WORK/c.out" || rc=$?
    cat "$WORK/c.out"
    [ "$rc" -eq 75 ] || fail "exit status $rc, expected the launcher's 75"
    [ "$(sed -n 's/^RAN: //p' "$WORK/c.out")" = "$(printed "$WORK/c.out")" ] ||
        fail "the command run differs from the one printed"
    # the site's config: --cpu-bind only with a binding task plugin, --mpi
    # when MpiDefault is none (pmix, else pmi2, from srun --mpi=list)
    FAKE_SLURM_CONFIG="MpiDefault              = none\nTaskPlugin              = task/none" \
        FAKE_MPI_LIST="none pmi2 pmix" "$LAUNCH" --dry-run -- --data in.txt >"$WORK/d.out"
    expect "$WORK/d.out" '^  binding +--cpus-per-task=6, not bound: .*MpiDefault=none, TaskPlugin=task/none' \
        '^  command +srun -n 8 --kill-on-bad-exit=1 --cpus-per-task=6 --mpi=pmix .*/fake-train '
    if grep -q OMP_PROC_BIND "$WORK/d.out"; then fail "OMP_PROC_BIND set for unbound ranks"; fi
    FAKE_SLURM_CONFIG="MpiDefault              = none\nTaskPlugin              = task/affinity,task/cgroup" \
        FAKE_MPI_LIST="none pmi2" "$LAUNCH" --dry-run -- --data in.txt >"$WORK/e.out"
    expect "$WORK/e.out" '^  command +srun -n 8 --kill-on-bad-exit=1 --cpus-per-task=6 --cpu-bind=cores --mpi=pmi2 '
    FAKE_SLURM_CONFIG="MpiDefault              = pmix\nTaskPlugin              = task/affinity" \
        FAKE_MPI_LIST="none pmix" "$LAUNCH" --dry-run -- --data in.txt >"$WORK/f.out"
    expect "$WORK/f.out" '^  command +srun -n 8 --kill-on-bad-exit=1 --cpus-per-task=6 --cpu-bind=cores .*/fake-train '
    if grep -q -- --mpi= "$WORK/f.out"; then fail "--mpi added where MpiDefault=pmix"; fi
    echo "ok: srun layouts"
fi
