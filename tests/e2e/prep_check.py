#!/usr/bin/python3
"""prep_check.py — check a CORPUS.h5 against its text files, recomputed here.

usage: prep_check.py CORPUS.h5 [--encoding NAME] [--val-frac F] [--min-count N] TEXT...

Decodes the texts with Python (a leading BOM of each file dropped, as
charnn does), concatenates them, builds the vocabulary (sorted code points;
characters seen fewer than N times become U+FFFD, which joins the
vocabulary), maps every character to its id and splits off the tail
floor(n * F) as validation; then /vocab, /train, /val and the attributes of
CORPUS.h5 must be exactly that. Prints one summary line; exit 1 on a
difference. Needs h5py and numpy (Debian's /usr/bin/python3)."""
import argparse
import math
import sys
from collections import Counter

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("texts", nargs="+")
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--val-frac", type=float, default=0.05)
    ap.add_argument("--min-count", type=int, default=0)
    a = ap.parse_args()
    parts = []
    for path in a.texts:
        s = open(path, "rb").read().decode(a.encoding)
        parts.append(s[1:] if s.startswith("\ufeff") else s)
    text = "".join(parts)
    counts = Counter(text)
    keep = {c for c, k in counts.items() if k >= a.min_count}
    rare = set(counts) - keep
    vocab = sorted(ord(c) for c in keep | ({"\ufffd"} if rare else set()))
    index = {cp: i for i, cp in enumerate(vocab)}
    unk = index.get(0xFFFD)
    ids = np.fromiter((index[ord(c)] if c in keep else unk for c in text), dtype=np.uint32,
                      count=len(text))
    n = len(text)
    n_val = math.floor(n * a.val_frac)
    problems = []
    with h5py.File(a.corpus, "r") as f:
        want_dtype = np.uint16 if len(vocab) <= 65536 else np.uint32
        for name, want in (("vocab", np.array(vocab, np.uint32)), ("train", ids[: n - n_val]),
                           ("val", ids[n - n_val:])):
            got = f[name][...]
            dt = np.uint32 if name == "vocab" else want_dtype
            if got.dtype != dt:
                problems.append(f"/{name} has dtype {got.dtype}, expected {np.dtype(dt)}")
            if got.shape != want.shape or not np.array_equal(got.astype(np.uint32), want):
                where = ""
                if got.shape == want.shape:
                    where = f" (first at {int(np.argmax(got.astype(np.uint32) != want))})"
                problems.append(f"/{name}: shape {got.shape} vs expected {want.shape}, "
                                f"contents differ{where}")
        at = f.attrs
        want_attrs = {"format": "charnn-corpus", "version": 1, "n_train": n - n_val,
                      "n_val": n_val, "n_unknown": sum(counts[c] for c in rare),
                      "min_count": a.min_count, "val_frac": a.val_frac,
                      "encoding": a.encoding, "sources": list(a.texts),
                      "source_chars": [len(p) for p in parts]}
        for k, v in want_attrs.items():
            got = at.get(k)
            if isinstance(got, bytes):
                got = got.decode()
            if isinstance(got, np.ndarray):
                got = [x.decode() if isinstance(x, bytes) else x for x in got.tolist()]
            if got != v:
                problems.append(f"attribute {k} = {got!r}, expected {v!r}")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    print(f"prep_check: {a.corpus}: {n} characters, vocabulary {len(vocab)}, "
          f"{len(rare)} rare -> U+FFFD, train {n - n_val}, val {n_val}: "
          f"{'ok' if not problems else 'MISMATCH'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
