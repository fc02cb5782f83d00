#!/usr/bin/env python3
"""scaling_csv.py — the table of a scaling sweep (launch/sweep) from its runs.

usage: scaling_csv.py DIR/runs.tsv [-o DIR/scaling.csv]

runs.tsv (written by launch/sweep) has a header and one line per mode and rank
count: mode, ranks, global_batch, threads, run (a directory relative to the
file's, holding metrics.jsonl from --profile --log-every K and train.log, the
output of launch/charnn and the trainer). Several lines for the same mode and
rank count (launch/sweep --repeat N) are repetitions: the fastest (least
ms_per_step) is kept. For each mode and rank count it writes one CSV row:

  mode, ranks, threads, global_batch, batch_per_rank, seq, params
  warm_steps        the steps after the first log interval (warm-up excluded)
  ms_per_step       their wall time per step: the seconds of the log intervals
                    after the first (each interval's chars / chars_per_s, the
                    same as the time_s difference of its train lines, without
                    time_s's ms rounding) over their steps
  chars_per_s       global_batch x seq x 1000 / ms_per_step
  speedup           chars_per_s / chars_per_s(P0) x P0, P0 the smallest rank
                    count of the mode (1 in a normal sweep)
  efficiency        speedup / ranks: strong scaling T(P0) P0 / (T(P) P); weak
                    scaling chars_per_s(P) / (P chars_per_s(1))
  PHASE_ms_median, PHASE_ms_max  for PHASE in compute, allreduce, optim, data:
                    the profile lines' median and maximum across ranks of the
                    ms per step, averaged over the log intervals after the
                    first (weighted by their steps)
  loss              the training loss at the last step
  repeats           how many runs were made of this mode and rank count
  ms_per_step_all   their ms_per_step, ';'-separated, in the order run
  run               the run directory (of the fastest)

and prints a short table on stdout. Only the standard library."""
import argparse
import csv
import json
import os
import re
import sys

PHASES = ("compute", "allreduce", "optim", "data")
COLUMNS = (["mode", "ranks", "threads", "global_batch", "batch_per_rank", "seq", "params",
            "warm_steps", "ms_per_step", "chars_per_s", "speedup", "efficiency"]
           + [f"{p}_ms_{s}" for p in PHASES for s in ("median", "max")]
           + ["loss", "repeats", "ms_per_step_all", "run"])
BANNER = re.compile(r"charnn-train: \w+ \d+x\d+, vocab \d+, (\d+) params \|.*batch (\d+)x(\d+)")


def fail(msg):
    sys.exit(f"scaling_csv.py: error: {msg}")


def read_log(path):
    """params, global batch, seq and threads per rank from train.log."""
    params = seq = threads = None
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    m = BANNER.search(text)
    if m:
        params, seq = int(m.group(1)), int(m.group(3))
    for line in text.splitlines():
        if re.match(r"\s+command\s", line):  # launch/charnn's layout: the exact command
            t = re.findall(r"--threads[= ](\d+)", line)
            if t:
                threads = int(t[-1])
        elif threads is None and re.match(r"\s+threads\s", line):
            t = re.search(r"OMP_NUM_THREADS=(\d+)", line)
            if t:
                threads = int(t.group(1))
    return params, seq, threads


def read_metrics(path):
    train, prof = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    fail(f"{path}:{n}: not JSON")
                if rec.get("type") == "train":
                    train.append(rec)
                elif rec.get("type") == "profile":
                    prof.append(rec)
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    return train, prof


