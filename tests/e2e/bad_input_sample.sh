#!/bin/bash
# bad_input_sample.sh CASE — charnn-sample's bad-input cases, each case_sample_NAME
# the ctest bad_input.sample.NAME: --prime, options, checkpoints missing,
# truncated, corrupted or damaged anywhere (the sweep), --score files.
# The rule, the fixtures and the dispatch: bad_input_lib.sh.
#   bash bad_input_sample.sh [--no-mpi] CASE | --list
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/bad_input_lib.sh"

# characters outside the vocabulary are named, with their code points
case_sample_prime_oov() {
    sample_case "--prime has 3 distinct characters \(4 in all\) not in the vocabulary: 'Ω' \(U\+03A9\), '世' \(U\+4E16\), '界' \(U\+754C\)" \
        @CKPT@ --device cpu --prime "Hello Ωmega 世界 世" --length 5
}

case_sample_prime_invalid_utf8() {
    sample_case "--prime: invalid UTF-8 at byte offset 3 \(byte 0xff\)" \
        @CKPT@ --device cpu --prime $'abc\xffdef' --length 5
}

case_sample_length_zero() {
    sample_case "--length: 0 is out of range \(must be >= 1\)" @CKPT@ --length 0
}

case_sample_length_abc() {
    sample_case "--length: 'abc' is not a whole number" @CKPT@ --length abc
}

case_sample_top_k_too_large() {
    sample_case "--top-k 100000 exceeds the vocabulary size \([0-9]+\)" \
        @CKPT@ --device cpu --top-k 100000 --length 5
}

case_sample_top_k_zero() {
    sample_case "--top-k: 0 is out of range \(must be >= 1\)" @CKPT@ --top-k 0
}

case_sample_temperature_zero() {
    sample_case "--temperature: 0 is out of range \(must be > 0\)" @CKPT@ --temperature 0
}

case_sample_temperature_negative() {
    sample_case "--temperature: -1 is out of range \(must be > 0\)" @CKPT@ --temperature -1
}

case_sample_unknown_option() {
    sample_case "unknown option --lenght" @CKPT@ --lenght 5
}

case_sample_extra_argument() {
    sample_case "unexpected argument 'extra'" @CKPT@ extra
}

case_sample_missing_checkpoint() {
    sample_case "cannot open checkpoint '$WORK/nope\.h5': No such file or directory" \
        "$WORK/nope.h5"
}

case_sample_no_checkpoint() {
    sample_case "missing checkpoint" --length 5
}

case_sample_checkpoint_directory() {
    mkdir "$WORK/dir.h5"
    sample_case "checkpoint '$WORK/dir\.h5' is not a regular file" "$WORK/dir.h5"
}

case_sample_checkpoint_not_hdf5() {
    english "$WORK/a.txt"
    sample_case "checkpoint '$WORK/a\.txt': not an HDF5 file" "$WORK/a.txt"
}

case_sample_checkpoint_truncated() {
    copy_ckpt full.h5
    local size
    size=$(size_of "$WORK/full.h5")
    head -c "$((size / 2))" "$WORK/full.h5" >"$WORK/trunc.h5"
    sample_case "checkpoint '$WORK/trunc\.h5' is truncated \($((size / 2)) of $size bytes\)" \
        "$WORK/trunc.h5"
}

# without the header (cleared, as h5py or an older charnn would leave it),
# truncation is HDF5's to find
case_sample_checkpoint_truncated_unsealed() {
    copy_ckpt full.h5
    clear_header "$WORK/full.h5"
    head -c "$(($(size_of "$WORK/full.h5") / 2))" "$WORK/full.h5" >"$WORK/trunc.h5"
    sample_case "checkpoint '$WORK/trunc\.h5': not an HDF5 file or truncated" "$WORK/trunc.h5"
}

case_sample_checkpoint_corrupted() {
    copy_ckpt corrupt.h5
    flip "$WORK/corrupt.h5" "$(($(size_of "$WORK/corrupt.h5") / 2))" 64
    sample_case "checkpoint '$WORK/corrupt\.h5' is corrupted \(checksum mismatch\)" \
        "$WORK/corrupt.h5" --device cpu
}

