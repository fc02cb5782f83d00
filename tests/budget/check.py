#!/usr/bin/env python3
"""tests/budget/check.py STAGE BUILD_DIR [--skips-only] [--junit FILE] [--budget-dir DIR]

The skip budget of a CI stage: reads ctest's JUnit results (tests/run writes
them to BUILD_DIR/Testing/charnn-junit.xml) and the stage's budget,
tests/budget/STAGE.budget, and fails (exit 1) when
  - a test was skipped (exit 77, a skip regular expression, disabled) that
    the budget does not name, or names under a condition that does not hold
    here: every skip must be expected, with its reason written down;
  - fewer tests ran (passed or failed, not skipped) than the budget's
    minimum: a lost include, a script that registers no cases, a run cut
    short (left out with --skips-only, for runs narrowed by ctest arguments);
  - there are no results at all.
It prints every skip with its reason from the budget and the test's own
"skipped: ..." line. ctest's failures are ctest's business: not counted here.

A budget file, one entry a line (# starts a comment):
  include NAME                  NAME.budget's entries too
  min-ran N [COND]              at least N tests ran
  skip TEST [COND] REASON...    TEST may skip (it need not); TEST is a test
                                name, or label:L for every test labelled L
COND, in brackets, limits the entry to builds or machines where it holds:
[cuda] (the CUDA backend is built), [mpi], [sanitize], [root] (this check
runs as root), or the opposite, [!cuda]. The build's features come from
BUILD_DIR/charnn-features.txt (tests/CMakeLists.txt writes it).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_budget(path, seen=None):
    """The entries of a budget file (with its includes): (min-ran list, skip list)."""
    seen = seen or set()
    if path in seen:
        sys.exit(f"budget: {path}: included twice (a cycle?)")
    seen.add(path)
    mins, skips = [], []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        sys.exit(f"budget: error: cannot read {path}: {e.strerror}")
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"(\S+)\s+(\S+)\s*(\[!?[a-z]+\])?\s*(.*)", line)
        if not m:
            sys.exit(f"budget: error: {path}:{n}: cannot read '{line}'")
        word, arg, cond, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        cond = cond[1:-1] if cond else None
        where = f"{os.path.basename(path)}:{n}"
        if word == "include":
            sub_mins, sub_skips = parse_budget(os.path.join(os.path.dirname(path), arg + ".budget"), seen)
            mins += sub_mins
            skips += sub_skips
        elif word == "min-ran" and arg.isdigit() and not rest:
            mins.append((int(arg), cond, where))
        elif word == "skip" and rest:
            skips.append((arg, cond, rest, where))
        else:
            sys.exit(f"budget: error: {path}:{n}: expected include, min-ran N [COND] or skip TEST [COND] REASON")
    return mins, skips


def features(build):
    """The build's features (charnn-features.txt) and the machine's (root)."""
    have = set()
    path = os.path.join(build, "charnn-features.txt")
    if os.path.exists(path):
        have.update(open(path, encoding="utf-8").read().split())
    if os.geteuid() == 0:
        have.add("root")
    return have


def holds(cond, have):
    if cond is None:
        return True
    return (cond[1:] not in have) if cond.startswith("!") else (cond in have)


def labels(build):
    """Each registered test's labels, from ctest --show-only=json-v1."""
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"budget: error: ctest --show-only in {build} failed: {out.stderr.strip()}")
    result = {}
    for t in json.loads(out.stdout).get("tests", []):
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        result[t["name"]] = set(props.get("LABELS", []))
    return result


def skip_reason(case):
    """What the test itself said about its skip: its 'skipped: ...' (or SKIP:)
    line, else ctest's message."""
    text = case.findtext("system-out") or ""
    for line in text.splitlines():
        if re.match(r"\s*(skipped:|SKIP:)", line):
            return line.strip()
    el = case.find("skipped")
    if case.get("status") == "disabled":
        return "disabled"
    return el.get("message", "") if el is not None else ""


def main():
    ap = argparse.ArgumentParser(description="check a stage's ctest results against its skip budget")
    ap.add_argument("stage")
    ap.add_argument("build")
    ap.add_argument("--junit", help="ctest --output-junit file (default BUILD/Testing/charnn-junit.xml)")
    ap.add_argument("--budget-dir", default=HERE)
    ap.add_argument("--skips-only", action="store_true",
                    help="do not check the minimum number of tests (a run narrowed by ctest arguments)")
    a = ap.parse_args()
    junit = a.junit or os.path.join(a.build, "Testing", "charnn-junit.xml")
    budget_path = os.path.join(a.budget_dir, a.stage + ".budget")
    mins, skips = parse_budget(budget_path)
    have = features(a.build)
    try:
        cases = ET.parse(junit).getroot().iter("testcase")
        cases = list(cases)
    except (OSError, ET.ParseError) as e:
        print(f"budget {a.stage}: error: no ctest results in {junit} ({e})", file=sys.stderr)
        return 1
    tags = labels(a.build)
    errors, expected = [], []
    ran = 0
    for case in cases:
        name, status = case.get("name"), case.get("status")
        if status in ("run", "fail"):
            ran += 1
            continue
        entry = next((s for s in skips if holds(s[1], have) and
                      (s[0] == name or (s[0].startswith("label:") and s[0][6:] in tags.get(name, ())))), None)
        said = skip_reason(case)
        if entry:
            expected.append(f"  {name} [{entry[3]}]: {said or entry[2]}")
        else:
            errors.append(f"{name} skipped, not in the budget {os.path.basename(budget_path)}: {said}")
    floor = [m for m in mins if holds(m[1], have)]
    need = max((m[0] for m in floor), default=0)
    if not a.skips_only:
        if not floor:
            errors.append(f"the budget {os.path.basename(budget_path)} has no min-ran for this build ({' '.join(sorted(have)) or 'no features'})")
        elif ran < need:
            errors.append(f"only {ran} tests ran, the stage's minimum is {need}: tests were lost")
    print(f"budget {a.stage}: {ran} ran (minimum {need if not a.skips_only else 'not checked'}), "
          f"{len(expected)} skipped as expected{':' if expected else ''}")
    for line in expected:
        print(line)
    for e in errors:
        print(f"budget {a.stage}: error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
