# tests/slurm/cluster.sh — a private Slurm cluster for the tests (source it
# after tests/e2e/lib.sh; bash, root). Nothing outside $WORK is written
# (but the namespaces' /run/netns entries, removed at the end): its own munge
# key and munged socket, its own slurm.conf (SLURM_CONF points the client
# commands at it), state, spool and logs, all under $WORK/slurm. Its job ids
# start at 10 x this shell's PID + 1, so that clusters of tests running side
# by side never share one (Open MPI names shared-memory files after them).
#
#   slurm_cluster_start            one node (NAME c<pid>, 127.0.0.1, free ports)
#                                  beside the controller, in this host's network
#   slurm_cluster_start_netns      two hosts: network namespaces A and B, each
#                                  with its own hostname (a UTS namespace) and
#                                  a private address on a veth pair between
#                                  them (10.213.0.1 and .2), its own TmpFS (a
#                                  mount namespace); the controller and
#                                  node "a" in A, node "b" in B (4 CPUs each,
#                                  SlurmdTimeout=10: a lost node is down in
#                                  10-20 s)
#   sl CMD ARGS...                 a Slurm client command (sbatch, scontrol,
#                                  scancel, srun, ...) for this cluster, with
#                                  a 30 s limit; in A for the netns cluster
#   slurm_wait_job ID STATE SECS   waits until job ID is in STATE (a regex)
#   slurm_job_field ID FIELD       one field of `scontrol show job ID`
#   slurm_job_active ID            job ID is queued or running (for lib.sh's
#                                  waits: wait_step LOG STEP "slurm_job_active ID")
#   slurm_link up|down             the veth pair between A and B (netns only)
#   slurm_wait_requeued ID         until job ID, requeued, runs again by itself
#                                  (this cluster holds a requeued job 10 s,
#                                  AuthInfo cred_expire, not Slurm's 120)
#   slurm_submit_cpu NAME [OPT...] sbatch slurm/cpu.sbatch (from the repository
#                                  root, 1 CPU per task, $MODEL_ARGS as its
#                                  CHARNN_EXTRA_ARGS, data $WORK/text.txt, run
#                                  directory $WORK/NAME, output $WORK/NAME.out,
#                                  sbatch options OPT); prints the job id
#   slurm_job_done ID NAME [SECS]  fails unless job ID ends COMPLETED and its
#                                  output says "run finished"
#
# Every exit path (the EXIT trap, set here) cancels the jobs, stops the
# daemons and every process they started (found by a marker variable in
# their environment, stopped by PID), deletes the namespaces and the veth
# pair, then removes $WORK. Where the cluster cannot start (no slurm-wlm or
# munge, not root, no cgroup file system for slurmd, no network namespaces,
# a daemon that does not come up) the test skips (exit 77) saying why, with
# the daemon's log; under CI (CI=true) it fails instead (slurm_unavailable).
# shellcheck shell=bash

SLURM_DIR="$WORK/slurm"
SLURM_REQUEUE_HOLD=10 # s a requeued job is held (AuthInfo cred_expire)
# the marker in the environment of every process the cluster starts
SLURM_MARK="CHARNN_TEST_CLUSTER=$SLURM_DIR"
SLURM_NS=() # the namespaces created, for the cleanup
SLURM_PIDS=() # the daemons started
SLURM_CLIENT_NS="" # where the client commands run ("" = here)
export SLURM_CONF="$SLURM_DIR/etc/slurm.conf"
unset SLURM_JOB_ID SLURM_JOBID SLURM_NTASKS SLURM_NPROCS SLURM_CPUS_PER_TASK SLURM_JOB_NODELIST

slurm_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ -s "$SLURM_CONF" ]; then
        sl scancel --quiet --partition=test >/dev/null 2>&1
        # TERM first (the daemons save their state), then KILL what is left
        # (ranks stuck in MPI on a node cut off)
        slurm_stop_marked TERM 3
        slurm_stop_marked KILL 5
    fi
    local ns
    for ns in "${SLURM_NS[@]}"; do ip netns delete "$ns" 2>/dev/null; done
    rm -rf "$WORK"
    exit "$rc"
}
trap slurm_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The PIDs of the processes that carry the marker (never this shell).
slurm_marked_pids() {
    grep -lzxF -- "$SLURM_MARK" /proc/[0-9]*/environ 2>/dev/null |
        sed 's|^/proc/\([0-9]*\)/environ$|\1|' | grep -vx -e "$$" -e "$BASHPID" || true
}

