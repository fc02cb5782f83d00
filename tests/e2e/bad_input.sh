#!/bin/bash
# bad_input.sh CASE — one bad-input case (bad_input.cmake registers each as
# the ctest bad_input.CASE). The rule under test: bad input gets ONE clear
# line on stderr ("charnn-train: error: ..." / "charnn-sample: error: ...",
# naming the file, option or byte offset), a non-zero exit below 128, no
# crash or sanitizer report (expect_error.sh checks all that), and nothing
# lost: every trainer case runs against an existing run directory, whose
# files (checkpoints, latest.h5 and its target, metrics.jsonl) must be
# byte-identical before and after, with no file added or removed.
#   bash bad_input.sh --list     prints the cases
# Options: --no-mpi (the build has no MPI: the multi-rank cases skip).
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/lib.sh"

EXPECT=(bash "$CHARNN_SOURCE/tests/e2e/expect_error.sh")
SMALL=(--hidden 16 --layers 1 --batch 4 --seq 16 --val-frac 0.05 --device cpu --threads 1)
NO_MPI=0

# ---- fixtures ----

# english text (~40 distinct characters) and a chinese one (~1200)
english() { gen_text english "${2:-20000}" 1 "$1"; }
chinese() { gen_text chinese "${2:-6000}" 2 "$1"; }

# make_run DIR: 3 steps on $WORK/a.txt, a checkpoint at every step; DIR then
# holds ckpt-00000001..3.h5, latest.h5 -> ckpt-00000003.h5, metrics.jsonl
make_run() {
    [ -f "$WORK/a.txt" ] || english "$WORK/a.txt"
    "$TRAIN" --data "$WORK/a.txt" --out "$1" "${SMALL[@]}" --steps 3 --save-every 1 \
        --eval-every 0 >"$WORK/make_run.log" 2>&1 ||
        { cat "$WORK/make_run.log" >&2; fail "fixture: training into $1 failed"; }
    [ "$(readlink "$1/latest.h5")" = ckpt-00000003.h5 ] || fail "fixture: no latest.h5 in $1"
}

# snapshot DIR [IGNORED_NAME]: every entry of DIR with its type and content
# (sha256 for files, the target for links), one per line
snapshot() {
    local dir=$1 ignore=${2:-} f name
    for f in "$dir"/* "$dir"/.[!.]*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        name=${f##*/}
        [ "$name" != "$ignore" ] || continue
        if [ -L "$f" ]; then
            echo "link $name -> $(readlink "$f")"
        elif [ -f "$f" ]; then
            echo "file $name $(sha256sum <"$f" | cut -d' ' -f1)"
        else
            echo "other $name"
        fi
    done
}

# expect_untouched DIR BEFORE [IGNORED_NAME]: DIR must still match the snapshot
expect_untouched() {
    local now
    now=$(snapshot "$1" "${3:-}")
    if [ "$now" != "$2" ]; then
        diff <(echo "$2") <(echo "$now") >&2 || true
        fail "the run directory $1 changed (see the diff above: < before, > after)"
    fi
}

# expect REGEX -- cmd...: expect_error.sh, with the failure reported here too
expect() {
    "${EXPECT[@]}" "$@" || fail "bad input not handled as required (see above)"
}

# guarded RUN REGEX -- cmd...: expect, and RUN must be untouched
guarded() {
    local run=$1 before
    shift
    before=$(snapshot "$run")
    expect "$@"
    expect_untouched "$run" "$before"
}

# train_case REGEX ARGS...: charnn-train with the small options, ARGS and
# --out on a fresh, existing run directory, which must stay untouched
train_case() {
    local regex=$1
    shift
    make_run "$WORK/run"
    guarded "$WORK/run" "$regex" -- "$TRAIN" "${SMALL[@]}" --out "$WORK/run" "$@"
}

# sample_case REGEX ARGS...: charnn-sample ARGS (@CKPT@ = the run's
# latest.h5); the run directory must stay untouched
sample_case() {
    local regex=$1 a args=()
    shift
    make_run "$WORK/run"
    for a in "$@"; do
        args+=("${a//@CKPT@/$WORK/run/latest.h5}")
    done
    guarded "$WORK/run" "$regex" -- "$SAMPLE" "${args[@]}"
}

