#!/usr/bin/env python3
"""torch_check.py — cross-checks charnn's loss and gradients against PyTorch.

usage: torch_check.py --check score|grad --cell lstm|gru|rnn [--build DIR] [--source DIR]
  score: train a small model with charnn-train, then the mean cross-entropy of a
         held-out text from a zero state, PyTorch (float64 and float32) against
         `charnn-sample --score`: |difference| <= 1e-4 nats/char (absolute).
  grad:  the same trained model; window 0 of the notebook batching of a text,
         gradients of the mean loss by `charnn-grad-dump` against loss.backward()
         in float64: ||ours - torch|| / ||torch|| <= 1e-4 per tensor, and the
         loss to 1e-5 (absolute).
Exit 0 = pass, 1 = fail, 77 = skipped (no torch)."""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SCORE_TOL = 1e-4  # absolute, nats per character
GRAD_TOL = 1e-4   # relative norm per tensor
LOSS_TOL = 1e-5   # absolute, mean nats per character
TRAIN_ARGS = ["--hidden", "32", "--layers", "2", "--batch", "8", "--seq", "20",
              "--steps", "150", "--dropout", "0.2", "--lr", "0.01", "--device", "cpu",
              "--val-frac", "0.1", "--threads", "1", "--log-every", "10",
              "--eval-every", "0", "--save-every", "0"]
