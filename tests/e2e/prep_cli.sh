#!/bin/bash
# prep_cli.sh — charnn-prep's command line: usage, the progress bar (with
# --progress, or a terminal; not otherwise), and bad input: one error line,
# no output file left behind (invalid UTF-8 is reported at its byte offset
# in the file even when the read chunks cut it).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
EXPECT=(bash "$CHARNN_SOURCE/tests/e2e/expect_error.sh")

gen_text english 5000 1 "$WORK/a.txt"
"$PREP" --help | grep -q "^usage: charnn-prep TEXT... -o CORPUS.h5" || fail "--help"

# no progress bar when stderr is not a terminal; with --progress, one
"$PREP" "$WORK/a.txt" -o "$WORK/a.h5" >"$WORK/out" 2>"$WORK/err" || fail "prep"
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "stderr is not empty without --progress"; }
grep -q "^charnn-prep: wrote .*a.h5: 5000 characters (5000 bytes, 1 file)" "$WORK/out" ||
    { cat "$WORK/out"; fail "summary line"; }
"$PREP" "$WORK/a.txt" -o "$WORK/a.h5" --progress --chunk-bytes 100 >/dev/null 2>"$WORK/err" ||
    fail "prep --progress"
grep -q "100.0%" "$WORK/err" || { cat "$WORK/err"; fail "no progress bar"; }
# a pseudo-terminal: the bar without --progress (script needs /dev/pts)
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$PREP' '$WORK/a.txt' -o '$WORK/t.h5'" /dev/null >"$WORK/tty" 2>&1 || true
    grep -q "100.0%" "$WORK/tty" || { cat "$WORK/tty"; fail "no progress bar on a terminal"; }
else
    echo "prep_cli: no pseudo-terminal here (script cannot open one): terminal case not run"
fi

# bad input
printf 'ab\xc3\xa9cd\xe4\xb8' >"$WORK/cut.txt"              # cut at the end
printf 'abcdefgh\xe4\xb8x' >"$WORK/bad.txt"                 # bad continuation at 10
: >"$WORK/empty.txt"
"${EXPECT[@]}" "invalid UTF-8 at byte offset 6 \(byte 0xe4\)" -- \
    "$PREP" "$WORK/cut.txt" -o "$WORK/o.h5" --chunk-bytes 7
"${EXPECT[@]}" "data file '.*bad.txt': invalid UTF-8 at byte offset 8 \(byte 0xe4\)" -- \
    "$PREP" "$WORK/a.txt" "$WORK/bad.txt" -o "$WORK/o.h5" --chunk-bytes 9
printf 'ab\xd6\xd0\x81\x20cd' >"$WORK/gb.txt"                  # bad GB18030 at 4
"${EXPECT[@]}" "invalid gb18030 at byte offset 4 \(byte 0x81\)" -- \
    "$PREP" "$WORK/gb.txt" -o "$WORK/o.h5" --encoding gb18030 --chunk-bytes 3
"${EXPECT[@]}" "unknown encoding 'nope'" -- "$PREP" "$WORK/a.txt" -o "$WORK/o.h5" --encoding nope
"${EXPECT[@]}" "cannot open data file '.*missing.txt'" -- "$PREP" "$WORK/missing.txt" -o "$WORK/o.h5"
"${EXPECT[@]}" "'.*empty.txt' has no characters" -- "$PREP" "$WORK/empty.txt" -o "$WORK/o.h5"
"${EXPECT[@]}" "not a regular file" -- "$PREP" "$WORK" -o "$WORK/o.h5"
"${EXPECT[@]}" "no output: pass -o CORPUS.h5" -- "$PREP" "$WORK/a.txt"
"${EXPECT[@]}" "no input text" -- "$PREP" -o "$WORK/o.h5"
"${EXPECT[@]}" "--val-frac: 1 is out of range" -- "$PREP" "$WORK/a.txt" -o "$WORK/o.h5" --val-frac 1
"${EXPECT[@]}" "is also an input" -- "$PREP" "$WORK/a.txt" -o "$WORK/a.txt"
"${EXPECT[@]}" "cannot write '.*nodir/o.h5'" -- "$PREP" "$WORK/a.txt" -o "$WORK/nodir/o.h5"
leftover=$(find "$WORK" -name 'o.h5*')
[ -z "$leftover" ] || fail "output left behind: $leftover"
echo "prep.cli: ok"
