#!/usr/bin/env bash
# planted_leak.sh — proves the sanitizer build still reports charnn's own
# leaks with the runtime options every test gets (sanitize.cmake: among them
# LSAN_OPTIONS use_tls=0, which keeps LeakSanitizer's tracer from crashing on
# some images): charnn-train with CHARNN_FAULT_INJECT=leak@2 loses 4 KiB at
# step 2 and must end with LeakSanitizer's report naming fault_leak; the
# same run without the injection must end cleanly (no report at all).
. "$(dirname "$0")/../e2e/lib.sh"
cd "$WORK"
[ "${CHARNN_SANITIZED:-0}" = 1 ] || skip "not a sanitizer build"
gen_text english 5000 1 a.txt
args=(--data a.txt --hidden 8 --layers 1 --batch 2 --seq 8 --steps 3 --threads 1 --save-every 0)
"$TRAIN" "${args[@]}" --out clean >out 2>err || { cat err; fail "the clean run failed"; }
! grep -q "Sanitizer" err || { cat err; fail "a report from the clean run"; }
rc=0
CHARNN_FAULT_INJECT=leak@2 "$TRAIN" "${args[@]}" --out leak >out 2>err || rc=$?
[ "$rc" != 0 ] || { cat err; fail "the planted leak went unreported (exit 0)"; }
grep -q "ERROR: LeakSanitizer: detected memory leaks" err || { cat err; fail "no LeakSanitizer report"; }
grep -q "Direct leak of 4096 byte" err || { cat err; fail "the report lacks the 4096-byte block"; }
grep -q "fault_leak" err || { cat err; fail "the report does not name fault_leak"; }
! grep -q "Tracer caught signal\|LeakSanitizer has encountered a fatal error" err ||
    { cat err; fail "LeakSanitizer's tracer crashed"; }
echo "planted leak reported (exit $rc)"
