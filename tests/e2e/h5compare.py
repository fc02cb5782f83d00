#!/usr/bin/python3
"""h5compare.py — compare the datasets of two HDF5 files (e.g. two checkpoints).

usage: h5compare.py A.h5 B.h5 [--group G]... [--exact | --atol X | --min-diff X]
                    [--attrs] [--quiet]

Every dataset under each --group (recursively; default "/") is paired by name
between A and B; one line per dataset gives its shape and the max abs
difference, then an overall line. The two files must hold the same dataset
names, shapes and dtypes under those groups (else exit 1).
  --exact       exit 1 unless every dataset is bitwise identical (raw bytes;
                so -0.0 != 0.0 and NaN == NaN of the same payload)
  --atol X      exit 1 if any max abs difference exceeds X (or is NaN)
  --min-diff X  the opposite check: exit 1 unless the overall max abs
                difference exceeds X (to show that training changed weights)
  --attrs       also compare the attributes of the groups and datasets
                (exactly with --exact, numbers within --atol with --atol)
  --quiet       no per-dataset lines: only the overall line and failures
Without a mode it only reports (exit 0). Exit 2: usage or unreadable file.
Needs h5py and numpy (Debian's /usr/bin/python3)."""
import argparse
import sys

import h5py
import numpy as np


def collect(f, group):
    """{relative name: dataset} under group, plus {relative name: attrs} of
    the group itself and every object under it."""
    if group not in f:
        return None, None
    root = f[group]
    datasets, attrs = {}, {"": dict(root.attrs)}
    if isinstance(root, h5py.Dataset):
        return {"": root}, attrs

    def visit(name, obj):
        attrs[name] = dict(obj.attrs)
        if isinstance(obj, h5py.Dataset):
            datasets[name] = obj

    root.visititems(visit)
    return datasets, attrs


def full(group, name):
    if not name:
        return group
    return group.rstrip("/") + "/" + name


def max_abs_diff(a, b):
    if a.size == 0:
        return 0.0
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        both_nan = np.isnan(a.astype(np.float64)) & np.isnan(b.astype(np.float64))
        d[both_nan] = 0.0
        return float(np.max(d))
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        return float(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64))))
    return 0.0 if np.array_equal(a, b) else float("inf")


def attr_equal(x, y, atol):
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        return False
    if atol is not None and x.dtype.kind in "iuf" and y.dtype.kind in "iuf":
        return bool(np.all(np.abs(x.astype(np.float64) - y.astype(np.float64)) <= atol))
    if x.dtype.kind in "iufb" and y.dtype.kind in "iufb":
        return x.dtype == y.dtype and x.tobytes() == y.tobytes()
    return bool(np.all(x == y))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--group", action="append", help="group to compare (repeatable)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--exact", action="store_true")
    mode.add_argument("--atol", type=float)
    mode.add_argument("--min-diff", type=float)
    ap.add_argument("--attrs", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    groups = args.group or ["/"]

    try:
        fa, fb = h5py.File(args.a, "r"), h5py.File(args.b, "r")
    except OSError as e:
        print(f"h5compare: cannot open: {e}", file=sys.stderr)
        return 2

    bad, overall, n, n_attrs = [], 0.0, 0, 0
    for g in groups:
        da, aa = collect(fa, g)
        db, ab = collect(fb, g)
        if da is None or db is None:
            bad.append(f"{g}: missing in {args.a if da is None else args.b}")
            continue
        for name in sorted(set(da) ^ set(db)):
            where = args.b if name in da else args.a
            bad.append(f"{full(g, name)}: dataset missing in {where}")
        for name in sorted(set(da) & set(db)):
            x, y = da[name], db[name]
            path = full(g, name)
            if x.shape != y.shape or x.dtype != y.dtype:
                bad.append(f"{path}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
                continue
            xa, ya = x[()], y[()]
            xa, ya = np.asarray(xa), np.asarray(ya)
            d = max_abs_diff(xa, ya)
            same = xa.tobytes() == ya.tobytes()
            n += 1
            overall = d if np.isnan(d) else max(overall, d)
            over = (args.exact and not same) or (
                args.atol is not None and not (d <= args.atol))
            if over:
                diff = int(np.count_nonzero(xa != ya)) if xa.dtype.kind != "O" else -1
                bad.append(f"{path}: max abs diff {d:.6g} ({diff} of {xa.size} elements "
                           f"differ{', not bitwise equal' if not same else ''})")
            if not args.quiet:
                print(f"{path:40s} {str(x.shape):14s} max_abs_diff {d:.6g}"
                      f"{'' if same else '  (bits differ)'}")
        if args.attrs:
            for name in sorted(set(aa) & set(ab)):
                xa, xb = aa[name], ab[name]
                for key in sorted(set(xa) | set(xb)):
                    n_attrs += 1
                    where = f"{full(g, name)}@{key}"
                    if key not in xa or key not in xb:
                        bad.append(f"{where}: attribute missing in "
                                   f"{args.a if key not in xa else args.b}")
                    elif not attr_equal(xa[key], xb[key],
                                        None if args.exact else args.atol):
                        if args.exact or args.atol is not None:
                            bad.append(f"{where}: {xa[key]!r} vs {xb[key]!r}")
                        elif not args.quiet:
                            print(f"{where}: {xa[key]!r} vs {xb[key]!r}")
    if n == 0 and n_attrs == 0 and not bad:
        bad.append(f"nothing to compare under {', '.join(groups)}")
    if args.min_diff is not None and not (overall > args.min_diff):
        bad.append(f"overall max abs diff {overall:.6g} is not above --min-diff "
                   f"{args.min_diff:g}: the files do not differ enough")
    extra = f", {n_attrs} attributes" if args.attrs else ""
    print(f"overall: {n} datasets{extra}, max abs diff {overall:.6g} ({args.a} vs {args.b})")
    for line in bad:
        print(f"h5compare: MISMATCH {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
