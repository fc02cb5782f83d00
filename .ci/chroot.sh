# .ci/chroot.sh — a bare Debian 12 to run CI stages in (sourced by .ci/fresh
# and .ci/cluster; bash, root). The caller defines die and say, sets root (the
# repository), then
#   chroot_setup TAG   debootstrap --variant=minbase bookworm into a temporary
#                      folder $dir ($CHARNN_FRESH_DIR, default /var/tmp, named
#                      charnn-TAG.XXXXXX) from the host's Debian mirror, the
#                      host's apt sources and Acquire settings, name
#                      resolution; this working tree (without build outputs) at
#                      /root/work/charnn and ../shared beside it; /proc, /sys
#                      (with its cgroup mounts), /dev, /dev/pts, /dev/shm
#                      mounted, and the host's CUDA toolkit (/usr/local/cuda,
#                      when there) bound read-only
#   inside CMD         CMD (bash) in the chroot, in /root/work/charnn, with a
#                      clean environment as a newcomer's root shell has
# The mounts are undone and the folder removed on every exit path (an EXIT
# trap; the folder is kept, and said so, if anything is still mounted in it).
# Environment: CHARNN_FRESH_DIR, CHARNN_FRESH_MIRROR (default: the first Debian
# URI of the host's apt sources), CHARNN_FRESH_KEEP=1 (keep the chroot),
# CHARNN_CHROOT_CACHE (a folder: the first stage keeps its pristine minbase
# there as a tarball, the next ones start from it; .ci/run sets it).
# shellcheck shell=bash
# root is the caller's; "A && B || die" is meant (die exits):
# shellcheck disable=SC2154,SC2015

stamp() { date +%s; }