need_mpi() {
    [ "$NO_MPI" = 0 ] || skip "charnn built without MPI"
    command -v mpirun >/dev/null || skip "mpirun not found"
}

# copy_ckpt NAME: a copy of the fixture's newest checkpoint, outside the run dir
copy_ckpt() {
    make_run "$WORK/run"
    cp "$WORK/run/ckpt-00000003.h5" "$WORK/$1"
}

# flip FILE OFFSET COUNT: invert COUNT bytes of FILE from OFFSET
flip() {
    "$PY" - "$@" <<'EOF'
import sys
path, off, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(path, "rb").read())
assert 0 <= off and off + count <= len(b), "flip outside the file"
for i in range(off, off + count):
    b[i] ^= 0xFF
open(path, "wb").write(bytes(b))
EOF
}

# heap_offset FILE: offset of HDF5's global heap collection ("GCOL": the
# variable-length strings), or nothing when the file has none
heap_offset() {
    "$PY" -c 'import sys; i = open(sys.argv[1], "rb").read().find(b"GCOL"); print(i if i >= 0 else "")' "$1"
}

size_of() { stat -c %s "$1"; }

# clear_header FILE: zero the 512-byte user block that holds charnn's header
# (length and CRC-64 of the rest); the file then reads like one written by
# h5py or an older charnn: HDF5's own checks only
clear_header() {
    dd if=/dev/zero of="$1" bs=512 count=1 conv=notrunc status=none
}

# bad_newline_ckpt NAME: a copy of the fixture's checkpoint whose option
# newline is "crlf" (no line-end mode), its header cleared (an h5py edit)
bad_newline_ckpt() {
    copy_ckpt "$1"
    clear_header "$WORK/$1"
    "$PY" - "$WORK/$1" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["options"].attrs.modify("newline", "crlf")
EOF
}

# ---- the cases: train.* ----

case_train_missing_data() {
    train_case "cannot open data file '$WORK/nope\.txt': No such file or directory" \
        --data "$WORK/nope.txt"
}

case_train_unreadable_data() {
    [ "$(id -u)" != 0 ] ||
        skip "running as root: chmod 000 does not stop root (train.data_is_directory covers an unreadable data path)"
    english "$WORK/locked.txt"
    chmod 000 "$WORK/locked.txt"
    train_case "cannot open data file '$WORK/locked\.txt': Permission denied" \
        --data "$WORK/locked.txt"
}

case_train_data_is_directory() {
    mkdir "$WORK/dir"
    train_case "data file '$WORK/dir'.*Is a directory" --data "$WORK/dir"
}

case_train_empty_data() {
    : >"$WORK/empty.txt"
    train_case "data file '$WORK/empty\.txt' is empty" --data "$WORK/empty.txt"
}

case_train_bom_only_data() {
    printf '\xef\xbb\xbf' >"$WORK/bom.txt"
    train_case "data file '$WORK/bom\.txt' has no characters" --data "$WORK/bom.txt"
}

case_train_short_data() {
    printf 'ab' >"$WORK/short.txt"
    train_case "training text of '$WORK/short\.txt' has 2 characters.*--batch.*--seq" \
        --data "$WORK/short.txt"
}

case_train_no_data() {
    train_case "no training text: pass --data"
}

# 1000 ASCII bytes, 'é' in UTF-8 (2 bytes), "Caf", then 'é' in Latin-1 (0xe9):
# the first bad byte is at offset 1005 (bytes, not characters)
case_train_invalid_utf8() {
    "$PY" -c 'import sys; sys.stdout.buffer.write(b"a" * 1000 + "é".encode() + b"Caf\xe9 au lait\n" * 50)' \
        >"$WORK/latin1.txt"
    train_case "data file '$WORK/latin1\.txt': invalid UTF-8 at byte offset 1005 \(byte 0xe9\).*--encoding" \
        --data "$WORK/latin1.txt"
}