GRAD_ROWS, GRAD_SEQ = 8, 20

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: python3-torch not installed ({e})")
    sys.exit(77)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", choices=["score", "grad"], required=True)
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], required=True)
    ap.add_argument("--build", default=os.environ.get("CHARNN_BUILD"))
    ap.add_argument("--source", default=os.environ.get("CHARNN_SOURCE",
                    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if not a.build:
        ap.error("--build DIR (or CHARNN_BUILD) is required")
    return a


def run(cmd, stdout=subprocess.PIPE):
    """Runs cmd, failing the test with its output when it fails; returns stdout."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    out = p.stdout.decode("utf-8", "replace") if p.stdout is not None else ""
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}:\n{out}{p.stderr.decode('utf-8', 'replace')}")
    return out


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def gen_text(src, chars, seed, path):
    with open(path, "wb") as f:
        run([sys.executable, os.path.join(src, "tests/e2e/gen_text.py"), "english",
             str(chars), str(seed)], stdout=f)


def train(a, work):
    """Trains the small model on a 30k-character text; returns DIR/latest.h5."""
    data, out = os.path.join(work, "train.txt"), os.path.join(work, "run")
    gen_text(a.source, 30000, 1, data)
    run([os.path.join(a.build, "charnn-train"), "--data", data, "--cell", a.cell,
         "--out", out, *TRAIN_ARGS])
    return os.path.join(out, "latest.h5")


def load_model(ckpt, cell, dtype):
    """The checkpoint as PyTorch modules (rnn, decoder) and its vocabulary."""
    with h5py.File(ckpt, "r") as f:
        g = f["model"]
        got = g.attrs["cell"]
        got = got.decode() if isinstance(got, bytes) else str(got)
        if got != cell:
            fail(f"{ckpt}: cell '{got}', expected '{cell}'")
        V, H, L = (int(g.attrs[k]) for k in ("vocab_size", "hidden_size", "num_layers"))
        state = {k: torch.from_numpy(np.asarray(g[k])) for k in g.keys()}
        vocab = [int(c) for c in f["vocab"][()]]
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    net = torch.nn.ModuleDict({"rnn": kind(V, H, L, batch_first=True),
                               "decoder": torch.nn.Linear(H, V)})
    net.load_state_dict(state, strict=True)  # names and shapes must match exactly
    return net.to(dtype), vocab


def text_ids(path, vocab):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    index = {cp: i for i, cp in enumerate(vocab)}
    missing = sorted({c for c in text if ord(c) not in index})
    if missing:
        fail(f"{path}: characters outside the vocabulary: {missing[:10]}")
    return text, torch.tensor([index[ord(c)] for c in text], dtype=torch.long)


def mean_xent(net, x, y, dtype):
    """Mean cross-entropy of targets y (B, T) given inputs x (B, T), zero state."""
    V = net["decoder"].out_features
    out, _ = net["rnn"](torch.nn.functional.one_hot(x, V).to(dtype))
    logits = net["decoder"](out)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))


def check_score(a, work, ckpt):
    path = os.path.join(work, "heldout.txt")
    gen_text(a.source, 3000, 2, path)
    ours = json.loads(run([os.path.join(a.build, "charnn-sample"), ckpt, "--score", path,
                           "--device", "cpu", "--threads", "1"]))
    ok = True
    for dtype in (torch.float64, torch.float32):
        net, vocab = load_model(ckpt, a.cell, dtype)
        text, ids = text_ids(path, vocab)
        with torch.no_grad():
            ref = mean_xent(net, ids[None, :-1], ids[None, 1:], dtype).item()
        diff = abs(ours["nats_per_char"] - ref)
        print(f"score {a.cell} torch {str(dtype)[6:]}: {ref:.9f}  charnn: "
              f"{ours['nats_per_char']:.9f}  |diff| {diff:.3g} (tol {SCORE_TOL:g} abs)")
        ok &= diff <= SCORE_TOL
    if ours["chars"] != len(text) - 1:
        fail(f"chars {ours['chars']}, expected {len(text) - 1}")
    bits = ours["nats_per_char"] / math.log(2)
    if abs(ours["bits_per_char"] - bits) > 1e-7 * bits:
        fail(f"bits_per_char {ours['bits_per_char']} != nats_per_char / ln 2 = {bits}")
    if not ok:
        fail(f"{a.cell}: score differs from PyTorch by more than {SCORE_TOL:g}")


def notebook_window0(ids, N, M):
    """Window 0 of the notebook batching: row i starts at i*K*M, columns [0, M)."""
    K = (len(ids) - 1) // (N * M)
    if K < 1:
        fail(f"text of {len(ids)} characters too short for {N} rows of {M}")
    starts = torch.arange(N)[:, None] * K * M + torch.arange(M)[None, :]
    return ids[starts], ids[starts + 1]


def check_grad(a, work, ckpt):
    path, grads = os.path.join(work, "grad.txt"), os.path.join(work, "grads.h5")
    gen_text(a.source, 3000, 3, path)
    run([os.path.join(a.build, "charnn-grad-dump"), ckpt, path, "--rows", str(GRAD_ROWS),
         "--seq", str(GRAD_SEQ), "--out", grads])
    net, vocab = load_model(ckpt, a.cell, torch.float64)
    _, ids = text_ids(path, vocab)
    x, y = notebook_window0(ids, GRAD_ROWS, GRAD_SEQ)
    loss = mean_xent(net, x, y, torch.float64)
    loss.backward()
    with h5py.File(grads, "r") as f:
        ours_loss = float(f["loss"][()])
        ours = {k: np.asarray(f[k], dtype=np.float64) for k in f.keys() if k != "loss"}
    params = dict(net.named_parameters())
    if set(ours) != set(params):
        fail(f"tensors differ: ours {sorted(ours)}, torch {sorted(params)}")
    worst, bad = 0.0, []
    for name, p in params.items():
        ref = p.grad.numpy()
        if ours[name].shape != ref.shape:
            fail(f"{name}: shape {ours[name].shape}, torch {ref.shape}")
        rel = np.linalg.norm(ours[name] - ref) / max(np.linalg.norm(ref), 1e-30)
        worst = max(worst, rel)
        print(f"grad {a.cell} {name:22s} |torch| {np.linalg.norm(ref):.4g}  rel diff {rel:.3g}")
        if rel > GRAD_TOL:
            bad.append(name)
    ldiff = abs(ours_loss - loss.item())
    print(f"grad {a.cell}: loss charnn {ours_loss:.9f} torch {loss.item():.9f} |diff| {ldiff:.3g}"
          f" (tol {LOSS_TOL:g}); worst tensor rel diff {worst:.3g} (tol {GRAD_TOL:g})")
    if bad or ldiff > LOSS_TOL:
        fail(f"{a.cell}: gradients out of tolerance: {bad or 'none'}; loss |diff| {ldiff:.3g}")


def main():
    a = parse_args()
    torch.manual_seed(0)
    work = tempfile.mkdtemp(prefix=f"charnn-torch-{a.check}-{a.cell}.")
    try:
        ckpt = train(a, work)
        (check_score if a.check == "score" else check_grad)(a, work, ckpt)
        print(f"ok: torch {a.check} {a.cell}")
    finally:
        if a.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