# without the header, the Fletcher-32 checksum of the chunk finds it
case_sample_checkpoint_corrupted_unsealed() {
    copy_ckpt corrupt.h5
    clear_header "$WORK/corrupt.h5"
    flip "$WORK/corrupt.h5" "$(($(size_of "$WORK/corrupt.h5") / 2))" 64
    sample_case "checkpoint '$WORK/corrupt\.h5': dataset /[a-z/_.0-9]+ is corrupted \(checksum or read error\)" \
        "$WORK/corrupt.h5" --device cpu
}

case_sample_checkpoint_corrupted_heap() {
    copy_ckpt heap.h5
    local at
    at=$(heap_offset "$WORK/heap.h5")
    flip "$WORK/heap.h5" $((at + 48)) 8
    sample_case "checkpoint '$WORK/heap\.h5' is corrupted \(checksum mismatch\)" \
        "$WORK/heap.h5" --device cpu
}

# without the header, damage to the size of a global heap object (the
# variable-length strings) made libhdf5 1.10 copy from outside the heap (a
# crash found by tests/fuzz/fuzz_checkpoint): the loader walks every heap
# collection first, as HDF5 will, and refuses the file
case_sample_checkpoint_corrupted_heap_unsealed() {
    copy_ckpt heap.h5
    clear_header "$WORK/heap.h5"
    local at
    at=$(heap_offset "$WORK/heap.h5")
    flip "$WORK/heap.h5" $((at + 24)) 2 # the first object's size (after 16 + 8 header bytes)
    sample_case "checkpoint '$WORK/heap\.h5' is corrupted \(global heap at byte $at: object 1 of [0-9]+ bytes does not fit\)" \
        "$WORK/heap.h5" --device cpu
}

# a dataset declared but never written (h5py's create_dataset with a shape
# and no data): HDF5 would read back fill values, and a small file could
# declare gigabytes of them; refused before anything is allocated
case_sample_checkpoint_unwritten() {
    copy_ckpt unwritten.h5
    clear_header "$WORK/unwritten.h5"
    "$PY" - "$WORK/unwritten.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    shape = f["model/decoder.weight"].shape
    del f["model/decoder.weight"]
    f.create_dataset("model/decoder.weight", shape, dtype="f4", chunks=True)
EOF
    sample_case "checkpoint '$WORK/unwritten\.h5': dataset /model/decoder\.weight is not all in the file" \
        "$WORK/unwritten.h5" --device cpu
}

case_sample_checkpoint_bad_newline() {
    bad_newline_ckpt bad-nl.h5
    sample_case "checkpoint '$WORK/bad-nl\.h5': its option newline: 'crlf' is not a line-end mode \(keep or lf\)" \
        "$WORK/bad-nl.h5" --device cpu --length 5
}

# 8 bytes inverted in the header itself (its payload-bytes line)
case_sample_checkpoint_corrupted_header() {
    copy_ckpt header.h5
    flip "$WORK/header.h5" 30 8
    sample_case "checkpoint '$WORK/header\.h5' is corrupted \(damaged header\)" \
        "$WORK/header.h5" --device cpu
}

