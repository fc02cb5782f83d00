/* iconv_fixtures.h — test inputs in other encodings: UTF-8 text converted
 * with iconv (test_corpus.c, test_corpus_stream.c, test_prep.c). */
#ifndef CHARNN_ICONV_FIXTURES_H
#define CHARNN_ICONV_FIXTURES_H

#include <stddef.h>

/* `len` bytes of UTF-8 `text` converted to `enc` (the shift state reset at
 * the end); malloc'ed, its length in *outlen. Fails the test on any error. */
char *fx_iconv(const char *text, size_t len, const char *enc, size_t *outlen);

#endif
