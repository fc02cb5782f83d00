#!/usr/bin/env python3
"""plot_scaling.py — the plot of a scaling sweep: scaling.csv -> PNG.

usage: plot_scaling.py DIR/scaling.csv [-o DIR/scaling.png] [--title TEXT]

Three panels against the number of ranks (log2 axis), one line per mode
(strong, weak) found in the CSV (tools/scaling_csv.py, launch/sweep):
  throughput   chars/s, with the ideal (linear from the smallest rank count)
               dashed
  efficiency   speedup / ranks (1 = ideal)
  time/step    ms per step split into the --profile phases (median across
               ranks of compute, all-reduce, optimizer, data; the rest of the
               wall time per step as "other"), one bar per mode and rank count
Needs matplotlib (Debian: python3-matplotlib; when the python3 running it has
none, it runs itself again under /usr/bin/python3)."""
import argparse
import csv
import os
import sys

from mpl import pyplot

plt = pyplot()

STYLE = {"strong": ("tab:blue", "o"), "weak": ("tab:orange", "s")}
PHASES = [("compute", "tab:green"), ("allreduce", "tab:red"), ("optim", "tab:purple"),
          ("data", "tab:brown")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", help="scaling.csv")
    ap.add_argument("-o", "--output", help="PNG file (default: scaling.png beside the CSV)")
    ap.add_argument("--title", help="figure title (default: from the CSV's first row)")
    a = ap.parse_args()
    out = a.output or os.path.join(os.path.dirname(os.path.abspath(a.csv)), "scaling.png")
    with open(a.csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot_scaling.py: {a.csv}: no rows")
    for r in rows:
        for k, v in r.items():
            if k not in ("mode", "run", "batch_per_rank", "threads", "params", "ms_per_step_all"):
                try:
                    r[k] = float(v)
                except (TypeError, ValueError):
                    r[k] = float("nan")
    modes = [m for m in ("strong", "weak") if any(r["mode"] == m for r in rows)]
    modes += sorted({r["mode"] for r in rows} - set(modes))
    ranks = sorted({int(r["ranks"]) for r in rows})

    fig, (ax_t, ax_e, ax_p) = plt.subplots(1, 3, figsize=(14, 4.2), dpi=90)
    for m in modes:
        g = sorted((r for r in rows if r["mode"] == m), key=lambda r: r["ranks"])
        color, marker = STYLE.get(m, ("tab:gray", "^"))
        p = [r["ranks"] for r in g]
        base = g[0]
        label = f"{m} (batch {int(base['global_batch'])}" + (
            " per rank)" if m == "weak" else " global)")
        ax_t.plot(p, [r["chars_per_s"] for r in g], marker=marker, color=color, label=label)
        ax_t.plot(p, [base["chars_per_s"] * x / base["ranks"] for x in p], ls="--",
                  color=color, alpha=0.5, lw=1)
        ax_e.plot(p, [r["efficiency"] for r in g], marker=marker, color=color, label=m)
    ax_t.set_ylabel("chars/s (after warm-up)")
    ax_t.set_title("throughput (dashed: ideal)")
    ax_t.legend(fontsize=8)
    ax_e.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax_e.set_ylabel("efficiency = speedup / ranks")
    ax_e.set_title("parallel efficiency")
    ax_e.set_ylim(bottom=0, top=max(1.1, max(r["efficiency"] for r in rows) * 1.1))
    ax_e.legend(fontsize=8)
    for ax in (ax_t, ax_e):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ranks)
        ax.set_xticklabels([str(p) for p in ranks])
        ax.minorticks_off()
        ax.set_xlabel("ranks")
        ax.grid(alpha=0.3)

    # time per step by phase: bars grouped by rank count, one per mode
    width = 0.8 / len(modes)
    labels_done = set()
    for i, m in enumerate(modes):
        hatch = "" if i == 0 else "//"
        for j, p in enumerate(ranks):
            r = next((r for r in rows if r["mode"] == m and int(r["ranks"]) == p), None)
            if r is None:
                continue
            x = j - 0.4 + width * (i + 0.5)
            bottom = 0.0
            for phase, color in PHASES:
                v = r[f"{phase}_ms_median"]
                lab = phase if phase not in labels_done else None
                labels_done.add(phase)
                ax_p.bar(x, v, width * 0.9, bottom=bottom, color=color, hatch=hatch,
                         edgecolor="white", label=lab)
                bottom += v
            other = max(0.0, r["ms_per_step"] - bottom)
            lab = "other" if "other" not in labels_done else None
            labels_done.add("other")
            ax_p.bar(x, other, width * 0.9, bottom=bottom, color="lightgray", hatch=hatch,
                     edgecolor="white", label=lab)
    ax_p.set_xticks(range(len(ranks)))
    ax_p.set_xticklabels([str(p) for p in ranks])
    ax_p.set_xlabel("ranks" + ("  (bars: " + ", ".join(
        m + ("" if i == 0 else " hatched") for i, m in enumerate(modes)) + ")"
        if len(modes) > 1 else ""))
    ax_p.set_ylabel("ms per step (median over ranks)")
    ax_p.set_title("time per step by phase")
    ax_p.legend(fontsize=8)
    ax_p.grid(axis="y", alpha=0.3)

    r0 = rows[0]
    title = a.title or (f"charnn scaling: {r0['params']} params, seq {int(r0['seq'])}, "
                        f"{r0['threads'] or '?'} thread(s) per rank")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out)
    print(f"plot_scaling.py: wrote {out}")


if __name__ == "__main__":
    main()