# Damage, one copy per offset, 8 bytes inverted: the sampler must load the
# copy (exit 0, silent stderr) or fail with one line naming the file, never
# crash or hang.
# - With the header cleared (as in files from h5py or an older charnn),
#   every 8 bytes of the first 8 KiB of HDF5 data (superblock, object
#   headers, attribute types, B-trees): HDF5's own structure checks; and
#   every 8 bytes of the global heap collection, which HDF5 does not check
#   (damage there crashed libhdf5 1.10) but the loader walks first.
# - As written, 64 offsets spread over the whole file plus every 64 bytes of
#   the global heap: all refused by the header's length and CRC-64.
case_sample_checkpoint_damage_sweep() {
    copy_ckpt sweep.h5
    "$PY" - "$SAMPLE" "$WORK/sweep.h5" "$WORK/a.txt" <<'EOF'
import concurrent.futures as cf, os, re, struct, subprocess, sys
sample, path, text = sys.argv[1:4]
HEADER = 512  # the user block holding charnn's header
sealed = open(path, "rb").read()
assert sealed.startswith(b"charnn checkpoint\n"), "no header in the checkpoint"
cleared = bytes(HEADER) + sealed[HEADER:]
heap = sealed.find(b"GCOL")
assert heap >= 0, "no global heap in the checkpoint (did the format change?): the sweep needs one"
# "GCOL", version, 3 reserved bytes, collection size (8 bytes)
skip = range(heap - 7, heap + struct.unpack_from("<Q", sealed, heap + 8)[0])
end = len(sealed) - 8
jobs = [("cleared", o) for o in range(HEADER, min(HEADER + 8192, end), 8) if o not in skip]
jobs += [("cleared", o) for o in skip[::8] if HEADER <= o < end]  # the heap: the loader walks it first
spread = set(range(0, end, max(8, end // 64))) | set(o for o in skip[::64] if o < end)
jobs += [("sealed", o) for o in sorted(spread)]
line = re.compile(r"^charnn-sample: error: checkpoint '[^']*/damaged-\w+-\d+\.h5'(: | is corrupted ).+\n$")
asan_note = re.compile(r"^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes\n", re.M)
crc = re.compile(r"' is corrupted \((checksum mismatch|damaged header)\)\n$")

def one(job):
    kind, off = job
    damaged = bytearray(sealed if kind == "sealed" else cleared)
    for i in range(off, off + 8):
        damaged[i] ^= 0xFF
    name = os.path.join(os.path.dirname(path), "damaged-%s-%d.h5" % (kind, off))
    open(name, "wb").write(bytes(damaged))
    try:
        r = subprocess.run([sample, name, "--score", text, "--device", "cpu", "--threads", "1"],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        rc, err = r.returncode, r.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, err = "hung (60 s)", ""
    os.unlink(name)
    # sanitizer builds: libhdf5 asking for an absurd size read from damaged
    # metadata gets NULL (allocator_may_return_null) with this note; it
    # handles the NULL, and so must we
    err = asan_note.sub("", err)
    if rc == 0 and not err and kind == "cleared":
        return job, "loaded", None
    if isinstance(rc, int) and 0 < rc < 128 and line.match(err) and (kind == "cleared" or crc.search(err)):
        return job, "refused", None
    return job, None, "%s offset %d: exit %s, stderr %r" % (kind, off, rc, err[:300])

counts, bad = {}, []
with cf.ThreadPoolExecutor(2) as pool:
    for (kind, off), result, problem in pool.map(one, jobs):
        if problem:
            bad.append(problem)
        else:
            counts[kind + " " + result] = counts.get(kind + " " + result, 0) + 1
print("%d offsets (global heap %s): %s" % (len(jobs),
      "[%d, %d)" % (skip.start, skip.stop), counts))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

case_sample_score_missing() {
    sample_case "'$WORK/nope\.txt': No such file or directory" \
        @CKPT@ --device cpu --score "$WORK/nope.txt"
}

case_sample_score_invalid_utf8() {
    "$PY" -c 'import sys; sys.stdout.buffer.write(b"the king " * 10 + b"\xc3\x28")' >"$WORK/bad.txt"
    sample_case "score file '$WORK/bad\.txt': invalid UTF-8 at byte offset 90 \(byte 0xc3\).*--encoding" \
        @CKPT@ --device cpu --score "$WORK/bad.txt"
}

case_sample_score_oov() {
    chinese "$WORK/b.txt"
    sample_case "score file '$WORK/b\.txt' has [0-9]+ distinct characters \([0-9]+ in all\) not in the vocabulary: '.*' \(U\+[0-9A-F]{4,}\)" \
        @CKPT@ --device cpu --score "$WORK/b.txt"
}

case_sample_score_too_short() {
    printf 't' >"$WORK/one.txt"
    sample_case "score file '$WORK/one\.txt' has 1 character\(s\); scoring needs at least 2" \
        @CKPT@ --device cpu --score "$WORK/one.txt"
}

case_sample_score_unknown_encoding() {
    sample_case "unknown encoding 'klingon'" \
        @CKPT@ --device cpu --score "$WORK/a.txt" --encoding klingon
}

bad_input_main "$@"
