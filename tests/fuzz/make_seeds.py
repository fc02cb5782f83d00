#!/usr/bin/python3
"""make_seeds.py WORK CORPUS — the seed corpora of the fuzz targets (called
by make_seeds.sh, which trains the checkpoints WORK/{lstm,gru,rnn}.h5).

Writes CORPUS/<target>/<name> for fuzz_decode, fuzz_config, fuzz_checkpoint
and fuzz_prime; each target's files other than regress-* are replaced. Every
seed is deterministic and under 50 KB. The input formats are those of the
targets (see the comment at the top of each tests/fuzz/fuzz_*.c)."""
import os
import struct
import sys

import h5py
import numpy as np

WORK, CORPUS = sys.argv[1], sys.argv[2]
MAX_SEED = 50 * 1024
HEADER = 512  # charnn's header: the HDF5 user block
LIBVER = "earliest"  # what h5py writes by default

seeds = {}  # target -> {name: bytes}


def seed(target, name, data):
    assert len(data) < MAX_SEED, "%s/%s: %d bytes" % (target, name, len(data))
    seeds.setdefault(target, {})[name] = bytes(data)


# ------------------------------------------------------------ CRC-64/XZ

def _crc_table():
    poly, table = 0xC96C5795D7870F42, []
    for b in range(256):
        for _ in range(8):
            b = (b >> 1) ^ (poly if b & 1 else 0)
        table.append(b)
    return table


CRC_TABLE = _crc_table()


def crc64(data, crc=0):
    crc ^= 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


assert crc64(b"123456789") == 0x995DC9BBDF1939FA


def seal_header(payload, fmt=1):
    """charnn's header (docs/checkpoint-format.md) for the bytes after it."""
    text = b"charnn checkpoint\nformat %d\npayload-bytes %d\npayload-crc64 %016x\n" % (
        fmt, len(payload), crc64(payload))
    text += b"header-crc64 %016x\n" % crc64(text)
    return text.ljust(HEADER, b"\0")


def sealed(image):
    """image (a file with a 512-byte user block) with the header filled in."""
    return seal_header(image[HEADER:]) + image[HEADER:]


def flip(data, offset, count=8):
    out = bytearray(data)
    for i in range(offset, min(offset + count, len(out))):
        out[i] ^= 0xFF
    return bytes(out)


# ------------------------------------------------------- fuzz_checkpoint

def read(name):
    with open(os.path.join(WORK, name), "rb") as f:
        return f.read()


