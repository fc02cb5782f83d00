# torch_train.py — the PyTorch twin of one charnn-train run (CPU, or CUDA with cuDNN), timed the same way (chars/s after warm-up).
"""usage: /usr/bin/python3 bench/torch_train.py --data FILE [options]

Trains exactly what `charnn-train --cell lstm|gru` trains, for a fixed number of
steps, and reports the throughput over the steps after the warm-up:

  * corpus: the file's characters (UTF-8), vocabulary = sorted distinct
    characters; the last floor(n * val_frac) characters are held out, the
    rest is the training text;
  * the notebook batching: the training ids become N rows of K*M characters
    (K = floor((n_train - 1) / (N*M)) windows per epoch); window j is columns
    [jM, (j+1)M) of every row, the target is the next character of the text;
    the hidden state is carried from one window to the next (detached) and
    reset at the start of each epoch;
  * model: F.one_hot(x).float() -> nn.LSTM or nn.GRU (V, H, L, batch_first=True,
    dropout=p) -> nn.Dropout(p) (charnn drops the last layer's output too) ->
    nn.Linear(H, V); loss = mean cross-entropy over the N*M positions;
  * update: clip_grad_norm_(5) then Adam(lr) (betas 0.9/0.999, eps 1e-8).

Threads: torch.set_num_threads(T) and OPENBLAS_NUM_THREADS=T (Debian's torch
does its GEMMs through the system OpenBLAS, as charnn does).

--device cuda: on the GPU (nn.LSTM/nn.GRU run cuDNN's fused kernels); the
result adds peak_mem_mib (torch.cuda.max_memory_allocated over the timed
steps' whole run). --tf32 on|off (default off: FP32 like charnn-train
without --tf32) sets both cuDNN's and cuBLAS's TF32 switches. --encoding: the corpus's text encoding (e.g. gb18030).

Prints one human line per log interval and, at the end, one line
`RESULT {json}` with chars_per_s, ms_per_batch, first_loss (step 1),
warm_loss (last warm-up step), final_loss.
"""
import argparse
import json
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch twin of charnn-train (LSTM, CPU)")
    p.add_argument("--data", required=True)
    p.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--grad-clip", type=float, default=5.0)
    p.add_argument("--val-frac", type=float, default=0.05)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10,
                   help="steps excluded from the timing (charnn: the first log interval)")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--tf32", choices=("on", "off"), default="off",
                   help="--device cuda: TF32 tensor cores for cuDNN's RNN and cuBLAS's "
                        "matmuls (PyTorch's own default is on for cuDNN, off for matmuls: "
                        "set both, to match charnn-train with or without --tf32)")
    a = p.parse_args(argv)
    if a.steps <= a.warmup:
        p.error("--steps must exceed --warmup")
    return a


def main(argv):
    a = parse_args(argv)
    # before torch (and with it OpenBLAS) is loaded
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.backends.cudnn.allow_tf32 = a.tf32 == "on"
    torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
    torch.manual_seed(a.seed)

    dev = torch.device(a.device)
    with open(a.data, encoding=a.encoding) as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    vocab = sorted(set(text))
    V = len(vocab)
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = int(len(ids) * a.val_frac)
    train = ids[: len(ids) - n_val]

    N, M = a.batch, a.seq
    windows = (len(train) - 1) // (N * M)
    if windows < 1:
        sys.exit(f"torch_train.py: training text has {len(train)} characters, "
                 f"needs at least {N * M + 1}")
    stride = windows * M
    X = train[: N * stride].view(N, stride).to(dev)
    Y = train[1: N * stride + 1].view(N, stride).to(dev)
    rnn_class = nn.LSTM if a.cell == "lstm" else nn.GRU

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = rnn_class(V, a.hidden, a.layers, batch_first=True,
                                  dropout=a.dropout if a.layers > 1 else 0.0)
            self.drop = nn.Dropout(a.dropout)
            self.fc = nn.Linear(a.hidden, V)

        def forward(self, x, state):
            out, state = self.lstm(F.one_hot(x, V).float(), state)
            return self.fc(self.drop(out)).reshape(-1, V), state

    net = CharLSTM().to(dev)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    n_params = sum(p.numel() for p in net.parameters())
    print(f"torch_train.py: torch {torch.__version__}, {torch.get_num_threads()} thread(s) | "
          f"{a.cell} {a.layers}x{a.hidden}, {a.device}, vocab {V}, {n_params} params | {N * stride} chars "
          f"train, batch {N}x{M} ({windows} windows/epoch)", flush=True)

    state = None
    first_loss = warm_loss = loss_v = float("nan")
    t_warm = t_log = None
    t0 = time.perf_counter()
    for step in range(a.steps):
        j = step % windows
        if j == 0:
            state = None  # zero state at the start of an epoch
        x = X[:, j * M:(j + 1) * M]
        y = Y[:, j * M:(j + 1) * M]
        logits, state = net(x, state)
        state = tuple(s.detach() for s in state) if a.cell == "lstm" else state.detach()
        loss = F.cross_entropy(logits, y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), a.grad_clip)
        opt.step()
        loss_v = loss.item()
        if step == 0:
            first_loss = loss_v
        done = step + 1
        if done == a.warmup:
            t_warm = time.perf_counter()
            warm_loss = loss_v
        if done % a.log_every == 0 or done == a.steps:
            t = time.perf_counter()
            span = t - (t_log if t_log is not None else t0)
            k = a.log_every if done % a.log_every == 0 else done % a.log_every
            print(f"step {done}/{a.steps}  loss {loss_v:.4f}  {k * N * M / span:.0f} chars/s",
                  flush=True)
            t_log = t
    t_end = time.perf_counter()
    timed = a.steps - a.warmup
    secs = t_end - t_warm
    res = {
        "chars_per_s": timed * N * M / secs,
        "ms_per_batch": 1000.0 * secs / timed,
        "timed_steps": timed,
        "first_loss": first_loss,
        "warm_loss": warm_loss,
        "final_loss": loss_v,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "tf32": a.tf32 == "on",
    }
    if a.device == "cuda":
        res["peak_mem_mib"] = torch.cuda.max_memory_allocated() / 2**20
        res["gpu"] = torch.cuda.get_device_name()
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
