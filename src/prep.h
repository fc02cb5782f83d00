/* prep.h — charnn-prep: text files → CORPUS.h5 (format: corpus_h5.h,
 * docs/prep.md) with bounded memory, whatever the size of the text.
 *
 * Two streaming passes over the inputs, a chunk of bytes at a time (the
 * vocabulary is only known once every character has been seen):
 *   1. decode (corpus_stream: UTF-8 natively, anything else through iconv)
 *      and count every distinct code point;
 *   2. decode again, map each character to its id and append the ids to
 *      /train, then /val, in chunks (hyperslab writes).
 * Memory: the read chunk and its decoded code points, the write buffer, and
 * a count per distinct code point — never the text. The output is written
 * to OUTPUT.tmp.PID and renamed into place once complete. */
#ifndef CHARNN_PREP_H
#define CHARNN_PREP_H

#include <stddef.h>
#include <stdint.h>

#define PREP_CHUNK_DEFAULT ((size_t)4 << 20) /* bytes per read */

typedef struct {
    const char *const *inputs; /* text files, concatenated in this order */
    size_t n_inputs;
    const char *output;        /* CORPUS.h5 */
    const char *encoding;      /* of every input ("utf-8") */
    const char *newline;       /* line ends: "lf" (CRLF, lone CR -> LF) or "keep"; NULL = "lf" */
    double val_frac;           /* the last floor(n * val_frac) characters are /val */
    uint64_t min_count;        /* characters seen fewer times become U+FFFD (0, 1: none) */
    int progress;              /* a progress bar on stderr */
    size_t chunk_bytes;        /* bytes per read; 0 = PREP_CHUNK_DEFAULT */
} prep_options;

typedef struct {
    uint64_t bytes;            /* read from the inputs (per pass) */
    uint64_t n, n_train, n_val;
    uint64_t n_unknown;        /* characters mapped to U+FFFD by min_count */
    size_t distinct;           /* distinct characters of the text */
    size_t rare;               /* of them, seen fewer than min_count times */
    size_t vocab_size;         /* after min_count (U+FFFD included) */
    size_t id_bytes;           /* 2 (vocab <= 65536) or 4 */
} prep_summary;

/* Errors (a newline other than keep or lf, unreadable or non-regular input,
 * bad encoding with the file and byte offset, no characters, write failure,
 * an input that changed between the passes): -1 with error_message(); no
 * output file is left behind. */
int prep_run(const prep_options *o, prep_summary *sum);

#endif