# slurm_stop_marked SIGNAL SECS: sends SIGNAL to each marked process, then
# waits up to SECS for them all to be gone.
slurm_stop_marked() {
    local -a pids
    local end=$((SECONDS + $2))
    mapfile -t pids < <(slurm_marked_pids)
    [ "${#pids[@]}" -gt 0 ] || return 0
    kill -s "$1" "${pids[@]}" 2>/dev/null
    while [ "$SECONDS" -lt "$end" ]; do
        mapfile -t pids < <(slurm_marked_pids)
        [ "${#pids[@]}" -gt 0 ] || return 0
        sleep 0.2
    done
}

sl() {
    local -a pre=()
    [ -z "$SLURM_CLIENT_NS" ] || pre=(nsenter --net="/run/netns/$SLURM_CLIENT_NS")
    env "$SLURM_MARK" timeout 30 "${pre[@]}" "$@"
}

# slurm_unavailable REASON: the cluster cannot start on this machine: a skip
# (exit 77), but under CI (CI=true) a failure: CI's machines have what the
# cluster needs (tests/run installs it), so a cluster that does not start
# there is a fault to see, not a test to leave out.
slurm_unavailable() {
    [ "${CI:-}" != true ] || fail "the private Slurm cluster cannot start (CI=true: a failure, not a skip): $*"
    skip "$*"
}

