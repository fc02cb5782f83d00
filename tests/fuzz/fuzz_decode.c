/* fuzz_decode.c — libFuzzer target: text decoding (src/corpus.c).
 *
 * Input: byte 0 picks what is fuzzed, byte 1 seeds the chunk splits, the
 * rest is the text.
 *   byte 0 bits 0-1: the encoding, utf-8 (native), gb18030, utf-16le or
 *                    latin1 (iconv);
 *   byte 0 bit 4:    instead of text, the rest is a list of 32-bit values
 *                    (any, also above U+10FFFF) for vocab_build/corpus_map.
 * Properties checked on every input:
 *   - corpus_decode succeeds or fails with a message naming the text and a
 *     byte offset; it never crashes or reads out of bounds (ASan);
 *   - the streaming decoder fed the same text in random chunks (empty
 *     chunks and a separate empty final chunk included) gives exactly the
 *     same code points, or fails with exactly the same message;
 *   - UTF-8: every decoded code point is a Unicode scalar value and
 *     re-encoding gives back the input (minus a leading BOM); the native
 *     decoder agrees with glibc's iconv UTF-8 decoder;
 *   - the vocabulary of the decoded text is strictly increasing, and
 *     corpus_map maps every character to its own index (and names the
 *     characters that a smaller vocabulary lacks). */
#include "corpus.h"
#include "error.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const encodings[4] = {"utf-8", "gb18030", "utf-16le", "latin1"};
#define WHAT "fuzz text"

typedef struct {
    uint32_t *v;
    size_t n, cap;
} cp_buf;

static void cp_append(cp_buf *b, const uint32_t *cps, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 16;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
        FUZZ_CHECK(b->v != NULL, "out of memory");
    }
    if (n)
        memcpy(b->v + b->n, cps, n * sizeof *cps);
    b->n += n;
}

/* The streaming decoder over text in chunks drawn from seed; its result
 * must be the one-shot result (rc, code points, or the error message). */
static void check_stream(const char *enc, const char *text, size_t len, uint64_t seed, int one_rc,
                         const uint32_t *one, size_t one_n, const char *one_msg)
{
    corpus_stream s;
    cp_buf got = {0};
    FUZZ_CHECK(corpus_stream_open(&s, enc, WHAT) == 0, "cannot open a stream for %s", enc);
    size_t pos = 0;
    int rc = 0, ended = 0;
    while (!ended) {
        uint64_t r = fuzz_next(&seed);
        size_t chunk = (r & 3) == 0 ? (size_t)(r >> 8) % 257 : (size_t)(r >> 8) % 9;
        if (chunk > len - pos)
            chunk = len - pos;
        /* the last bytes: final with this chunk, or a separate empty final call */
        int final = pos + chunk == len && (r & 4);
        const uint32_t *cps;
        size_t n;
        rc = corpus_stream_feed(&s, text + pos, chunk, final, &cps, &n);
        if (rc != 0)
            break;
        cp_append(&got, cps, n);
        pos += chunk;
        if (final)
            ended = 1;
        else if (pos == len && (r & 8)) {
            rc = corpus_stream_feed(&s, text + pos, 0, 1, &cps, &n);
            if (rc == 0)
                cp_append(&got, cps, n);
            ended = 1;
        }
    }
    FUZZ_CHECK(rc == one_rc, "%s: streaming rc %d, one-shot rc %d (%s)", enc, rc, one_rc,
               rc ? error_message() : one_msg);
    if (rc == 0) {
        FUZZ_CHECK(got.n == one_n, "%s: streaming gave %zu code points, one-shot %zu", enc, got.n,
                   one_n);
        for (size_t i = 0; i < one_n; i++)
            FUZZ_CHECK(got.v[i] == one[i], "%s: code point %zu: streaming U+%04X, one-shot U+%04X",
                       enc, i, (unsigned)got.v[i], (unsigned)one[i]);
    } else {
        FUZZ_CHECK(strcmp(error_message(), one_msg) == 0,
                   "%s: streaming error \"%s\", one-shot \"%s\"", enc, error_message(), one_msg);
    }
    corpus_stream_close(&s);
    free(got.v);
}

/* Valid UTF-8 decodes to scalar values that encode back to the input. */
static void check_utf8_round_trip(const char *text, size_t len, const uint32_t *cps, size_t n)
{
    size_t at = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (size_t i = 0; i < n; i++) {
        char out[4];
        FUZZ_CHECK(cps[i] <= 0x10FFFF && (cps[i] < 0xD800 || cps[i] > 0xDFFF),
                   "decoded U+%X is not a scalar value", (unsigned)cps[i]);
        size_t k = utf8_encode(cps[i], out);
        FUZZ_CHECK(at + k <= len && memcmp(text + at, out, k) == 0,
                   "U+%04X at byte %zu does not encode back to the input", (unsigned)cps[i], at);
        at += k;
    }
    FUZZ_CHECK(at == len, "re-encoding gives %zu bytes, the input has %zu", at, len);
}

