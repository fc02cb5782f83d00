#!/bin/bash
# planted_skip.sh — the skip budget (tests/budget/check.py) catches what it
# is for, on results of the real ctest: a test directory of four tests
# written by hand (CTestTestfile.cmake), one passing, one labelled gpu that
# skips (exit 77), one that skips and that no budget names (the planted
# skip), one that passes. Then:
#   1. a budget that allows label:gpu [cuda] on a CUDA build: the planted
#      skip fails the stage, naming the test and its own "skipped:" line
#   2. the planted test in the budget: the stage passes
#   3. the build without CUDA: the gpu skip is no longer expected: fails
#   4. min-ran above what ran (a test lost): fails; --skips-only: passes
#   5. no results at all (ctest never ran): fails
#   6. each real budget (tests/budget/*.budget) reads without error
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
CHECK=("$PY" "$CHARNN_SOURCE/tests/budget/check.py")

b=$WORK/build
mkdir -p "$b" "$WORK/budget"
cat >"$b/CTestTestfile.cmake" <<'EOF'
add_test(t.pass "true")
add_test(t.gpu "sh" "-c" "echo 'skipped: no GPU'; exit 77")
set_tests_properties(t.gpu PROPERTIES SKIP_RETURN_CODE 77 LABELS "gpu")
add_test(t.planted "sh" "-c" "echo 'skipped: a planted skip'; exit 77")
set_tests_properties(t.planted PROPERTIES SKIP_RETURN_CODE 77)
add_test(t.pass2 "true")
EOF
echo cuda >"$b/charnn-features.txt"
ctest --test-dir "$b" --output-junit "$b/Testing/charnn-junit.xml" >"$WORK/ctest.log" 2>&1 ||
    { cat "$WORK/ctest.log"; fail "the hand-written test directory did not pass under ctest"; }

# check WANT BUDGET-LINES... [-- CHECK-ARGS]: the checker on stage "s" with
# that budget must exit WANT; its output in $WORK/out
check() {
    local want=$1 rc=0
    shift
    local -a extra=()
    : >"$WORK/budget/s.budget"
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
        echo "$1" >>"$WORK/budget/s.budget"
        shift
    done
    [ "$#" -eq 0 ] || { shift; extra=("$@"); }
    "${CHECK[@]}" s "$b" --budget-dir "$WORK/budget" "${extra[@]}" >"$WORK/out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || { cat "$WORK/budget/s.budget" "$WORK/out"; fail "checker exit $rc, expected $want"; }
}
said() { grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out"; fail "the checker did not say: $1"; }; }

gpu='skip label:gpu [cuda] no GPU here'
check 1 "min-ran 2" "$gpu"
said "error: t.planted skipped, not in the budget s.budget: skipped: a planted skip"
echo "ok: 1. the planted skip fails the stage"
check 0 "min-ran 2" "$gpu" "skip t.planted planted on purpose"
said "t.planted [s.budget:3]: skipped: a planted skip"
said "t.gpu [s.budget:2]: skipped: no GPU"
echo "ok: 2. named in the budget, it passes (with its reason printed)"
: >"$b/charnn-features.txt"
check 1 "min-ran 2" "$gpu" "skip t.planted planted on purpose"
said "error: t.gpu skipped, not in the budget"
echo cuda >"$b/charnn-features.txt"
echo "ok: 3. a [cuda] skip in a build without CUDA fails"
check 1 "min-ran 3" "$gpu" "skip t.planted planted"
said "only 2 tests ran, the stage's minimum is 3"
check 0 "min-ran 3" "$gpu" "skip t.planted planted" -- --skips-only
check 1 "$gpu" "skip t.planted planted"
said "has no min-ran for this build"
echo "ok: 4. fewer tests than the minimum fail the stage (not with --skips-only)"
rm "$b/Testing/charnn-junit.xml"
check 1 "min-ran 1"
said "no ctest results"
echo "ok: 5. no results fail the stage"

for f in "$CHARNN_SOURCE"/tests/budget/*.budget; do
    "$PY" - "$f" <<'EOF' || fail "$f does not read"
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("check", os.path.join(os.environ["CHARNN_SOURCE"], "tests/budget/check.py"))
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
mins, skips = mod.parse_budget(sys.argv[1])
assert mins, "no min-ran"
EOF
done
echo "ok: 6. every stage's budget reads"
