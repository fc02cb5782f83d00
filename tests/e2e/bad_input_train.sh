#!/bin/bash
# bad_input_train.sh CASE — charnn-train's bad-input cases, each case_train_NAME
# the ctest bad_input.train.NAME: data, encodings, options and config files,
# ranks, resumes from missing, damaged or mismatched checkpoints, divergence.
# The rule, the fixtures and the dispatch: bad_input_lib.sh.
#   bash bad_input_train.sh [--no-mpi] CASE | --list
set -euo pipefail
. "${CHARNN_SOURCE:?set by ctest}/tests/e2e/bad_input_lib.sh"

case_train_missing_data() {
    train_case "cannot open data file '$WORK/nope\.txt': No such file or directory" \
        --data "$WORK/nope.txt"
}

case_train_unknown_cpu_isa() { # the kernels' path forced to one that does not exist
    make_run "$WORK/run"
    guarded "$WORK/run" "CHARNN_CPU_ISA=avx9: unknown instruction set 'avx9' \(avx512, avx2 or baseline\)" \
        -- env CHARNN_CPU_ISA=avx9 "$TRAIN" "${SMALL[@]}" --out "$WORK/run"
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

bad_input_main "$@"
