#!/bin/bash
# include_cycles_planted.sh — tools/include_cycles.py fails on a cycle: a
# scratch src/ of three files, compiled and archived as the build does,
# passes while its calls and includes run one way (a -> b -> c), and fails,
# naming the files, once a call back (c.c calls a.c) or an include back
# (c.h includes a.h) is planted.
# usage: include_cycles_planted.sh SOURCE_DIR CC AR
set -euo pipefail
SOURCE=${1:?source dir}
CC=${2:?C compiler}
AR=${3:?archiver}
TOOL=("${PYTHON:-python3}" "$SOURCE/tools/include_cycles.py")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# tree NAME C_BODY C_HEADER_EXTRA: src/{a,b,c}.{c,h}, a calls b, b calls c
tree() {
    local dir=$WORK/$1 c_body=$2 c_header_extra=$3
    mkdir -p "$dir/src"
    printf '#ifndef A_H\n#define A_H\nint a(int);\n#endif\n' >"$dir/src/a.h"
    printf '#ifndef B_H\n#define B_H\n#include "c.h"\nint b(int);\n#endif\n' >"$dir/src/b.h"
    printf '#ifndef C_H\n#define C_H\n%s\nint c(int);\n#endif\n' "$c_header_extra" >"$dir/src/c.h"
    printf '#include "a.h"\n#include "b.h"\nint a(int x) { return b(x) + 1; }\n' >"$dir/src/a.c"
    printf '#include "b.h"\nint b(int x) { return c(x) * 2; }\n' >"$dir/src/b.c"
    printf '#include "c.h"\n%s\n' "$c_body" >"$dir/src/c.c"
    for f in a b c; do
        "$CC" -c "$dir/src/$f.c" -o "$dir/$f.c.o"
    done
    "$AR" rcs "$dir/libplant.a" "$dir/a.c.o" "$dir/b.c.o" "$dir/c.c.o"
}

# check NAME WANT_RC [PATTERN...]: the tool's exit status and what it names
check() {
    local name=$1 want=$2 rc=0
    shift 2
    "${TOOL[@]}" --src "$WORK/$name/src" --lib "$WORK/$name/libplant.a" >"$WORK/$name.out" 2>&1 ||
        rc=$?
    cat "$WORK/$name.out"
    [ "$rc" -eq "$want" ] || fail "$name: exit $rc, expected $want"
    for pattern in "$@"; do
        grep -q -- "$pattern" "$WORK/$name.out" || fail "$name: output lacks '$pattern'"
    done
}

tree clean 'int c(int x) { return x - 1; }' ''
check clean 0 "no cycle"
tree call_back '#include "a.h"
int c(int x) { return x > 0 ? a(x - 1) : 0; }' ''
check call_back 1 "call cycle among 3 files" "a.c" "b.c" "c.c" "(a)"
tree include_back 'int c(int x) { return x - 1; }' '#include "a.h"
#include "b.h"'
check include_back 1 "include cycle among 2 files" "b.h" "c.h"
echo "ok: a planted call cycle and a planted include cycle fail the check; the clean tree passes"
