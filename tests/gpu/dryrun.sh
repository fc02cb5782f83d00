#!/bin/bash
# dryrun.sh — the device check (tests/gpu/check) run here as far as a machine
# without a GPU allows, so that a broken check is caught before a GPU is:
#   1. the bundle (tests/gpu/prepare-bundle; the .debs cached in
#      CHARNN_BUILD/gpu-debs, shared with gpu_bundle.build under a lock)
#   2. tests/gpu/check --dry-run, with DRY_TIMEOUT=racecheck: the configure
#      against the bundle with the generator the check picks, gpu_probe built
#      and ldd-checked, each other part's command printed within a 3 s cap,
#      racecheck's stand-in outlasting it. Then:
#      - exit 1, a PASS line for build and each stand-in but racecheck, a
#        TIMEOUT line for racecheck, a RESULT line
#      - the budgets line adds up within the total (grace and reserve too)
#      - $OUT holds exactly gpu-check.txt and gpu-check.tar.gz: within what
#        the device tool returns (8 files, 16 MiB each, 2 folders down, names
#        of letters, digits, '.', '_', '-')
#      - the archive: one folder with every part's log, probe.log and the
#        summary, no checkpoint
#   3. what travels (the working tree and the bundle) within 64 MiB
#   4. the check with neither ninja nor make on PATH: exit 2 and one MISSING
#      line naming them, before any build
# Skips (77) only when the bundle cannot be made (apt-get download failed:
# offline with nothing cached; not Debian).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"
. "$CHARNN_SOURCE/tests/gpu/bundle_lib.sh"
CHECK=$CHARNN_SOURCE/tests/gpu/check
B=$CHARNN_BUILD/gpu-dryrun-bundle
make_bundle "$B"

# ---- 2. the dry run ----
OUT=$WORK/out
rc=0
DRY_TIMEOUT=racecheck CHARNN_JOBS=2 OUT=$OUT "$CHECK" --dry-run --bundle "$B" \
    --build "$CHARNN_BUILD/gpu-dryrun-build" --work "$WORK/check-work" >"$WORK/check.log" 2>&1 || rc=$?
S=$OUT/gpu-check.txt
[ -f "$S" ] || { cat "$WORK/check.log"; fail "no summary $S"; }
cat "$S"
[ $rc = 1 ] || fail "the dry run exited $rc, expected 1 (racecheck's TIMEOUT)"
grep -q "^PASS build" "$S" || { cat "$WORK/check-work/build.log" 2>/dev/null; fail "the build against the bundle failed"; }
grep -q "ldd checked: tests/gpu_probe" "$WORK/check-work/build.log" || fail "bundle-build did not check gpu_probe's libraries"
gen=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$CHARNN_BUILD/gpu-dryrun-build/CMakeCache.txt")
if command -v ninja >/dev/null; then want=Ninja; else want="Unix Makefiles"; fi
[ "$gen" = "$want" ] || fail "generator $gen, expected $want"
for p in ctest memcheck synccheck notebook shakespeare bench; do
    grep -q "^PASS $p " "$S" || fail "no PASS line for the stand-in of $p"
done
grep -q "^TIMEOUT racecheck: stopped at its budget" "$S" || fail "racecheck's stand-in outlasted its cap but no TIMEOUT line"
grep -q "^RESULT: FAIL" "$S" || fail "no RESULT: FAIL line"
grep -q "would run: .*compute-sanitizer.*memcheck" "$WORK/check-work/memcheck.log" ||
    fail "memcheck's stand-in does not show the sanitizer command"

