#!/usr/bin/env bash
# deps_check.sh — launch/deps.sh's package step with stub dpkg-query, apt-get
# and id on PATH (nothing is installed): what a newcomer's bare machine sees.
#   - root, some packages missing: apt-get installs exactly those, and the
#     calling script (set -euo pipefail, like tests/run) goes on;
#   - root, nothing missing: no apt-get at all;
#   - root, apt-get fails: one error line, status 1;
#   - not root, only test packages missing: the exact apt-get line, status 0;
#   - not root, a build package missing: the line, an error naming it, status 1;
#     and launch/demo itself stops there with that error (exit 1).
# dpkg-query's stub behaves as the real one: status 1 when it knows none of
# some name (the bug this guards against ended the script right there).
. "$(dirname "$0")/lib.sh"

stubs="$WORK/bin"
mkdir -p "$stubs"
INSTALLED="$WORK/installed"   # the packages the stub dpkg-query knows as installed
APT_LOG="$WORK/apt.log"
cat >"$stubs/dpkg-query" <<EOF
#!/bin/bash
# dpkg-query -W -f=FMT PKG...: "ii PKG" for the installed, status 1 if any is not
rc=0
for p in "\$@"; do
    case \$p in -*) continue ;; esac
    if grep -qxF -- "\$p" "$INSTALLED"; then echo "ii  \$p"; else echo "dpkg-query: no packages found matching \$p" >&2; rc=1; fi
done
exit \$rc
EOF
cat >"$stubs/apt-get" <<EOF
#!/bin/bash
echo "apt-get \$*" >>"$APT_LOG"
[ "\${STUB_APT_FAIL:-0}" = 0 ]
EOF
cat >"$stubs/id" <<'EOF'
#!/bin/bash
[ "$1" = -u ] && { echo "${STUB_UID:-0}"; exit 0; }
exec /usr/bin/id "$@"
EOF
chmod +x "$stubs"/*

# ensure PKG... in a script as strict as tests/run; prints "went-on" after it
ensure() {
    : >"$APT_LOG"
    PATH="$stubs:$PATH" bash -c 'set -euo pipefail
        . "$1/launch/deps.sh"; shift
        charnn_ensure_packages "$@"; echo went-on' _ "$CHARNN_SOURCE" "$@" \
        >"$WORK/out" 2>"$WORK/err"
}
expect_line() { grep -q -- "$2" "$1" || { cat "$WORK/out" "$WORK/err" "$APT_LOG"; fail "$3"; }; }

printf '%s\n' cmake libhdf5-dev >"$INSTALLED"

# root, two missing (one of them a build package)
ensure cmake libhdf5-dev python3-torch libcmocka-dev || fail "root: status $? with packages missing"
expect_line "$WORK/out" '^went-on$' "root: the script did not go on after installing"
expect_line "$APT_LOG" '^apt-get update' "root: no apt-get update"
expect_line "$APT_LOG" '^apt-get install -y -q --no-install-recommends python3-torch libcmocka-dev$' \
    "root: apt-get did not install exactly the missing packages"

# root, nothing missing: no apt-get
ensure cmake libhdf5-dev || fail "root, nothing missing: status $?"
[ ! -s "$APT_LOG" ] || { cat "$APT_LOG"; fail "apt-get ran with nothing missing"; }

# root, apt-get fails
if STUB_APT_FAIL=1 ensure cmake python3-torch; then fail "root: apt-get failed, yet status 0"; fi
expect_line "$WORK/err" '^deps: error: apt-get could not install: python3-torch$' "root: no error line"

# not root: a test package missing -> the install line, go on
STUB_UID=1000 ensure cmake python3-torch || fail "non-root, test package missing: status $?"
expect_line "$WORK/err" '^    apt-get install --no-install-recommends python3-torch$' "non-root: no install line"
expect_line "$WORK/out" '^went-on$' "non-root: did not go on without a test package"
[ ! -s "$APT_LOG" ] || fail "non-root ran apt-get"

# not root: a build package missing -> error, status 1 (the caller stops)
if STUB_UID=1000 ensure cmake libcmocka-dev python3-torch; then fail "non-root, build package missing: status 0"; fi
expect_line "$WORK/err" '^    apt-get install --no-install-recommends libcmocka-dev python3-torch$' \
    "non-root: install line"
expect_line "$WORK/err" '^deps: error: cannot build without: libcmocka-dev$' "non-root: no error naming the build package"

# the real entry point: launch/demo as a non-root user on a machine without libcmocka-dev
printf '%s\n' cmake >"$INSTALLED"
rc=0
PATH="$stubs:$PATH" STUB_UID=1000 BUILD_DIR="$WORK/never-built" \
    "$CHARNN_SOURCE/launch/demo" --data "$CHARNN_SOURCE/README.md" --out "$WORK/demo" \
    >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/out" "$WORK/err"; fail "launch/demo without build packages: exit $rc, not 1"; }
expect_line "$WORK/err" '^deps: error: cannot build without: .*libcmocka-dev' "launch/demo: no error naming the package"
grep -q '==== Build' "$WORK/out" && fail "launch/demo went on to build"
[ ! -e "$WORK/never-built" ] || fail "launch/demo configured a build"
echo "deps: ok"