# a 3-byte sequence cut short by the end of the file
case_train_invalid_utf8_at_end() {
    english "$WORK/cut.txt" 5000
    printf '\xe4\xb8' >>"$WORK/cut.txt"
    train_case "data file '$WORK/cut\.txt': invalid UTF-8 at byte offset 5000 \(byte 0xe4\).*--encoding" \
        --data "$WORK/cut.txt"
}

# valid GB18030 (2400 bytes), then 0x81 0x20 (0x81 needs a second byte >= 0x30)
case_train_invalid_gb18030() {
    "$PY" -c 'import sys; sys.stdout.buffer.write(("中文测试" * 300).encode("gb18030") + b"\x81\x20" + "中文".encode("gb18030") * 10)' \
        >"$WORK/gb.txt"
    train_case "data file '$WORK/gb\.txt': invalid gb18030 at byte offset 2400 \(byte 0x81\).*--encoding" \
        --data "$WORK/gb.txt" --encoding gb18030
}

case_train_unknown_encoding() {
    english "$WORK/a.txt"
    train_case "unknown encoding 'klingon'" --data "$WORK/a.txt" --encoding klingon
}

case_train_unknown_option() {
    train_case "unknown option --hiden" --data "$WORK/a.txt" --hiden 16
}

case_train_unknown_short_option() {
    train_case "unknown option -x" --data "$WORK/a.txt" -x
}

case_train_option_needs_value() {
    train_case "option --hidden needs a value" --data "$WORK/a.txt" --hidden
}

case_train_unexpected_argument() {
    train_case "unexpected argument 'stray'" --data "$WORK/a.txt" stray
}

case_train_unknown_config_key() {
    printf '; a config\nhidden = 16\nhiden = 32\n' >"$WORK/bad.ini"
    train_case "config '$WORK/bad\.ini' line 3: unknown key 'hiden'" \
        --config "$WORK/bad.ini" --data "$WORK/a.txt"
}

case_train_config_bad_value() {
    printf 'layers = 1\nhidden = abc\n' >"$WORK/bad.ini"
    train_case "config '$WORK/bad\.ini' line 2: hidden: 'abc' is not a whole number" \
        --config "$WORK/bad.ini" --data "$WORK/a.txt"
}

case_train_config_syntax_error() {
    printf 'hidden = 16\nlayers\n' >"$WORK/bad.ini"
    train_case "config '$WORK/bad\.ini' line 2: syntax error" \
        --config "$WORK/bad.ini" --data "$WORK/a.txt"
}

case_train_missing_config() {
    train_case "config '$WORK/nope\.ini': cannot open: No such file or directory" \
        --config "$WORK/nope.ini" --data "$WORK/a.txt"
}

# option_case NAME VALUE REGEX: --NAME VALUE is rejected, naming the option
option_case() {
    english "$WORK/a.txt"
    train_case "--$1: $3" --data "$WORK/a.txt" "--$1" "$2"
}
case_train_hidden_zero() { option_case hidden 0 "0 is out of range \(must be >= 1\)"; }
case_train_hidden_abc() { option_case hidden abc "'abc' is not a whole number"; }
case_train_hidden_huge() {
    option_case hidden 99999999999999999999999 "99999999999999999999999 is out of range \(must be <= 65536\)"
}
case_train_layers_negative() { option_case layers -1 "'-1' is not a whole number"; }
case_train_dropout_one() { option_case dropout 1 "1 is out of range \(must be in \[0, 1\)\)"; }
case_train_dropout_negative() {
    option_case dropout -0.1 "-0\.1 is out of range \(must be in \[0, 1\)\)"
}
case_train_lr_zero() { option_case lr 0 "0 is out of range \(must be > 0\)"; }
case_train_lr_nan() { option_case lr nan "'nan' is not a finite number"; }
case_train_seq_zero() { option_case seq 0 "0 is out of range \(must be >= 1\)"; }
case_train_batch_zero() { option_case batch 0 "0 is out of range \(must be >= 1\)"; }
case_train_val_frac_one() { option_case val-frac 1 "1 is out of range \(must be in \[0, 1\)\)"; }