# slurm_skip REASON: slurm_unavailable, after the daemons' logs
slurm_skip() {
    local f
    for f in "$SLURM_DIR"/log/*.log "$SLURM_DIR"/log/*.out; do
        [ -s "$f" ] || continue
        echo "--- $f (tail)"
        tail -n 15 "$f"
    done
    slurm_unavailable "$*"
}

slurm_free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# What the cluster needs, or a skip.
slurm_check_prereqs() {
    local c
    for c in munged slurmctld slurmd sbatch srun scontrol scancel; do
        command -v "$c" >/dev/null 2>&1 ||
            slurm_unavailable "no $c (Debian packages slurm-wlm and munge; tests/run installs them)"
    done
    [ "$(id -u)" -eq 0 ] || slurm_unavailable "the private Slurm cluster runs its daemons as root; not root"
    # slurmd (22.05) will not start without it, whatever the plugins
    if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
        slurm_unavailable "no cgroup file system at /sys/fs/cgroup: slurmd cannot start"
    fi
    command -v mpirun >/dev/null 2>&1 || slurm_unavailable "no mpirun (Open MPI)"
}

# slurm_write_conf CTLNAME CTLADDR CTLPORT NODELINE...: slurm.conf and the
# munge key. MpiDefault and TaskPlugin are Slurm's defaults (none, none).
slurm_write_conf() {
    local ctl_name=$1 ctl_addr=$2 ctl_port=$3
    shift 3
    mkdir -p "$SLURM_DIR"/{etc,munge,ctld,spool,log,tmp}
    chmod 700 "$SLURM_DIR/munge"
    dd if=/dev/urandom of="$SLURM_DIR/etc/munge.key" bs=1024 count=1 status=none
    chmod 400 "$SLURM_DIR/etc/munge.key"
    {
        echo "ClusterName=charnntest"
        # job ids of their own: Open MPI names its shared-memory files after
        # the host and the job, and the clusters of tests running side by
        # side have the same host names
        echo "FirstJobId=$(($$ * 10 + 1))"
        echo "SlurmctldHost=$ctl_name($ctl_addr)"
        echo "SlurmctldPort=$ctl_port"
        echo "SlurmUser=root"
        echo "SlurmdUser=root"
        echo "AuthType=auth/munge"
        echo "CredType=cred/munge"
        # cred_expire: how long a requeued job is held (Reason=BeginTime)
        # before it may start again, so that its old run's credentials are
        # gone; Slurm's 120 s would make every requeue test wait two minutes.
        # sched_interval: the main scheduling loop, which starts a job whose
        # hold has ended, every 2 s instead of every 60
        echo "AuthInfo=socket=$SLURM_DIR/munge/munge.socket,cred_expire=$SLURM_REQUEUE_HOLD"
        echo "SchedulerParameters=sched_interval=2"
        echo "StateSaveLocation=$SLURM_DIR/ctld"
        echo "SlurmdSpoolDir=$SLURM_DIR/spool/%n"
        echo "SlurmctldPidFile=$SLURM_DIR/slurmctld.pid"
        echo "SlurmdPidFile=$SLURM_DIR/slurmd-%n.pid"
        echo "SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log"
        echo "SlurmdLogFile=$SLURM_DIR/log/slurmd-%n.log"
        echo "SlurmctldDebug=info"
        echo "SlurmdDebug=info"
        echo "TmpFS=$SLURM_DIR/tmp"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "SwitchType=switch/none"
        echo "SchedulerType=sched/builtin"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_CPU"
        echo "SlurmdParameters=config_overrides"
        echo "ReturnToService=2"
        echo "JobRequeue=1"
        echo "KillWait=5"
        echo "MinJobAge=3600"
        echo "MessageTimeout=10"
        echo "AccountingStorageType=accounting_storage/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "JobCompType=jobcomp/none"
        echo "MailProg=/bin/true"
        echo "PlugStackConfig=$SLURM_DIR/etc/plugstack.conf"
        printf '%s\n' "$@"
        echo "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    } >"$SLURM_CONF"
    : >"$SLURM_DIR/etc/plugstack.conf"
}

# slurm_daemon NS HOST NAME CMD...: starts a daemon in the foreground (in
# network namespace NS, with hostname HOST and its own TmpFS, when NS is
# set), in the background, with the marker; its log goes to
# $SLURM_DIR/log/NAME.out.
slurm_daemon() {
    local ns=$1 host=$2 name=$3
    shift 3
    if [ -n "$ns" ]; then
        # nsenter, not `ip netns exec`: that mounts a new /sys, without the
        # cgroup file system slurmd needs
        # and a node-local TmpFS: a mount namespace with the node's own
        # folder on $SLURM_DIR/tmp (Slurm's PMIx plugin keeps per-step
        # folders there, named alike on every node)
        mkdir -p "$SLURM_DIR/tmp-$host"
        # shellcheck disable=SC2016 # expanded by that sh
        env "$SLURM_MARK" nsenter --net="/run/netns/$ns" unshare --uts --mount \
            sh -c 'hostname "$0" && mount --bind "$1" "$2" && shift 2 && exec "$@"' \
            "$host" "$SLURM_DIR/tmp-$host" "$SLURM_DIR/tmp" "$@" >"$SLURM_DIR/log/$name.out" 2>&1 &
    else
        env "$SLURM_MARK" "$@" >"$SLURM_DIR/log/$name.out" 2>&1 &
    fi
    SLURM_PIDS+=("$!")
    disown "$!" # stopped by PID at the end, without bash's "Killed" notices
}

slurm_start_munged() {
    slurm_daemon "" "" munged munged -F --force --key-file="$SLURM_DIR/etc/munge.key" \
        --socket="$SLURM_DIR/munge/munge.socket" --pid-file="$SLURM_DIR/munge/munged.pid" \
        --seed-file="$SLURM_DIR/munge/munged.seed" --log-file="$SLURM_DIR/log/munged.log"
    local i
    for ((i = 0; i < 600; i++)); do # (a backstop: it starts in well under a second)
        [ -S "$SLURM_DIR/munge/munge.socket" ] && return 0
        sleep 0.1
    done
    slurm_skip "munged did not start within 60 s"
}

# slurm_wait_nodes N SECS: waits until N nodes are idle, else skips.
slurm_wait_nodes() {
    local i idle pid
    for ((i = 0; i < $2 * 2; i++)); do
        idle=$(sl sinfo -h -N -t idle -o '%N' 2>/dev/null | sort -u | grep -c . || true)
        [ "$idle" -ge "$1" ] && return 0
        for pid in "${SLURM_PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null || slurm_skip "a Slurm daemon (pid $pid) exited at start"
        done
        sleep 0.5
    done
    sl sinfo -N -l 2>&1 || true
    slurm_skip "the Slurm nodes did not come up within $2 s"
}

slurm_cluster_start() {
    slurm_check_prereqs
    local ctl_port node_port node="c$$" cpus
    ctl_port=$(slurm_free_port)
    node_port=$(slurm_free_port)
    cpus=$(nproc)
    [ "$cpus" -ge 4 ] || cpus=4 # two 2-rank jobs side by side fit (config_overrides)
    slurm_write_conf "$(hostname -s)" 127.0.0.1 "$ctl_port" \
        "NodeName=$node NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 Port=$node_port CPUs=$cpus State=UNKNOWN"
    slurm_start_munged
    slurm_daemon "" "" slurmctld slurmctld -D -i -f "$SLURM_CONF"
    slurm_daemon "" "" slurmd slurmd -D -N "$node" -f "$SLURM_CONF"
    slurm_wait_nodes 1 120
}

slurm_cluster_start_netns() {
    slurm_check_prereqs
    command -v ip >/dev/null 2>&1 || slurm_unavailable "no ip (Debian package iproute2)"
    if ! command -v unshare >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1; then
        slurm_unavailable "no unshare or nsenter (util-linux)"
    fi
    local a="charnn-$$-a" b="charnn-$$-b" va="cn$$a" vb="cn$$b"
    ip netns add "$a" 2>/dev/null || slurm_unavailable "cannot create a network namespace (ip netns add: no CAP_SYS_ADMIN?)"
    SLURM_NS+=("$a")
    ip netns add "$b" 2>/dev/null || slurm_unavailable "cannot create a second network namespace"
    SLURM_NS+=("$b")
    # the veth pair is created inside A, so that nothing is ever added to
    # this host's own network namespace
    ip -n "$a" link add "$va" type veth peer name "$vb" netns "$b" 2>/dev/null ||
        slurm_unavailable "cannot create a veth pair between network namespaces"
    ip -n "$a" addr add 10.213.0.1/24 dev "$va"
    ip -n "$b" addr add 10.213.0.2/24 dev "$vb"
    local ns
    for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
    ip -n "$a" link set "$va" up
    ip -n "$b" link set "$vb" up
    SLURM_VETH=("$a" "$va" "$b" "$vb")
    SLURM_CLIENT_NS=$a
    slurm_write_conf a 10.213.0.1 6817 \
        "SlurmdTimeout=10" \
        "NodeName=a NodeAddr=10.213.0.1 Port=6818 CPUs=4 State=UNKNOWN" \
        "NodeName=b NodeAddr=10.213.0.2 Port=6818 CPUs=4 State=UNKNOWN"
    slurm_start_munged
    slurm_daemon "$a" a slurmctld slurmctld -D -i -f "$SLURM_CONF"
    slurm_daemon "$a" a slurmd-a slurmd -D -N a -f "$SLURM_CONF"
    slurm_daemon "$b" b slurmd-b slurmd -D -N b -f "$SLURM_CONF"
    slurm_wait_nodes 2 120
}

# slurm_link up|down: the veth pair between the two namespaces.
slurm_link() {
    ip -n "${SLURM_VETH[0]}" link set "${SLURM_VETH[1]}" "$1"
    ip -n "${SLURM_VETH[2]}" link set "${SLURM_VETH[3]}" "$1"
}

slurm_job_field() {
    sl scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# slurm_job_active ID: job ID is queued or running, not ending or ended (a
# state that cannot be read, as from a busy slurmctld, counts as active)
slurm_job_active() {
    [[ ! $(slurm_job_field "$1" JobState) =~ ^(COMPLETING|COMPLETED|FAILED|CANCELLED|NODE_FAIL|TIMEOUT|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)$ ]]
}

# slurm_wait_job ID STATE-REGEX SECS: 0 once the job's state matches, 1 on
# timeout or when the job ended in another state (the state is then printed).
slurm_wait_job() {
    local i st=""
    for ((i = 0; i < $3 * 4; i++)); do
        st=$(slurm_job_field "$1" JobState)
        [[ $st =~ ^($2)$ ]] && return 0
        # ended otherwise: no use waiting
        [[ ! $st =~ ^(COMPLETED|FAILED|CANCELLED|NODE_FAIL|TIMEOUT|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$ ]] || break
        sleep 0.25
    done
    echo "job $1: state '$st', expected $2 (within $3 s)" >&2
    return 1
}

# slurm_wait_requeued ID: 0 once job ID, back in the queue after `scontrol
# requeue` (PENDING, Reason=BeginTime for SLURM_REQUEUE_HOLD s), has started
# again by itself, as it does on any cluster: no `scontrol update
# StartTime=now` to cut the hold short (a run started that way could meet the
# old run still ending on the node and fail to launch); 1 if it is not
# PENDING within 60 s or not running (or done) within the hold + 120 s.
slurm_wait_requeued() {
    slurm_wait_job "$1" PENDING 60 || return 1
    slurm_wait_job "$1" "RUNNING|COMPLETING|COMPLETED" $((SLURM_REQUEUE_HOLD + 120))
}

slurm_submit_cpu() {
    local name=$1
    shift
    (cd "$CHARNN_SOURCE" && CHARNN_CONFIG="" CHARNN_DATA="$WORK/text.txt" \
        CHARNN_RUN_DIR="$WORK/$name" CHARNN_TRAIN="$TRAIN" CHARNN_EXTRA_ARGS="$MODEL_ARGS" \
        sl sbatch --parsable --cpus-per-task=1 --time=10 --output="$WORK/$name.out" "$@" \
        slurm/cpu.sbatch) | cut -d';' -f1
}

slurm_job_done() {
    slurm_wait_job "$1" COMPLETED "${3:-120}" || { cat "$WORK/$2.out"; fail "job $1 ($2) did not complete"; }
    grep -q "run finished" "$WORK/$2.out" || { cat "$WORK/$2.out"; fail "$2: no 'run finished'"; }
}
