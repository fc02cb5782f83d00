#!/usr/bin/env bash
# newline_check.sh — line ends through the real binaries: a text with CRLF
# line ends (and one lone CR) gives, by default (--newline lf), the
# vocabulary Python's open().read() gives (no '\r'), with a banner line
# saying so; --newline keep keeps '\r'; checkpoints record the mode, resume
# refuses a contradiction and takes a checkpoint from before the option as
# keep; charnn-sample folds --prime and --score as the model was trained;
# charnn-prep records the mode in CORPUS.h5 and the trainer holds to it;
# configs/anna.ini asks for lf.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
EXPECT=(bash "$CHARNN_SOURCE/tests/e2e/expect_error.sh")
gen_text english 30000 7 lf.txt
sed 's/$/\r/' lf.txt >crlf.txt              # CRLF line ends,
printf 'end\r' >>crlf.txt                   # and a lone CR at the end, whatever lf.txt ends with
SMALL=(--hidden 16 --layers 1 --batch 4 --seq 20 --threads 1 --save-every 0 --eval-every 0)

vocab_has_cr() { "$PY" -c 'import h5py, sys; sys.exit(0 if 13 in list(h5py.File(sys.argv[1])["/vocab"][:]) else 1)' "$1"; }
option() { "$PY" -c 'import h5py, sys; print(h5py.File(sys.argv[1])["/options"].attrs[sys.argv[2]])' "$1" "$2"; }
py_vocab() { "$PY" -c 'import sys; print(len(set(open(sys.argv[1], encoding="utf-8").read())))' "$1"; }
ck_vocab() { "$PY" -c 'import h5py, sys; print(len(h5py.File(sys.argv[1])["/vocab"]))' "$1"; }

# default: folded, as Python reads it; the banner says so
"$TRAIN" --data crlf.txt --out lf "${SMALL[@]}" --steps 2 >out.txt || fail "train (default)"
grep -q "crlf.txt: CRLF and lone CR line ends folded to LF (--newline lf" out.txt ||
    { cat out.txt; fail "no banner line about the folded line ends"; }
! vocab_has_cr lf/latest.h5 || fail "default: '\\r' in the vocabulary"
[ "$(ck_vocab lf/latest.h5)" = "$(py_vocab crlf.txt)" ] ||
    fail "vocabulary $(ck_vocab lf/latest.h5), Python's open().read() gives $(py_vocab crlf.txt)"
[ "$(option lf/latest.h5 newline)" = lf ] || fail "checkpoint does not record newline = lf"

# keep: '\r' stays a character; the banner says that too
"$TRAIN" --data crlf.txt --out keep "${SMALL[@]}" --steps 2 --newline keep >out.txt || fail "train keep"
grep -q "CRLF and lone CR line ends kept" out.txt || { cat out.txt; fail "no banner line (keep)"; }
vocab_has_cr keep/latest.h5 || fail "--newline keep: no '\\r' in the vocabulary"
[ "$(option keep/latest.h5 newline)" = keep ] || fail "checkpoint does not record newline = keep"

# a text without CR: no banner line
"$TRAIN" --data lf.txt --out plain "${SMALL[@]}" --steps 1 >out.txt || fail "train lf.txt"
! grep -q "line ends" out.txt || { cat out.txt; fail "a banner line for a text without CR"; }

# resume: a contradiction is refused; options not given come from the checkpoint
"${EXPECT[@]}" "--newline keep contradicts checkpoint '.*' \(newline = lf\)" -- \
    "$TRAIN" --data crlf.txt --out lf --resume auto --steps 4 --newline keep --threads 1
"$TRAIN" --data crlf.txt --out lf --resume auto --steps 3 --threads 1 >/dev/null || fail "resume lf"
[ "$(option lf/latest.h5 newline)" = lf ] || fail "resumed checkpoint lost newline = lf"

# a checkpoint from before the option: newline removed (and its seal cleared,
# as docs/checkpoint-format.md says for files edited by hand) stands for keep
cp keep/latest.h5 old.h5
"$PY" -c 'import h5py, sys; del h5py.File(sys.argv[1], "r+")["/options"].attrs["newline"]' old.h5
dd if=/dev/zero of=old.h5 bs=512 count=1 conv=notrunc status=none
"$TRAIN" --data crlf.txt --out old --resume old.h5 --steps 3 --threads 1 >/dev/null ||
    fail "resume from a checkpoint without the newline option"
[ "$(option old/latest.h5 newline)" = keep ] || fail "an old checkpoint was not taken as keep"

# charnn-sample: --score and --prime with CRLF, as the model was trained
"$SAMPLE" lf/latest.h5 --score crlf.txt --threads 1 >score.json || fail "--score of a CRLF text (lf model)"
grep -q '"chars": ' score.json || fail "no score"
"${EXPECT[@]}" "'\\\\r' \(U\+000D\)" -- "$SAMPLE" lf/latest.h5 --score crlf.txt --newline keep --threads 1
"$SAMPLE" lf/latest.h5 --prime $'the\r\nend' --length 5 --threads 1 >/dev/null || fail "--prime with CRLF"
"$SAMPLE" keep/latest.h5 --score crlf.txt --threads 1 >/dev/null || fail "--score (keep model)"

# charnn-prep: the mode in CORPUS.h5, and the trainer holds to it
"$PREP" crlf.txt -o c.h5 >/dev/null || fail "prep"
"$PY" -c 'import h5py, sys; f = h5py.File(sys.argv[1]); a = f.attrs["newline"]; a = a.decode() if isinstance(a, bytes) else a; sys.exit(0 if a == "lf" and 13 not in list(f["/vocab"][:]) else 1)' c.h5 ||
    fail "CORPUS.h5: newline attribute or vocabulary"
"${EXPECT[@]}" "--newline keep contradicts corpus '.*c.h5' \(prepared with --newline lf, already decoded\)" -- \
    "$TRAIN" --data c.h5 --out h5k "${SMALL[@]}" --steps 1 --newline keep
"$TRAIN" --data c.h5 --out h5 "${SMALL[@]}" --steps 1 >/dev/null || fail "train on CORPUS.h5"
[ "$(option h5/latest.h5 newline)" = lf ] || fail "checkpoint from CORPUS.h5 does not record lf"
"$PREP" crlf.txt -o k.h5 --newline keep >/dev/null || fail "prep --newline keep"
"$TRAIN" --data k.h5 --out h5keep "${SMALL[@]}" --steps 1 >/dev/null || fail "train on a keep CORPUS.h5"
vocab_has_cr h5keep/latest.h5 || fail "CORPUS.h5 --newline keep: no '\\r'"

# configs/anna.ini asks for lf (the notebooks' 83 characters on anna.txt)
"$TRAIN" --config "$CHARNN_SOURCE/configs/anna.ini" --data crlf.txt --out anna "${SMALL[@]}" --steps 1 \
    >/dev/null || fail "anna.ini"
[ "$(option anna/latest.h5 newline)" = lf ] && ! vocab_has_cr anna/latest.h5 || fail "anna.ini: not lf"
echo "newline: ok"