/* glibc's UTF-8 decoder (through iconv: "UTF-8//" is not the native path)
 * must accept exactly what the native one accepts, with the same result. */
static void check_utf8_vs_iconv(const char *text, size_t len, int rc, const uint32_t *cps, size_t n)
{
    uint32_t *ref = NULL;
    size_t ref_n = 0;
    int ref_rc = corpus_decode(text, len, "UTF-8//", WHAT, &ref, &ref_n);
    FUZZ_CHECK((rc == 0) == (ref_rc == 0), "native UTF-8 %s, glibc iconv %s (%s)",
               rc ? "rejects" : "accepts", ref_rc ? "rejects" : "accepts", error_message());
    if (rc == 0) {
        FUZZ_CHECK(ref_n == n, "native UTF-8 gives %zu code points, iconv %zu", n, ref_n);
        FUZZ_CHECK(n == 0 || memcmp(ref, cps, n * sizeof *cps) == 0,
                   "native UTF-8 and iconv decode differently");
    }
    free(ref);
}

/* The vocabulary of cps[0, n) and the mapping through it; then through the
 * vocabulary of the first half only, which must name what it lacks. */
static void check_vocab(const uint32_t *cps, size_t n)
{
    uint32_t *vocab, *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t V;
    FUZZ_CHECK(ids != NULL, "out of memory");
    FUZZ_CHECK(vocab_build(cps, n, &vocab, &V) == 0, "vocab_build failed");
    FUZZ_CHECK(V <= n, "vocabulary of %zu from %zu characters", V, n);
    for (size_t i = 1; i < V; i++)
        FUZZ_CHECK(vocab[i - 1] < vocab[i], "vocabulary not strictly increasing at %zu", i);
    if (V) {
        FUZZ_CHECK(corpus_map(vocab, V, cps, n, ids, "fuzz") == 0, "mapping through its own "
                   "vocabulary failed: %s", error_message());
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(ids[i] < V && vocab[ids[i]] == cps[i], "character %zu mapped wrongly", i);
    }
    free(vocab);

    size_t half = n / 2;
    FUZZ_CHECK(vocab_build(cps, half, &vocab, &V) == 0, "vocab_build failed");
    if (V) {
        int rc = corpus_map(vocab, V, cps, n, ids, "fuzz");
        int missing = 0;
        for (size_t i = 0; i < n; i++) {
            long k = vocab_index(vocab, V, cps[i]);
            missing |= k < 0;
            FUZZ_CHECK(k < 0 || ids[i] == (uint32_t)k, "character %zu mapped wrongly", i);
        }
        FUZZ_CHECK((rc != 0) == missing, "corpus_map rc %d with %s missing", rc,
                   missing ? "characters" : "nothing");
        FUZZ_CHECK(!rc || strstr(error_message(), "not in the vocabulary"),
                   "unexpected message: %s", error_message());
    }
    free(vocab);
    free(ids);
}

static void fuzz_text(int which, uint64_t seed, const char *text, size_t len)
{
    const char *enc = encodings[which];
    uint32_t *cps = NULL;
    size_t n = 0;
    int rc = corpus_decode(text, len, enc, WHAT, &cps, &n);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", error_message());
    if (rc != 0) {
        FUZZ_CHECK(cps == NULL && n == 0, "a failed decode returned code points");
        FUZZ_CHECK(strncmp(msg, WHAT ": ", sizeof WHAT + 1) == 0 && strstr(msg, "byte offset"),
                   "message does not name the text and an offset: %s", msg);
    } else {
        FUZZ_CHECK(cps != NULL, "a successful decode returned no buffer");
        FUZZ_CHECK(n <= len, "%zu code points from %zu bytes", n, len);
    }
    check_stream(enc, text, len, seed, rc, cps, n, msg);
    if (which == 0) {
        if (rc == 0)
            check_utf8_round_trip(text, len, cps, n);
        check_utf8_vs_iconv(text, len, rc, cps, n);
    }
    if (rc == 0)
        check_vocab(cps, n);
    free(cps);
}

/* Arbitrary 32-bit values (what a checkpoint's vocabulary could hold). */
static void fuzz_values(const uint8_t *data, size_t size)
{
    size_t n = size / 4;
    uint32_t *cps = malloc((n ? n : 1) * sizeof *cps);
    FUZZ_CHECK(cps != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        cps[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
                 (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
    check_vocab(cps, n);
    free(cps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] & 0x10)
        fuzz_values(data + 2, size - 2);
    else
        fuzz_text(data[0] & 3, data[1] * 0x100000001ull, (const char *)data + 2, size - 2);
    return 0;
}