lstm, gru, rnn = read("lstm.h5"), read("gru.h5"), read("rnn.h5")
assert lstm.startswith(b"charnn checkpoint\n")
cleared = bytes(HEADER) + lstm[HEADER:]
cleared_gru = bytes(HEADER) + gru[HEADER:]
T = "fuzz_checkpoint"
seed(T, "real-lstm.h5", lstm)
seed(T, "real-gru.h5", gru)
seed(T, "real-rnn.h5", rnn)
seed(T, "unsealed-lstm.h5", cleared)
seed(T, "trunc-sealed-half.h5", lstm[:len(lstm) // 2])
seed(T, "trunc-sealed-short-header.h5", lstm[:200])
seed(T, "trunc-unsealed-3q.h5", cleared_gru[:3 * len(cleared_gru) // 4])
seed(T, "long-sealed.h5", lstm + b"\0" * 64)
seed(T, "flip-sealed-middle.h5", flip(lstm, len(lstm) // 2))
seed(T, "flip-sealed-header.h5", flip(lstm, 30))
seed(T, "flip-unsealed-objheader.h5", flip(cleared_gru, HEADER + 1200))
seed(T, "header-format-2.h5", seal_header(lstm[HEADER:], fmt=2) + lstm[HEADER:])
seed(T, "empty.h5", b"")
seed(T, "text.h5", b"the king said\n" * 20)


def load(data):
    """The contents of a checkpoint: {path: (array, attrs)} and group attrs."""
    path = os.path.join(WORK, "load.h5")
    with open(path, "wb") as f:
        f.write(data)
    tree = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            attrs = {k: obj.attrs[k] for k in obj.attrs}
            if isinstance(obj, h5py.Dataset):
                tree[name] = ("dataset", obj[()], attrs)
            else:
                tree[name] = ("group", None, attrs)
        f.visititems(visit)
    return tree


BASE = load(lstm)


def h5file(mutate=None, seal=True, **dopts):
    """A checkpoint written with h5py from BASE (contiguous datasets unless
    dopts says otherwise), after mutate(tree) changes it; the file's bytes,
    with charnn's header (a 512-byte user block, sealed: the fuzz target's
    structural mutator starts only from intact sealed files) unless seal is
    False."""
    userblock = HEADER if seal else 0
    tree = {k: (kind, None if data is None else np.copy(data), dict(attrs))
            for k, (kind, data, attrs) in BASE.items()}
    extra = []
    if mutate:
        extra = mutate(tree) or []
    path = os.path.join(WORK, "made.h5")
    kw = {"userblock_size": userblock} if userblock else {}
    with h5py.File(path, "w", libver=LIBVER, **kw) as f:
        for name in sorted(tree, key=lambda n: n.count("/")):
            kind, data, attrs = tree[name]
            if kind == "group":
                obj = f.require_group(name)
            else:
                obj = f.create_dataset(name, data=data, track_times=False, **dopts)
            for k, v in attrs.items():
                obj.attrs[k] = v
        for fn in extra:
            fn(f)
    with open(path, "rb") as f:
        image = f.read()
    return sealed(image) if seal else image


def setattr_(path, key, value):
    def m(tree):
        tree[path][2][key] = value
    return m


def deldata(path):
    def m(tree):
        del tree[path]
    return m


def setdata(path, value):
    def m(tree):
        kind, _, attrs = tree[path]
        tree[path] = (kind, value, attrs)
    return m


def both(*ms):
    def m(tree):
        out = []
        for fn in ms:
            out += fn(tree) or []
        return out
    return m


def replace(path, make):
    """path (and what is under it) dropped, then make(f) run on the file."""
    def m(tree):
        for k in [k for k in tree if k == path or k.startswith(path + "/")]:
            del tree[k]
        return [make]
    return m


def retype(dtype, kinds="f", under=("model/", "optim/", "state/")):
    """Every dataset under `under` whose dtype kind is in `kinds`, as dtype."""
    def m(tree):
        for k, (kind, data, attrs) in list(tree.items()):
            if kind == "dataset" and k.startswith(under) and data.dtype.kind in kinds:
                tree[k] = (kind, data.astype(dtype), attrs)
    return m


def pop_attr(path, key):
    def m(tree):
        del tree[path][2][key]
    return m


V = int(BASE["model"][2]["vocab_size"])
H = int(BASE["model"][2]["hidden_size"])
w_dec = BASE["model/decoder.weight"][1]
vocab = BASE["vocab"][1]

seed(T, "h5py-valid.h5", h5file(seal=False))
seed(T, "h5py-sealed-valid.h5", h5file())
seed(T, "h5py-gzip.h5", h5file(compression="gzip", shuffle=True, fletcher32=True))
seed(T, "h5py-bigendian.h5", h5file(both(retype(">f4"), retype(">u4", "u", ("vocab",)))))
seed(T, "h5py-float16.h5", h5file(setdata("model/decoder.weight", w_dec.astype("f2"))))
# wrong shapes
seed(T, "shape-transposed.h5", h5file(setdata("model/decoder.weight", np.ascontiguousarray(w_dec.T))))
seed(T, "shape-null.h5", h5file(setdata("state/h", h5py.Empty("f4"))))
seed(T, "shape-state-rows.h5", h5file(both(setdata("state/h", np.zeros((3, 1, H), "f4")),
                                          setdata("state/c", np.zeros((3, 1, H), "f4")))))
# wrong types
seed(T, "type-vocab-float.h5", h5file(setdata("vocab", vocab.astype("f4"))))
seed(T, "type-weights-compound.h5", h5file(setdata(
    "model/decoder.bias", np.zeros((V,), dtype=[("a", "f4"), ("b", "i4")]))))
seed(T, "type-hidden-string.h5", h5file(setattr_("model", "hidden_size", "2")))
seed(T, "type-hidden-enum.h5", h5file(setattr_("model", "hidden_size", np.array(
    H, dtype=h5py.enum_dtype({"two": H}, basetype="i1")))))
seed(T, "type-cell-fixed.h5", h5file(setattr_("model", "cell", np.bytes_(b"lstm"))))
seed(T, "type-option-int.h5", h5file(setattr_("options", "hidden", 2)))
# missing, or more than the cell has
seed(T, "missing-state-c.h5", h5file(deldata("state/c")))
seed(T, "missing-optim.h5", h5file(replace("optim", lambda f: None)))
seed(T, "missing-attr-hidden.h5", h5file(pop_attr("model", "hidden_size")))
seed(T, "extra-state-c-gru.h5", h5file(setattr_("model", "cell", "gru")))
# links and wrong kinds of object
seed(T, "link-soft.h5", h5file(replace("state/h", lambda f: f.__setitem__(
    "state/h", h5py.SoftLink("/state/c")))))
seed(T, "link-external.h5", h5file(replace("vocab", lambda f: f.__setitem__(
    "vocab", h5py.ExternalLink("other.h5", "/vocab")))))
seed(T, "kind-model-dataset.h5", h5file(replace("model", lambda f: f.create_dataset(
    "model", data=np.zeros(3, "f4")))))
# bad values
seed(T, "value-vocab-surrogate.h5", h5file(setdata("vocab", np.concatenate(
    [vocab[:-1], np.array([0xD800], vocab.dtype)]))))
seed(T, "value-vocab-order.h5", h5file(setdata("vocab", vocab[::-1].copy())))
seed(T, "value-epoch.h5", h5file(setattr_("train", "epoch", np.uint64(5))))
# absurd sizes
seed(T, "absurd-vocab.h5", h5file(setattr_("model", "vocab_size", np.int64(1 << 40))))
seed(T, "absurd-rows.h5", h5file(setattr_("train", "rows", np.uint64(1 << 62))))


def unwritten(hidden, vocab_size):
    """A consistent checkpoint of a big model whose datasets are declared
    (chunked) but never written: a small file that declares many bytes."""
    def m(tree):
        tree["model"][2]["hidden_size"] = np.int64(hidden)
        tree["model"][2]["vocab_size"] = np.int64(vocab_size)
        rows = int(tree["train"][2]["rows"])
        shapes = {"model/rnn.weight_ih_l0": (4 * hidden, vocab_size),
                  "model/rnn.weight_hh_l0": (4 * hidden, hidden),
                  "model/rnn.bias_ih_l0": (4 * hidden,), "model/rnn.bias_hh_l0": (4 * hidden,),
                  "model/decoder.weight": (vocab_size, hidden), "model/decoder.bias": (vocab_size,),
                  "state/h": (rows, 1, hidden), "state/c": (rows, 1, hidden)}
        n = sum(int(np.prod(s)) for k, s in shapes.items() if k.startswith("model/"))
        shapes["optim/adam_m"] = shapes["optim/adam_v"] = (n,)
        for k in shapes:
            del tree[k]
        tree["vocab"] = ("dataset", np.arange(32, 32 + vocab_size, dtype="u4"), {})
        return [lambda f, k=k, s=s: f.create_dataset(k, s, dtype="f4", chunks=True)
                for k, s in shapes.items()]
    return h5file(m)


seed(T, "absurd-unwritten-64g.h5", unwritten(65536, 16))
seed(T, "absurd-unwritten-800m.h5", unwritten(4096, 16))

# ----------------------------------------------------------- fuzz_decode
# byte 0: encoding (0 utf-8, 1 gb18030, 2 utf-16le, 3 latin1; bit 4: values)
# byte 1: the chunk-split seed
T = "fuzz_decode"
english = ("The old king said to the river: bright stone, quickly!\n" * 3).encode()
mixed = "Café, naïve — 中文字符 😀 Ω≈ç√∫ (ℵ₀)\n"
seed(T, "utf8-ascii", b"\x00\x01" + english)
seed(T, "utf8-mixed", b"\x00\x02" + mixed.encode())
seed(T, "utf8-bom", b"\x00\x03\xef\xbb\xbf" + mixed.encode())
seed(T, "utf8-bom-only", b"\x00\x04\xef\xbb\xbf")
seed(T, "utf8-invalid", b"\x00\x05" + b"ok \xc0\x80 \xed\xa0\x80 \xf4\x90\x80\x80 \x80 \xff")
seed(T, "utf8-cut", b"\x00\x06" + mixed.encode()[:-3] + b"\xe4\xb8")
seed(T, "utf8-long", b"\x00\x07" + (mixed * 130).encode())  # > 4096 code points
seed(T, "gb18030", b"\x01\x08" + mixed.encode("gb18030"))
seed(T, "gb18030-invalid", b"\x01\x09" + "中文".encode("gb18030") + b"\x81\x20" + b"abc")
seed(T, "gb18030-cut", b"\x01\x0a" + "中文😀".encode("gb18030")[:-1])
seed(T, "utf16le", b"\x02\x0b" + mixed.encode("utf-16-le"))
seed(T, "utf16le-bom", b"\x02\x0c\xff\xfe" + mixed.encode("utf-16-le"))
seed(T, "utf16le-unpaired", b"\x02\x0d" + "ab".encode("utf-16-le") + b"\x00\xd8" + b"c\x00")
seed(T, "utf16le-odd", b"\x02\x0e" + "abc".encode("utf-16-le") + b"d")
seed(T, "latin1", b"\x03\x0f" + bytes(range(256)))
seed(T, "values", b"\x10\x10" + struct.pack("<12I", 0, 10, 65, 0xD800, 0xFFFF, 0x10FFFF,
                                              0x110000, 0xFFFFFFFF, 65, 10, 0x4E2D, 0x1F600))

# ----------------------------------------------------------- fuzz_config
# byte 0 % 3: 0 INI file, 1 key=value lines, 2 argv lines; bit 7: sample table
T = "fuzz_config"
here = os.path.dirname(os.path.abspath(__file__))
configs = os.path.join(here, "..", "..", "configs")
for name in sorted(os.listdir(configs)):
    if name.endswith(".ini"):
        with open(os.path.join(configs, name), "rb") as f:
            seed(T, "ini-" + name[:-4], b"\x00" + f.read())
seed(T, "ini-tricky", b"\x00" + b"\xef\xbb\xbf; BOM, sections, quotes, comments\r\n"
     b"[model]\r\ncell = 'gru'\r\nhidden=64 ; inline\r\n  layers = 3\n[opt]\n"
     b"grad_clip = 1e-3\nlr=\"0x1p-10\"\nval_frac = 0.0\nprofile = YES\ntf32=off\n"
     b"steps = 18446744073709551615\nseed = 0\nencoding = gb18030\n"
     b"data = \"a file with spaces.txt\"\nout = runs/x # comment\n")
seed(T, "ini-errors", b"\x00" + b"hidden = 0x10\nconfig = other.ini\nno equals here\n"
     b"[unterminated\nlr = nan\ndropout = 1\n")
seed(T, "ini-long-line", b"\x00data = " + b"x" * 1100 + b"\n")
seed(T, "ini-sample", b"\x80" + b"prime = The king\nlength = 10\ntop-k = 3\ntemperature = 0.5\n")
seed(T, "set-train", b"\x01" + b"hidden=512\nlr=1e-3\ncell=gru\ndropout=0.99\n"
     b"batch=18446744073709551616\nlayers=-1\nlr=inf\nseq= 5\nkeep\nunknown=1\nval-frac=1e-320\n"
     b"threads=4096\nthreads=4097\nsave-minutes=1.5e308\ndevice=cuda\nprofile=on\n")
seed(T, "set-sample", b"\x81" + b"prime=" + "中文".encode() + b"\nlength=1\ntop-k=0\n"
     b"temperature=1e-300\nargmax=true\nscore=/dev/null\nseed=99999999999999999999\n")
seed(T, "argv-train", b"\x02" + b"--hidden\n16\n--lr=0.5\n--profile\ndata.txt\n--cell\n--\n"
     b"--bar\n-x\n--help\n")
seed(T, "argv-sample", b"\x82" + b"ckpt.h5\n--prime\nThe\n--length=3\n--argmax\n--top-k\n")

# ------------------------------------------------------------ fuzz_prime
# byte 0 % 4: encoding (utf-8, gb18030, utf-16le, latin1); the prime up to a NUL
T = "fuzz_prime"
seed(T, "utf8-ascii", b"\x00The king")
seed(T, "utf8-mixed", b"\x00" + "The king é 中文 😀".encode())
seed(T, "utf8-oov", b"\x00xyz\xe2\x82\xac")
seed(T, "utf8-invalid", b"\x00The \xc3\x28")
seed(T, "utf8-empty", b"\x00")
seed(T, "gb18030", b"\x01" + "中文 é😀".encode("gb18030"))
seed(T, "utf16le", b"\x02" + "中文😀".encode("utf-16-le"))
seed(T, "latin1", b"\x03The king \xe9")
seed(T, "long", b"\x00" + b"The king " * 460)  # just over the 4095-byte limit

# ----------------------------------------------------------------- write
for target, files in sorted(seeds.items()):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if not old.startswith("regress-"):
            os.unlink(os.path.join(d, old))
    for name, data in sorted(files.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
