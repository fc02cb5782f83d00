#!/usr/bin/env python3
"""cost_model.py — predicted data-parallel scaling of charnn (docs/scaling.md).

usage: cost_model.py [CONFIG.ini ...] [--vocab NAME=V ...] [--tflops R]
                     [--kernel-us TAU] [--markdown]

For each config (default: configs/*.ini) it prints the parameters, gradient
bytes, FLOPs per step, the predicted time per step on one GPU, and for each
interconnect (8 GPUs over NVLink, 64 GPUs over InfiniBand) the all-reduce time
and the strong- and weak-scaling efficiency. The model (docs/scaling.md):

  params   per recurrent layer l: G*H*(In_l + H) + 2*G*H, G = 4 (LSTM),
           3 (GRU), 1 (tanh RNN), In_1 = V, In_l = H above; decoder V*H + V
  FLOP     per character: layer 1: 6*G*H*H (its input is a one-hot lookup:
           no GEMM), layers above: 6*G*H*2H, decoder 6*H*V (forward 2 FLOPs
           per multiply-add, backward twice the forward)
  compute  t_c(rows) = seq*L*K*tau + FLOP/char * rows * seq / R:
           the sequential chain of seq*L*K dependent small kernels (K = 4 per
           layer and time step: recurrent GEMM + cell forward, cell backward +
           recurrent GEMM) at tau each, plus the FLOPs at R
  all-reduce (ring) t_ar = 2(P-1)/P * bytes / busbw + 2(P-1) * alpha, bytes =
           4 * params (float32); plus two tiny host MPI all-reduces per step
           (loss sum, stop/save agreement): 2 * ceil(log2 P) * alpha_mpi
  step     T(P) = t_c(rows per rank) + t_ar(P) (no overlap: the all-reduce
           starts after the backward pass)
  strong   rows per rank = ceil(batch / P): efficiency T(1) / (P * T(P))
  weak     rows per rank = batch:           efficiency T(1) / T(P)
           (also shown with a tree's latency term, 2*log2(P)*alpha, in place
           of the ring's: what NCCL's tree algorithm pays across nodes)
Only the standard library."""
import argparse
import configparser
import glob
import math
import os

VOCAB = {"anna": 83, "shakespeare": 65, "chinese": 4400, "bible": 73}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
NETS = [  # name, ranks, bus bandwidth (bytes/s), ring step latency (s), MPI latency (s)
    ("8 GPUs, NVLink", 8, 200e9, 10e-6, 2e-6),
    ("64 GPUs (8 nodes x 8), InfiniBand NDR", 64, 40e9, 30e-6, 5e-6),
]