# The mirror the host's apt already uses (deb822 .sources or one-line lists).
chroot_host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
    done | head -n 1
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
}
# Undoes the mounts (newest first), then removes the folder, unless
# something is still mounted below it: rm -rf through a bound /dev would be
# a disaster, so then the folder stays and the reason is printed.
chroot_cleanup() {
    local rc=$? i m
    set +e
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null ||
            printf '%s: warning: cannot unmount %s\n' "$chroot_tag" "$m" >&2
    done
    # and what the tests mounted inside (e.g. ip netns's /run/netns), deepest first
    awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    if awk -v d="$dir/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        printf '%s: warning: still mounted under %s; not removing it\n' "$chroot_tag" "$dir" >&2
    elif [ "${CHARNN_FRESH_KEEP:-0}" = 1 ]; then
        say "kept $dir (CHARNN_FRESH_KEEP=1)"
    else
        rm -rf --one-file-system "$dir"
    fi
    exit "$rc"
}
chroot_setup() {
    chroot_tag=$1
    [ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts); run it as root"
    command -v chroot >/dev/null || die "no chroot command"

    mirror=${CHARNN_FRESH_MIRROR:-$(chroot_host_mirror 2>/dev/null | head -n 1 || true)}
    [ -n "$mirror" ] || die "no Debian mirror in this machine's apt sources; set CHARNN_FRESH_MIRROR"

    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
                >/dev/null || die "cannot install debootstrap (apt-get failed)"
    fi

    parent=${CHARNN_FRESH_DIR:-/var/tmp}
    mkdir -p "$parent"
    dir=$(mktemp -d "$parent/charnn-$chroot_tag.XXXXXX")
    chmod 755 "$dir" # it becomes /: mktemp's 0700 would lock every other user out (munge's postinst runs as munge)
    mounted=()
    trap chroot_cleanup EXIT
    trap 'exit 130' INT TERM HUP

    t0=$(stamp)
    # One debootstrap per CI run: .ci/run sets CHARNN_CHROOT_CACHE (a folder it
    # removes at the end); the first stage leaves a tarball of its pristine
    # minbase there, the later ones unpack it instead of bootstrapping again.
    local cache=${CHARNN_CHROOT_CACHE:-}
    if [ -n "$cache" ] && [ -s "$cache/minbase.tar" ]; then
        say "unpacking this CI run's debootstrap --variant=minbase bookworm ($cache/minbase.tar) into $dir"
        tar -C "$dir" --numeric-owner -xpf "$cache/minbase.tar" || die "cannot unpack $cache/minbase.tar"
        say "unpacking took $(($(stamp) - t0)) s"
    else
        if [ -n "${CHARNN_FRESH_MIRROR:-}" ]; then from="CHARNN_FRESH_MIRROR"; else from="the apt sources of this machine"; fi
        say "debootstrap --variant=minbase bookworm $dir (mirror: $from)"
        debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 || {
            tail -n 20 "$dir.debootstrap.log" >&2
            rm -f "$dir.debootstrap.log"
            die "debootstrap failed (log above)"
        }
        rm -f "$dir.debootstrap.log"
        say "debootstrap took $(($(stamp) - t0)) s"
        if [ -n "$cache" ] && [ -d "$cache" ]; then
            tar -C "$dir" --numeric-owner -cpf "$cache/minbase.tar.part" . &&
                mv "$cache/minbase.tar.part" "$cache/minbase.tar" ||
                say "warning: cannot keep the minbase in $cache (the next stage bootstraps again)"
        fi
    fi

    # The host's apt sources (same mirror, snapshot and security suite) and the
    # apt settings that say how to reach them (Acquire::*); name resolution.
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/"
        rm -f "$dir/etc/apt/sources.list"
    fi
    for f in /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f" && cp "$f" "$dir/etc/apt/apt.conf.d/"
    done
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    cp -L /etc/hosts "$dir/etc/hosts" 2>/dev/null || true

    # The working tree without build outputs, and ../shared beside it, as in CI.
    mkdir -p "$dir/root/work/charnn"
    tar -C "$root" --exclude='./build*' --exclude=./runs --exclude=./data --exclude=./out \
        --exclude='./.gpu-bundle' -cf - . | tar -C "$dir/root/work/charnn" -xf -
    [ -d "$root/../shared" ] && cp -a "$root/../shared" "$dir/root/work/shared"

    # the chroot's / a mount point of its own (private), as a real root is: ip
    # netns (the two-node Slurm tests) makes / a slave mount and fails otherwise
    mount --bind "$dir" "$dir" && mount --make-private "$dir" && mounted+=("$dir") ||
        die "cannot bind the chroot onto itself"
    mount -t proc proc "$dir/proc" && mounted+=("$dir/proc") || die "cannot mount /proc in the chroot"
    # /sys with what is mounted below it (the cgroup hierarchies: slurmd needs
    # them, as on a real machine), as a slave so nothing done here reaches the host.
    mount --rbind /sys "$dir/sys" && mount --make-rslave "$dir/sys" && mounted+=("$dir/sys") ||
        die "cannot bind /sys into the chroot"
    mount --bind /dev "$dir/dev" && mounted+=("$dir/dev") || die "cannot bind /dev into the chroot"
    mount --bind /dev/pts "$dir/dev/pts" && mounted+=("$dir/dev/pts") || die "cannot bind /dev/pts"
    mkdir -p "$dir/dev/shm"
    mount -t tmpfs shm "$dir/dev/shm" && mounted+=("$dir/dev/shm") || die "cannot mount /dev/shm"
    if [ -d /usr/local/cuda/bin ]; then
        cuda=$(readlink -f /usr/local/cuda)
        mkdir -p "$dir/usr/local/cuda"
        mount --bind "$cuda" "$dir/usr/local/cuda" && mounted+=("$dir/usr/local/cuda") &&
            mount -o remount,bind,ro "$dir/usr/local/cuda" || die "cannot bind the CUDA toolkit"
        say "the image's CUDA toolkit ($cuda) is bound read-only at /usr/local/cuda"
    fi
}

# Inside: a clean environment, as a newcomer's root shell has.
inside() {
    chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb CI="${CI:-}" /bin/bash -c "cd /root/work/charnn && $1"
}
