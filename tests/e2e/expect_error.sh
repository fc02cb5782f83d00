#!/usr/bin/env bash
# expect_error.sh — run a command that is given bad input and check that it
# fails the way the bad-input rule says it must:
#   - it exits non-zero, and below 128 (no signal, no crash);
#   - stderr is exactly one line, newline-terminated, matching
#     ^charnn-(train|sample|prep): error: .*REGEX   (extended regex, C locale);
#   - nothing on stderr looks like a sanitizer report;
#   - stdout carries no error text.
#
# usage: expect_error.sh [--status N] 'REGEX' -- command [args...]
#   --status N   the exit status must be exactly N (e.g. 3: training diverged)
# Prints "ok: <the error line>" and exits 0 when every check holds; otherwise
# prints what was wrong, with the command's stderr and stdout, and exits 1.
# stdin is /dev/null. Nothing is filtered out of stderr, mpirun's output included.
set -uo pipefail
export LC_ALL=C

usage() {
    echo "usage: expect_error.sh [--status N] 'REGEX' -- command [args...]" >&2
    exit 2
}

status=
if [[ ${1:-} == --status ]]; then
    [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
    status=$2
    shift 2
fi
[[ $# -ge 3 && $2 == -- ]] || usage
regex=$1
shift 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/expect_error.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?

problems=()
if [[ $rc -eq 0 ]]; then
    problems+=("exit status 0: the bad input was accepted")
elif [[ $rc -ge 128 ]]; then
    problems+=("exit status $rc: killed by a signal or crashed (>= 128)")
fi
if [[ -n $status && $rc -ne $status ]]; then
    problems+=("exit status $rc, expected $status")
fi

nl=$(tr -cd '\n' <"$tmp/err" | wc -c)
bytes=$(wc -c <"$tmp/err")
if [[ $bytes -eq 0 ]]; then
    problems+=("stderr is empty: no error message")
elif [[ $nl -ne 1 || $(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ') != '\n' ]]; then
    problems+=("stderr is not exactly one newline-terminated line ($nl newline(s), $bytes bytes)")
fi
if grep -qE 'Sanitizer|runtime error:|==[0-9]+==' "$tmp/err"; then
    problems+=("stderr holds a sanitizer report")
fi
if [[ $nl -eq 1 ]] && ! grep -qE "^charnn-(train|sample|prep): error: .*($regex)" "$tmp/err"; then
    problems+=("the error line does not match ^charnn-(train|sample|prep): error: .*($regex)")
fi
if grep -qiE 'error|sanitizer' "$tmp/out"; then
    problems+=("stdout has error text")
fi

if [[ ${#problems[@]} -eq 0 ]]; then
    echo "ok: $(cat "$tmp/err")"
    exit 0
fi
{
    echo "FAIL: $*"
    for p in "${problems[@]}"; do
        echo "  - $p"
    done
    echo "  exit status: $rc"
    echo "  --- stderr ---"
    head -c 4000 "$tmp/err" | cat -v
    echo "  --- stdout (first 2000 bytes) ---"
    head -c 2000 "$tmp/out" | cat -v
    echo "  ---"
} >&2
exit 1