# the budgets: "budgets (s): build 120, ..., grace G each, reserve R: total T"
awk '/^budgets \(s\): / {
        line = $0; sub(/^budgets \(s\): /, "", line); n = split(line, f, ", ")
        for (i = 1; i <= n; i++) {
            split(f[i], w, " ")
            if (w[1] == "grace") { grace = w[2] }
            else if (w[1] ~ /^reserve/) { split(f[i], r, /[ :]+/); reserve = r[2]; total = r[4] }
            else { sum += w[2]; parts++ }
        }
        found = 1
    }
    END {
        if (!found || parts != 8 || total <= 0) { print "no budgets line"; exit 1 }
        printf "budgets: %d s in %d parts + %d x %d s grace + %d s reserve = %d s of %d s\n",
            sum, parts, parts, grace, reserve, sum + parts * grace + reserve, total
        exit !(sum + parts * grace + reserve <= total)
    }' "$S" || fail "the budgets exceed the total"

# what comes back: the device tool's limits
files=$(cd "$OUT" && find . -mindepth 1 | sort | tr '\n' ' ')
[ "$files" = "./gpu-check.tar.gz ./gpu-check.txt " ] || fail "\$OUT holds '$files', expected the summary and the archive"
n=$(find "$OUT" -type f | wc -l)
[ "$n" -le 8 ] || fail "$n files in \$OUT: over the device tool's 8"
find "$OUT" -mindepth 3 | grep -q . && fail "a path deeper than 2 folders in \$OUT"
find "$OUT" -mindepth 1 -printf '%f\n' | grep -vqE '^[A-Za-z0-9._-]+$' && fail "a name the device tool refuses"
big=$(find "$OUT" -type f -size +16M)
[ -z "$big" ] || fail "over 16 MiB: $big"
listing=$(tar -tzf "$OUT/gpu-check.tar.gz" | sort)
for f in build ctest memcheck racecheck synccheck notebook shakespeare bench probe; do
    grep -qx "check-work/$f.log" <<<"$listing" || { echo "$listing"; fail "the archive lacks check-work/$f.log"; }
done
grep -qx "check-work/gpu-check.txt" <<<"$listing" || fail "the archive lacks the summary"
! grep -q '\.h5$' <<<"$listing" || fail "a checkpoint in the archive"
[ "$(cut -d/ -f1 <<<"$listing" | sort -u)" = check-work ] || fail "the archive is not one folder"

# what travels to the device machine: the working tree and the carried bundle, within 64 MiB
if git -C "$CHARNN_SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    tree=$(cd "$CHARNN_SOURCE" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -r du -cb 2>/dev/null | awk 'END { print $1 }')
    bundle=$(du -sb "$B" | cut -f1)
    total=$(( (tree + bundle) / 1048576 ))
    echo "travels: working tree $((tree / 1024)) KiB + bundle $((bundle / 1048576)) MiB = $total MiB"
    [ "$total" -lt 64 ] || fail "the working tree and the bundle are $total MiB: over the device tool's 64 MiB"
fi

# ---- 4. neither ninja nor make: named, before the build ----
bin=$WORK/bin
mkdir -p "$bin"
for d in /usr/local/bin /usr/bin /bin; do
    for f in "$d"/*; do
        name=${f##*/}
        case $name in make | gmake | ninja) continue ;; esac
        [ -e "$bin/$name" ] || ln -s "$f" "$bin/$name"
    done
done
rc=0
PATH=$bin OUT=$WORK/out2 "$CHECK" --dry-run --bundle "$B" --build "$WORK/build2" \
    --work "$WORK/work2" >"$WORK/check2.log" 2>&1 || rc=$?
[ $rc = 2 ] || { cat "$WORK/check2.log"; fail "without ninja and make: exit $rc, expected 2"; }
grep -q "^MISSING: ninja or make" "$WORK/out2/gpu-check.txt" || { cat "$WORK/out2/gpu-check.txt"; fail "no MISSING line naming ninja or make"; }
[ ! -e "$WORK/work2/build.log" ] || fail "the build ran although a tool was missing"
echo "ok: dry run: $(grep -c '^\(PASS\|TIMEOUT\|FAIL\)' "$S") part lines, $n files back, archive of $(wc -l <<<"$listing") entries; a missing generator named"