# 3 ranks, --batch 2: all three ranks find the error; exactly one line in all.
# mpirun -q: without it Open MPI 4 adds its own multi-line notice ("Primary
# job terminated normally, but 1 process returned a non-zero exit code...")
# to stderr whenever a rank exits non-zero, whatever charnn does.
case_train_batch_lt_ranks() {
    need_mpi
    english "$WORK/a.txt"
    make_run "$WORK/run"
    guarded "$WORK/run" "--batch 2 is smaller than the number of ranks \(3\)" -- \
        mpirun -q -np 3 --oversubscribe --bind-to none \
        "$TRAIN" "${SMALL[@]}" --data "$WORK/a.txt" --out "$WORK/run" --batch 2
}

# 4000 characters, --val-frac 0.004: 16 held out, too few for --seq 16 (17)
case_train_short_val_split() {
    english "$WORK/a4k.txt" 4000
    train_case "validation text of '$WORK/a4k\.txt' \(--val-frac 0\.004\) has 16 characters, too few for --seq 16" \
        --data "$WORK/a4k.txt" --val-frac 0.004
}

case_train_resume_missing() {
    train_case "checkpoint '$WORK/nope\.h5': No such file or directory" \
        --data "$WORK/a.txt" --resume "$WORK/nope.h5"
}

# latest.h5 names a checkpoint that is gone
# latest.h5 names a file that is gone, and there is no older one
case_train_resume_dangling_latest() {
    make_run "$WORK/run"
    rm "$WORK/run"/ckpt-0000000[123].h5
    guarded "$WORK/run" "cannot open checkpoint '$WORK/run/ckpt-00000003\.h5': No such file or directory" -- \
        "$TRAIN" "${SMALL[@]}" --data "$WORK/a.txt" --out "$WORK/run" --resume auto
}

# --resume auto with every checkpoint damaged: one error naming the newest's
# problem (skipped ones are warned about only when an older one is usable)
case_train_resume_all_damaged() {
    make_run "$WORK/run"
    for f in "$WORK/run"/ckpt-*.h5; do truncate -s 3000 "$f"; done
    guarded "$WORK/run" "no usable checkpoint in '$WORK/run' \(all 3 damaged; the newest: checkpoint '$WORK/run/ckpt-00000003\.h5' is truncated" -- \
        "$TRAIN" "${SMALL[@]}" --data "$WORK/a.txt" --out "$WORK/run" --resume auto
}

case_train_resume_directory() {
    mkdir "$WORK/dir.h5"
    train_case "checkpoint '$WORK/dir\.h5' is not a regular file" \
        --data "$WORK/a.txt" --resume "$WORK/dir.h5"
}

# cut in half: the header's payload length tells (before HDF5 reads it)
case_train_resume_truncated() {
    copy_ckpt full.h5
    local size
    size=$(size_of "$WORK/full.h5")
    head -c "$((size / 2))" "$WORK/full.h5" >"$WORK/trunc.h5"
    train_case "checkpoint '$WORK/trunc\.h5' is truncated \($((size / 2)) of $size bytes\)" \
        --data "$WORK/a.txt" --resume "$WORK/trunc.h5"
}

# 64 bytes inverted in the middle of the file: inside the data (the
# header's CRC-64 catches it, as the Fletcher-32 checksums would)
case_train_resume_corrupted() {
    copy_ckpt corrupt.h5
    flip "$WORK/corrupt.h5" "$(($(size_of "$WORK/corrupt.h5") / 2))" 64
    train_case "checkpoint '$WORK/corrupt\.h5' is corrupted \(checksum mismatch\)" \
        --data "$WORK/a.txt" --resume "$WORK/corrupt.h5"
}

# 8 bytes inverted in the global heap (the variable-length strings: the
# /model@cell and /options values), which no HDF5 checksum covers and
# which crashes libhdf5 1.10: the header's CRC-64 refuses it first
case_train_resume_corrupted_heap() {
    copy_ckpt heap.h5
    local at
    at=$(heap_offset "$WORK/heap.h5")
    [ -n "$at" ] || skip "the checkpoint has no global heap"
    flip "$WORK/heap.h5" $((at + 48)) 8
    train_case "checkpoint '$WORK/heap\.h5' is corrupted \(checksum mismatch\)" \
        --data "$WORK/a.txt" --resume "$WORK/heap.h5"
}

