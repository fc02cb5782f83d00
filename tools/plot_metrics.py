#!/usr/bin/env python3
"""plot_metrics.py — loss curves from charnn-train metrics files -> PNG.

usage: plot_metrics.py METRICS.jsonl [METRICS.jsonl ...] [-o loss.png]
                       [--smooth K] [--title TEXT]

  tools/plot_metrics.py runs/anna/metrics.jsonl -o loss.png
  tools/plot_metrics.py runs/a/metrics.jsonl runs/b/metrics.jsonl -o ab.png

Two panels: the training loss ("train" lines: loss of the step logged every
--log-every steps) and the validation loss ("eval" lines: val_loss) against
the step, and the same against wall time (time_s, in minutes or hours when
long). A resumed run appends to its metrics file and its clock starts again at
0: each later segment is shifted to start where the previous one ended, so the
time axis is training time without the gaps between jobs. Profile lines are
ignored. Several files are drawn in the same panels, labelled by their
directory. --smooth K also draws a K-point moving average of the training loss.
Needs matplotlib (Debian: python3-matplotlib; when the python3 running it has
none, it runs itself again under /usr/bin/python3)."""
import argparse
import json
import os
import sys

from mpl import pyplot

plt = pyplot()


def load(path):
    """train and eval points (step, loss, time_s) of one metrics file, with the
    time of resumed segments made continuous."""
    train, evals = [], []
    offset = last_raw = last_time = 0.0
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        sys.exit(f"plot_metrics.py: cannot read {path}: {e}")
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                sys.exit(f"plot_metrics.py: {path}:{n}: not a JSON line")
            kind = rec.get("type")
            if kind not in ("train", "eval"):
                continue
            raw = float(rec.get("time_s", 0.0))
            if raw < last_raw - 1e-9:  # the clock went back: a resumed run
                offset = last_time
            last_raw = raw
            t = raw + offset
            last_time = t
            if kind == "train":
                train.append((rec["step"], rec["loss"], t))
            else:
                evals.append((rec["step"], rec["val_loss"], t))
    return train, evals


def moving_average(ys, k):
    out, acc = [], 0.0
    for i, y in enumerate(ys):
        acc += y
        if i >= k:
            acc -= ys[i - k]
        out.append(acc / min(i + 1, k))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("metrics", nargs="+", help="metrics.jsonl file(s)")
    ap.add_argument("-o", "--output", default="loss.png", help="PNG file (default loss.png)")
    ap.add_argument("--smooth", type=int, default=0, metavar="K",
                    help="also draw a K-point moving average of the training loss")
    ap.add_argument("--title", help="figure title")
    a = ap.parse_args()

    runs = [(p, *load(p)) for p in a.metrics]
    if not any(tr or ev for _, tr, ev in runs):
        sys.exit("plot_metrics.py: no train or eval lines in " + ", ".join(a.metrics))
    t_max = max((pt[2] for _, tr, ev in runs for pt in tr + ev), default=0.0)
    unit, scale = ("h", 3600.0) if t_max >= 7200 else ("min", 60.0) if t_max >= 120 else ("s", 1.0)

    fig, (ax_s, ax_t) = plt.subplots(1, 2, figsize=(12, 4.2), dpi=90)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (path, train, evals) in enumerate(runs):
        c = colors[i % len(colors)]
        name = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        prefix = f"{name}: " if len(runs) > 1 else ""
        for ax, x in ((ax_s, 0), (ax_t, 2)):
            div = 1.0 if x == 0 else scale
            if train:
                xs = [p[x] / div for p in train]
                ys = [p[1] for p in train]
                ax.plot(xs, ys, color=c, lw=1, alpha=0.45 if a.smooth > 1 else 0.9,
                        label=prefix + "train")
                if a.smooth > 1:
                    ax.plot(xs, moving_average(ys, a.smooth), color=c, lw=1.6,
                            label=prefix + f"train ({a.smooth}-pt avg)")
            if evals:
                ax.plot([p[x] / div for p in evals], [p[1] for p in evals], color=c, ls="--",
                        marker="o", ms=4, lw=1.4, label=prefix + "validation")
    ax_s.set_xlabel("step")
    ax_t.set_xlabel(f"wall time ({unit})")
    for ax in (ax_s, ax_t):
        ax.set_ylabel("loss (nats / char)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax_s.set_title("loss vs step")
    ax_t.set_title("loss vs wall time")
    title = a.title or (a.metrics[0] if len(a.metrics) == 1 else None)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(a.output)
    print(f"plot_metrics.py: wrote {a.output}")


if __name__ == "__main__":
    main()
