#!/usr/bin/env python3
"""gen_text.py — deterministic test corpora (no files from outside the repo).

usage: gen_text.py english|chinese CHARS SEED > FILE
  english: sentences from a small word list (vocabulary ~40 characters)
  chinese: CJK ideographs with a Zipf-like distribution over ~3000 distinct
           characters, with '，', '。' and newlines (UTF-8)
Only the standard library: runs with any python3."""
import random
import sys

WORDS = ("the of and to in he was that it his her with as had for you not be "
         "she at on but him by all my have from they this which one were said "
         "old king river bright stone quickly zeal jump over lazy fox").split()


def english(n, rng):
    out, size = [], 0
    while size < n:
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 12))]
        s = " ".join(words).capitalize() + rng.choice([".", ".", ",", "?", "!"])
        s += "\n" if rng.random() < 0.3 else " "
        out.append(s)
        size += len(s)
    return "".join(out)[:n]


def chinese(n, rng):
    distinct = 3000
    weights = [1.0 / (k + 1) for k in range(distinct)]
    chars = [chr(0x4E00 + 7 * k % 20000) for k in range(distinct)]
    body = rng.choices(chars, weights=weights, k=n)
    for i in range(0, n, 17):
        body[i] = rng.choice(["，", "。", "\n"])
    return "".join(body)


def main():
    kind, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    text = english(n, rng) if kind == "english" else chinese(n, rng)
    sys.stdout.buffer.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
