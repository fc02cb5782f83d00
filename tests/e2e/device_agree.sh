#!/bin/bash
# device_agree.sh CASE — the ranks' collective agreement on the device kind
# and on NCCL (src/device_agree.h) under `mpirun -np 3`, on a machine
# without GPUs: the test-only CHARNN_FAKE_GPUS (src/gpu_fake.h) fakes each
# rank's GPUs and their UUIDs, and rank 0 prints the plan ("gpu, NCCL", "gpu,
# host MPI"); the training itself runs on the CPU. devices.cmake registers
# each case_<name> as the ctest device.<name>.
#   bash device_agree.sh --list     prints the cases
# Options: --no-mpi (the build has no MPI: every case skips).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

# agree NAME SPEC WANT_STATUS [ARGS...]: 3 ranks under CHARNN_FAKE_GPUS=SPEC
# into $WORK/NAME.{log,err}; the status must be WANT_STATUS, within 120 s
# (a rank left waiting in a collective would hang until the timeout).
agree() {
    local name=$1 spec=$2 want=$3 rc=0
    shift 3
    [ "$NO_MPI" = 0 ] || skip "built without MPI (the agreement needs several ranks)"
    command -v mpirun >/dev/null || skip "mpirun not found"
    [ -f "$WORK/t.txt" ] || gen_text english 20000 3 "$WORK/t.txt"
    CHARNN_FAKE_GPUS=$spec timeout 120 mpirun -np 3 --oversubscribe --bind-to none \
        -x CHARNN_FAKE_GPUS "$TRAIN" --data "$WORK/t.txt" --out "$WORK/$name" --steps 2 \
        --hidden 8 --layers 1 --batch 3 --seq 10 --threads 1 --save-every 0 --eval-every 0 \
        "$@" >"$WORK/$name.log" 2>"$WORK/$name.err" || rc=$?
    if [ "$want" = 0 ] && [ "$rc" != 0 ] || [ "$want" != 0 ] && { [ "$rc" = 0 ] || [ "$rc" = 124 ]; }; then
        cat "$WORK/$name.log" "$WORK/$name.err"
        fail "$name: exit status $rc, expected $want"
    fi
}

has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' not in $1"; }; }
hasnt() { ! grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' in $1"; }; }

# three GPUs on the node, each rank on its own (local rank mod count)
case_gpus_per_node() {
    agree a 'g0,g1,g2/g0,g1,g2/g0,g1,g2' 0
    has "$WORK/a.log" "CHARNN_FAKE_GPUS: 3 rank(s), gpu, NCCL"
    hasnt "$WORK/a.err" "same GPU"
}

# Slurm --gpus-per-task=1 / --gpu-bind: each rank sees one GPU (device 0),
# but they are different GPUs: NCCL, and no "sharing" warning
case_gpus_per_task() {
    agree b 'g0/g1/g2' 0
    has "$WORK/b.log" "CHARNN_FAKE_GPUS: 3 rank(s), gpu, NCCL"
    hasnt "$WORK/b.err" "same GPU"
}

# two ranks on one GPU: the host MPI all-reduce, with a warning naming them
case_shared_gpu() {
    agree c 'g0,g1/g0,g1/g0,g1' 0
    has "$WORK/c.log" "CHARNN_FAKE_GPUS: 3 rank(s), gpu, host MPI"
    has "$WORK/c.err" "local ranks 0 and 2 of rank 0's node use the same GPU"
}

# rank 2 sees no GPU under --device auto: one clear error on every rank's
# behalf (printed once), no hang, no NCCL call
case_mixed_cpu_gpu() {
    agree d 'g0,g1/g0,g1/-' 1
    has "$WORK/d.err" "charnn-train: error: ranks disagree on the device: rank 2 has no usable GPU"
    [ "$(grep -c 'error:' "$WORK/d.err")" = 1 ] || { cat "$WORK/d.err"; fail "not one error line"; }
}

# --device cpu: every rank on the CPU whatever GPUs they see
case_device_cpu() {
    agree e 'g0/g1/-' 0 --device cpu
    has "$WORK/e.log" "CHARNN_FAKE_GPUS: 3 rank(s), cpu"
}

case_bad_spec() {
    agree f 'g0/g1' 1
    has "$WORK/f.err" "charnn-train: error: CHARNN_FAKE_GPUS: 2 entries for 3 ranks"
    agree g 'g0/g1/0123456789abcdefX' 1
    has "$WORK/g.err" "charnn-train: error: CHARNN_FAKE_GPUS: a UUID is longer than 16"
}

# ---- main ----

dispatch_cases "$@"
