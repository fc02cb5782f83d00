/* corpus.h — text file → Unicode code points → sorted vocabulary → ids. */
#ifndef CHARNN_CORPUS_H
#define CHARNN_CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *vocab;    /* (vocab_size) distinct code points, ascending */
    size_t vocab_size;
    uint32_t *ids;      /* (n) index into vocab of each character of the text */
    size_t n;
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

/* Sorted distinct code points of cps (malloc'ed). */
int vocab_build(const uint32_t *cps, size_t n, uint32_t **vocab, size_t *vocab_size);

/* Index of cp in vocab (binary search), or -1 when absent. */
long vocab_index(const uint32_t *vocab, size_t vocab_size, uint32_t cp);

/* read + decode + vocab_build + map every character to its index.
 * Empty text (after decoding) is an error. */
int corpus_load(corpus *c, const char *path, const char *encoding);

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