case_train_resume_not_hdf5() {
    english "$WORK/a.txt"
    train_case "checkpoint '$WORK/a\.txt': not an HDF5 file" \
        --data "$WORK/a.txt" --resume "$WORK/a.txt"
}

# trained on english text, resumed on chinese: other characters
case_train_resume_vocab_mismatch() {
    chinese "$WORK/b.txt"
    train_case "vocabulary of '$WORK/b\.txt' \([0-9]+ characters\) differs from checkpoint '[^']*' \([0-9]+ characters\)" \
        --data "$WORK/b.txt" --resume auto
}

# the fixture is --hidden 16
case_train_resume_hidden_mismatch() {
    train_case "--hidden 32 contradicts checkpoint '$WORK/run/ckpt-00000003\.h5' \(hidden = 16\)" \
        --data "$WORK/a.txt" --resume auto --hidden 32
}

case_train_resume_cell_mismatch() {
    train_case "--cell gru contradicts checkpoint '$WORK/run/ckpt-00000003\.h5' \(cell = lstm\)" \
        --data "$WORK/a.txt" --resume auto --cell gru
}

# --data taken from the checkpoint, and the text is gone: the error says
# where the path came from
case_train_resume_data_gone() {
    make_run "$WORK/run"
    rm "$WORK/a.txt"
    guarded "$WORK/run" "resuming from checkpoint '$WORK/run/ckpt-00000003\.h5' \(its --data\): cannot open data file '$WORK/a\.txt': No such file or directory" -- \
        "$TRAIN" "${SMALL[@]}" --out "$WORK/run" --resume auto
}

# a saved option no option accepts (bad_newline_ckpt): named with the checkpoint
case_train_resume_bad_option() {
    bad_newline_ckpt bad-nl.h5
    train_case "resuming from checkpoint '$WORK/bad-nl\.h5': its option newline: 'crlf' is not one of keep\|lf" \
        --data "$WORK/a.txt" --resume "$WORK/bad-nl.h5"
}

# diverge_case NP: 3 steps saved at every step, then a resume with
# --max-bad-steps 0 (stop at the first non-finite step; tests/e2e/faults.sh
# tests the skipping) and an enormous learning rate on NP ranks (NP = 0: no mpirun). Adam moves every
# weight by about --lr per step, so --lr 1e38 overflows float32 within a
# few steps. (--lr 1e30 does not: the weights reach ~1e31, the loss ~1e30
# nats, and both stay finite for all 20 steps.) It must stop with status 3,
# one line naming the non-finite loss or gradient, and leave the newest
# checkpoint byte-identical, latest.h5 still naming it and still loadable.
# --save-every 10: the resume would otherwise take --save-every 1 from the
# checkpoint and save step 4, whose loss (computed before its update) is
# finite but whose weights (~1e38) make step 5's loss non-finite.
diverge_case() {
    local np=$1 run=$WORK/run cmd=()
    make_run "$run"
    cp "$run/ckpt-00000003.h5" "$WORK/before.h5"
    local before
    before=$(snapshot "$run" metrics.jsonl) # the failed run may append to metrics
    [ "$np" = 0 ] || cmd=(mpirun -q -np "$np" --oversubscribe --bind-to none)
    expect --status 3 "(training loss|gradient norm) is non-finite \((nan|inf|-inf)\) at step [0-9]+" -- \
        "${cmd[@]}" "$TRAIN" --data "$WORK/a.txt" --out "$run" --resume auto \
        --device cpu --threads 1 --lr 1e38 --steps 20 --save-every 10 --log-every 1 \
        --max-bad-steps 0
    expect_untouched "$run" "$before" metrics.jsonl
    cmp "$WORK/before.h5" "$run/ckpt-00000003.h5" || fail "the latest checkpoint changed"
    [ "$(readlink "$run/latest.h5")" = ckpt-00000003.h5 ] || fail "latest.h5 was moved"
    "$SAMPLE" "$run/latest.h5" --score "$WORK/a.txt" --device cpu --threads 1 >"$WORK/score.json" ||
        fail "charnn-sample --score cannot load latest.h5 any more"
    grep -q '"nats_per_char"' "$WORK/score.json" || fail "no score: $(cat "$WORK/score.json")"
    echo "ok: latest.h5 -> ckpt-00000003.h5 unchanged and loadable: $(cat "$WORK/score.json")"
}
case_train_diverge() { diverge_case 0; }
case_train_diverge_mpi() {
    need_mpi
    diverge_case 2
}

