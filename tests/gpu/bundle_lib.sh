# bundle_lib.sh — sourced by the CI tests of the device check (bundle_ci.sh,
# dryrun.sh) after tests/e2e/lib.sh.
# make_bundle DIR: tests/gpu/prepare-bundle into DIR, the .debs cached in
# CHARNN_BUILD/gpu-debs (the tests that share it hold the lock gpu_debs);
# skips (77) when apt-get cannot download (offline, nothing cached) or this
# is no Debian machine, fails on any other error.
make_bundle() {
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || skip "not a Debian machine"
    local rc=0
    CHARNN_GPU_DEB_CACHE=$CHARNN_BUILD/gpu-debs "$CHARNN_SOURCE/tests/gpu/prepare-bundle" "$1" \
        >"$WORK/prepare.log" 2>&1 || rc=$?
    if [ $rc != 0 ]; then
        cat "$WORK/prepare.log"
        grep -q "apt-get download .* failed" "$WORK/prepare.log" && skip "apt-get download failed (offline?)"
        fail "prepare-bundle: exit $rc"
    fi
    tail -1 "$WORK/prepare.log"
}