def read_config(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    with open(path, encoding="utf-8") as f:
        cp.read_string("[c]\n" + f.read())
    c = cp["c"]
    return {"cell": c.get("cell", "lstm"), "hidden": c.getint("hidden", 512),
            "layers": c.getint("layers", 2), "batch": c.getint("batch", 100),
            "seq": c.getint("seq", 100)}


def params(cfg, V):
    G, H, L = GATES[cfg["cell"]], cfg["hidden"], cfg["layers"]
    n = 0
    for layer in range(L):
        n_in = V if layer == 0 else H
        n += G * H * (n_in + H) + 2 * G * H
    return n + V * H + V


def flop_per_char(cfg, V):
    G, H, L = GATES[cfg["cell"]], cfg["hidden"], cfg["layers"]
    return 6 * G * H * H + (L - 1) * 6 * G * H * 2 * H + 6 * H * V


def t_compute(cfg, V, rows, R, tau, K=4):
    return cfg["seq"] * cfg["layers"] * K * tau + flop_per_char(cfg, V) * rows * cfg["seq"] / R


def t_allreduce(nbytes, P, busbw, alpha, alpha_mpi):
    if P == 1:
        return 0.0
    return (2 * (P - 1) / P * nbytes / busbw + 2 * (P - 1) * alpha
            + 2 * math.ceil(math.log2(P)) * alpha_mpi)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="*", help="INI files (default: configs/*.ini)")
    ap.add_argument("--vocab", action="append", default=[], metavar="NAME=V",
                    help="vocabulary size for the config named NAME (default: "
                    + ", ".join(f"{k}={v}" for k, v in VOCAB.items()) + ")")
    ap.add_argument("--tflops", type=float, default=20.0,
                    help="achieved FP32 TFLOP/s of the GEMMs on one GPU (default 20)")
    ap.add_argument("--kernel-us", type=float, default=6.0,
                    help="time of one dependent small kernel in the recurrence, us (default 6)")
    ap.add_argument("--markdown", action="store_true", help="markdown tables")
    a = ap.parse_args()
    vocab = dict(VOCAB)
    for v in a.vocab:
        k, _, n = v.partition("=")
        vocab[k] = int(n)
    paths = a.configs or sorted(glob.glob(os.path.join(here, "..", "configs", "*.ini")))
    R, tau = a.tflops * 1e12, a.kernel_us * 1e-6

    rows_a, rows_b = [], []
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        cfg = read_config(path)
        V = vocab.get(name, 83)
        n = params(cfg, V)
        nbytes = 4 * n
        fpc = flop_per_char(cfg, V)
        chars = cfg["batch"] * cfg["seq"]
        chain = cfg["seq"] * cfg["layers"] * 4 * tau
        t1 = t_compute(cfg, V, cfg["batch"], R, tau)
        rows_a.append([name, f"{cfg['cell'].upper()} {cfg['layers']}x{cfg['hidden']}", str(V),
                       f"{cfg['batch']}x{cfg['seq']}", f"{n:,}", f"{nbytes / 1e6:.2f}",
                       f"{fpc / 1e6:.2f}", f"{fpc * chars / 1e9:.1f}",
                       f"{chain * 1e3:.1f}", f"{t1 * 1e3:.1f}"])
        for net, P, bw, alpha, alpha_mpi in NETS:
            tar = t_allreduce(nbytes, P, bw, alpha, alpha_mpi)
            if cfg["batch"] >= P:
                rows_s = math.ceil(cfg["batch"] / P)
                ts = t_compute(cfg, V, rows_s, R, tau) + tar
                strong = f"{t1 / (P * ts):.2f} ({rows_s} rows, {ts * 1e3:.1f} ms)"
            else:
                strong = f"n/a (batch {cfg['batch']} < {P} ranks)"
            tw = t1 + tar
            # the same with a tree's latency, 2 log2(P) alpha, instead of the ring's
            tree = tar - 2 * (P - 1) * alpha + 2 * math.ceil(math.log2(P)) * alpha
            rows_b.append([name, net, f"{tar * 1e3:.2f}",
                           f"{2 * (P - 1) / P * nbytes / bw * 1e3:.2f}",
                           f"{(2 * (P - 1) * alpha) * 1e3:.2f}", strong,
                           f"{t1 / tw:.2f} ({tw * 1e3:.1f} ms)", f"{t1 / (t1 + tree):.2f}"])

    head_a = ["config", "model", "V", "batch", "params", "grad MB", "MFLOP/char",
              "GFLOP/step", "chain ms", "T(1) ms"]
    head_b = ["config", "GPUs", "t_ar ms", "bandwidth ms", "latency ms",
              "strong eff (rows/rank, T(P))", "weak eff (T(P))", "weak eff, tree latency"]
    for head, rows in ((head_a, rows_a), (head_b, rows_b)):
        if a.markdown:
            print("| " + " | ".join(head) + " |")
            print("|" + "|".join("---" for _ in head) + "|")
            for r in rows:
                print("| " + " | ".join(r) + " |")
        else:
            w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
            print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
            for r in rows:
                print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
        print()
    print(f"assumptions: {a.tflops:g} TFLOP/s achieved (FP32), {a.kernel_us:g} us per dependent "
          "kernel, " + "; ".join(f"{net}: busbw {bw / 1e9:g} GB/s, ring step latency "
                                 f"{alpha * 1e6:g} us, MPI latency {am * 1e6:g} us"
                                 for net, _, bw, alpha, am in NETS))


if __name__ == "__main__":
    main()