# ---- the cases: sample.* ----

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
    [ -n "$at" ] || skip "the checkpoint has no global heap"
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
    [ -n "$at" ] || skip "the checkpoint has no global heap"
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
skip = range(0)
if heap >= 0:  # "GCOL", version, 3 reserved bytes, collection size (8 bytes)
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
      "[%d, %d)" % (skip.start, skip.stop) if heap >= 0 else "absent", counts))
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

# ---- the driver itself must be able to fail ----

# expect_error.sh must reject each of these
case_driver_selftest() {
    local bad=0
    make_run "$WORK/run"
    # the right regex passes (the control)
    "${EXPECT[@]}" "--hidden: 0 is out of range" -- "$TRAIN" --hidden 0 >/dev/null ||
        fail "the driver rejects a good case"
    refuse() {
        local why=$1
        shift
        if "${EXPECT[@]}" "$@" >/dev/null 2>"$WORK/selftest.err"; then
            echo "driver accepted: $why" >&2
            bad=1
        else
            echo "ok: refused $why"
        fi
    }
    refuse "a wrong regex" "--hidden: 1 is out of range" -- "$TRAIN" --hidden 0
    refuse "a regex for the other program" "^charnn-sample" -- "$TRAIN" --hidden 0
    refuse "exit status 0" "." -- "$SAMPLE" "$WORK/run/latest.h5" --length 3 --device cpu
    refuse "a wrong --status" --status 3 "out of range" -- "$TRAIN" --hidden 0
    refuse "two lines" "first" -- sh -c 'echo "charnn-train: error: first" >&2; echo "charnn-train: error: second" >&2; exit 1'
    refuse "a missing newline" "x" -- sh -c 'printf "charnn-train: error: x" >&2; exit 1'
    refuse "an empty stderr" "." -- sh -c 'exit 1'
    refuse "a line without the prefix" "x" -- sh -c 'echo "error: x" >&2; exit 1'
    refuse "a crash (SIGSEGV)" "x" -- sh -c 'echo "charnn-train: error: x" >&2; kill -SEGV $$'
    refuse "exit status 134" "x" -- sh -c 'echo "charnn-train: error: x" >&2; exit 134'
    refuse "error text on stdout" "x" -- sh -c 'echo "charnn-train: error: x" >&2; echo "error: x"; exit 1'
    refuse "a UBSan line" "x" -- sh -c 'echo "charnn-train: error: x runtime error: signed overflow" >&2; exit 1'
    refuse "a usage error (no --)" "x" "$TRAIN"
    grep -q "does not match" <("${EXPECT[@]}" "nomatch" -- "$TRAIN" --hidden 0 2>&1) ||
        fail "a wrong regex is not reported as a mismatch"
    [ "$bad" = 0 ] || fail "the driver accepted bad behaviour"
}

# ---- dispatch ----

list_cases() {
    declare -F | sed -n 's/^declare -f case_//p' | sed 's/^\(train\|sample\|driver\)_/\1./'
}

if [ "${1:-}" = --no-mpi ]; then
    NO_MPI=1
    shift
fi
[ $# = 1 ] || fail "usage: bad_input.sh [--no-mpi] CASE | --list"
if [ "$1" = --list ]; then
    list_cases
    exit 0
fi
fn=case_${1/./_}
declare -F "$fn" >/dev/null || fail "unknown case '$1' (bad_input.sh --list)"
"$fn"