def summarize(run_dir, ranks, global_batch):
    train, prof = read_metrics(os.path.join(run_dir, "metrics.jsonl"))
    params, seq, threads = read_log(os.path.join(run_dir, "train.log"))
    if len(train) < 2:
        fail(f"{run_dir}: {len(train)} train metrics line(s); need two or more "
             "(steps >= 2 x log-every)")
    first, last = train[0], train[-1]
    warm = last["step"] - first["step"]
    if warm <= 0:
        fail(f"{run_dir}: no steps after the first log interval")
    if seq is not None and all(t["chars_per_s"] > 0 for t in train[1:]):
        # each interval's chars/s is the trainer's exact chars / seconds
        # (time_s has only ms resolution): total seconds / steps
        secs = sum((b["step"] - a["step"]) * global_batch * seq / b["chars_per_s"]
                   for a, b in zip(train, train[1:]))
        ms = secs * 1000.0 / warm
    else:
        ms = (last["time_s"] - first["time_s"]) * 1000.0 / warm
    if seq is None:  # no banner: recover seq from the throughput of the warm intervals
        seq = round(sum(t["chars_per_s"] for t in train[1:]) / (len(train) - 1)
                    * ms / 1000.0 / global_batch)
    row = {
        "ranks": ranks, "threads": threads if threads is not None else "",
        "global_batch": global_batch,
        "batch_per_rank": (str(global_batch // ranks) if global_batch % ranks == 0
                           else f"{global_batch / ranks:.2f}"),
        "seq": seq, "params": params if params is not None else "",
        "warm_steps": warm, "ms_per_step": ms,
        "chars_per_s": global_batch * seq * 1000.0 / ms if ms > 0 else float("nan"),
        "loss": last["loss"],
    }
    warm_prof = [p for p in prof if p["step"] > first["step"]]
    if not warm_prof:
        fail(f"{run_dir}: no profile lines after the first log interval (run with --profile)")
    total = sum(p["steps"] for p in warm_prof)
    for phase in PHASES:
        for stat in ("median", "max"):
            row[f"{phase}_ms_{stat}"] = sum(
                p["ms_per_step"][phase][stat] * p["steps"] for p in warm_prof) / total
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("manifest", help="runs.tsv written by launch/sweep")
    ap.add_argument("-o", "--output", help="CSV file (default: scaling.csv beside runs.tsv)")
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.manifest))
    out = a.output or os.path.join(base, "scaling.csv")
    with open(a.manifest, encoding="utf-8") as f:
        entries = list(csv.DictReader(f, delimiter="\t"))
    if not entries:
        fail(f"{a.manifest}: no runs")
    cache, groups = {}, {}
    for e in entries:
        run = e["run"]
        key = (run, int(e["ranks"]), int(e["global_batch"]))
        if key not in cache:
            cache[key] = summarize(os.path.join(base, run), key[1], key[2])
        groups.setdefault((e["mode"], key[1]), []).append(dict(cache[key], mode=e["mode"], run=run))
    rows = []
    for reps in groups.values():
        best = dict(min(reps, key=lambda r: r["ms_per_step"]))
        best["repeats"] = len(reps)
        best["ms_per_step_all"] = ";".join(f"{r['ms_per_step']:.4f}" for r in reps)
        rows.append(best)
    for mode in sorted({r["mode"] for r in rows}):
        group = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["ranks"])
        b = group[0]
        for r in group:
            r["speedup"] = r["chars_per_s"] / b["chars_per_s"] * b["ranks"]
            r["efficiency"] = r["speedup"] / r["ranks"]
    rows.sort(key=lambda r: (r["mode"], r["ranks"]))

    def fmt(v, col):
        if isinstance(v, float):
            if col == "chars_per_s":
                return f"{v:.1f}"
            if col in ("speedup", "efficiency"):
                return f"{v:.3f}"
            return f"{v:.4f}"  # loss, ms
        return str(v)

    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([fmt(r[c], c) for c in COLUMNS])

    print(f"{'mode':<7}{'P':>4}{'batch':>7}{'chars/s':>11}{'ms/step':>10}{'compute':>10}"
          f"{'allreduce':>11}{'optim':>8}{'speedup':>9}{'eff':>7}")
    for r in rows:
        print(f"{r['mode']:<7}{r['ranks']:>4}{r['global_batch']:>7}{r['chars_per_s']:>11.0f}"
              f"{r['ms_per_step']:>10.2f}{r['compute_ms_median']:>10.2f}"
              f"{r['allreduce_ms_median']:>11.2f}{r['optim_ms_median']:>8.2f}"
              f"{r['speedup']:>9.2f}{r['efficiency']:>7.2f}")


if __name__ == "__main__":
    main()
