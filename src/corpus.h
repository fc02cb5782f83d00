/* corpus.h — text file → Unicode code points → sorted vocabulary → ids. */
#ifndef CHARNN_CORPUS_H
#define CHARNN_CORPUS_H

#include "newline.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *vocab;    /* (vocab_size) distinct code points, ascending */
    size_t vocab_size;
    uint32_t *ids;      /* (n) index into vocab of each character of the text */
    size_t n;
    newline_fold nl;    /* the text's line ends: counted, folded with --newline lf */
} corpus;

/* Reads the whole file at `path`. Errors (missing, unreadable, empty):
 * -1 with error_message() naming the file. *bytes is malloc'ed. */
int corpus_read_file(const char *path, char **bytes, size_t *len);

/* Decodes bytes in `encoding` ("utf-8" / "utf8", any case, decoded natively
 * with validation; anything else through iconv) to code points (*cps,
 * malloc'ed, *n of them). A leading UTF-8 BOM is dropped. Errors start with
 * `what` (e.g. "data file 'x.txt'", "--prime"), give the byte offset of the
 * first bad sequence, and suggest --encoding;
 * an unknown encoding is an error naming it. */
int corpus_decode(const char *bytes, size_t len, const char *encoding, const char *what,
                  uint32_t **cps, size_t *n);

/* Streaming decoding of one text that arrives in chunks of any size (a
 * multi-byte sequence may be split between two chunks): the same validation
 * and error messages as corpus_decode (which is one final chunk of it), with
 * byte offsets counted from the start of the text; a leading BOM is dropped.
 * Memory: the decoded code points of one chunk (plus a few carried bytes). */
#define CORPUS_STREAM_CARRY 64 /* longest incomplete sequence carried over */
typedef struct {
    int utf8;                  /* decoded natively, else through iconv (cd) */
    void *cd;                  /* iconv_t */
    char encoding[64];
    char *what;                /* error prefix, e.g. "data file 'x.txt'" */
    unsigned char carry[CORPUS_STREAM_CARRY]; /* an incomplete sequence at the end of the last chunk */
    size_t ncarry;
    unsigned long long done;   /* byte offset of carry[0] (or of the next chunk) */
    int started;               /* a code point was produced (the BOM check is done) */
    uint32_t *out;             /* the last chunk's code points */
    size_t n, cap;
    unsigned char *chunk;      /* iconv output */
    newline_fold nl;           /* line ends: set nl.mode after open (default keep) */
} corpus_stream;

/* Unknown encoding: -1 (as corpus_decode). `what` is copied. */
int corpus_stream_open(corpus_stream *s, const char *encoding, const char *what);
/* Decodes the next chunk; *cps (n of them, never NULL) stays valid until the next call;
 * with s->nl.mode NEWLINE_LF its line ends folded (and counted in s->nl);
 * with keep, untouched and not counted (corpus_load counts the whole text).
 * final: the last chunk (an incomplete sequence at its end is an error);
 * a final call with len 0 ends the text. Errors: -1, as corpus_decode's. */
int corpus_stream_feed(corpus_stream *s, const char *bytes, size_t len, int final,
                       const uint32_t **cps, size_t *n);
void corpus_stream_close(corpus_stream *s);

/* 1 when the two encoding names mean the same decoding ("UTF8" = "utf-8";
 * other names compared without case). */
int corpus_same_encoding(const char *a, const char *b);

/* Sorted distinct code points of cps (malloc'ed). */
int vocab_build(const uint32_t *cps, size_t n, uint32_t **vocab, size_t *vocab_size);

/* Index of cp in vocab (binary search), or -1 when absent. */
long vocab_index(const uint32_t *vocab, size_t vocab_size, uint32_t cp);

/* read + decode + line ends (newline_apply, counted in c->nl) + vocab_build
 * + map every character to its index. Empty text (after decoding) is an error. */
int corpus_load(corpus *c, const char *path, const char *encoding, newline_mode newline);

/* Maps cps to ids through an existing vocabulary (e.g. a checkpoint's).
 * Characters outside it: -1 and an error naming up to 10 of them, quoted
 * (e.g. "'Ω' (U+03A9)"), with `what` (e.g. "prime", the file name). */
int corpus_map(const uint32_t *vocab, size_t vocab_size, const uint32_t *cps, size_t n,
               uint32_t *ids, const char *what);

void corpus_free(corpus *c);

/* Encodes one code point as UTF-8 into out (up to 4 bytes); returns the
 * number of bytes. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
