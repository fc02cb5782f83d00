/* test_corpus_stream.c — the streaming decoder (corpus_stream_* in corpus.c,
 * what charnn-prep reads a text with) across chunk boundaries, UTF-8 and
 * iconv: in pieces of any size it gives exactly what corpus_decode gives for
 * the whole text, or its error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iconv_fixtures.h"

#include "corpus.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A mix of 1-, 2-, 3- and 4-byte sequences, with a leading BOM. */
static const char ts_mixed[] = "\xEF\xBB\xBF"
                               "a\xC3\xA9z \xE4\xB8\xAD\xE6\x96\x87\xF0\x9F\x98\x80!\n"
                               "\xCE\xA9\xF4\x8F\xBF\xBF\xE2\x82\xAC"
                               "x\xEF\xBB\xBFy\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF";

typedef struct {
    uint32_t *cps;
    size_t n, cap;
} ts_buf;

static void ts_append(ts_buf *b, const uint32_t *cps, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 16;
        b->cps = realloc(b->cps, b->cap * sizeof *b->cps);
        assert_non_null(b->cps);
    }
    if (n) /* b->cps is still NULL when nothing came yet */
        memcpy(b->cps + b->n, cps, n * sizeof *cps);
    b->n += n;
}

/* Streams bytes through the decoder in pieces of the given sizes (cycled),
 * then a final empty feed. Returns 0 or -1 (error_message set). */
static int ts_stream(const char *bytes, size_t len, const char *enc, const size_t *sizes,
                     size_t nsizes, ts_buf *out)
{
    corpus_stream s;
    memset(out, 0, sizeof *out);
    if (corpus_stream_open(&s, enc, "data file 't'"))
        return -1;
    size_t pos = 0, k = 0;
    int rc = 0;
    while (!rc && pos < len) {
        size_t step = sizes[k++ % nsizes];
        if (step > len - pos)
            step = len - pos;
        const uint32_t *cps;
        size_t n;
        rc = corpus_stream_feed(&s, bytes + pos, step, 0, &cps, &n);
        if (!rc)
            ts_append(out, cps, n);
        pos += step;
    }
    if (!rc) {
        const uint32_t *cps;
        size_t n;
        rc = corpus_stream_feed(&s, NULL, 0, 1, &cps, &n);
        if (!rc)
            ts_append(out, cps, n);
    }
    corpus_stream_close(&s);
    return rc;
}

/* Streaming in every fixed piece size, and in every split into two pieces,
 * gives what corpus_decode gives for the whole. */
static void ts_expect_same(const char *bytes, size_t len, const char *enc)
{
    uint32_t *want;
    size_t nwant;
    if (corpus_decode(bytes, len, enc, "data file 't'", &want, &nwant))
        fail_msg("decode: %s", error_message());
    for (size_t size = 1; size <= len + 1; size++) {
        ts_buf got;
        if (ts_stream(bytes, len, enc, &size, 1, &got))
            fail_msg("%s, pieces of %zu: %s", enc, size, error_message());
        assert_int_equal(got.n, nwant);
        assert_memory_equal(got.cps, want, nwant * sizeof *want);
        free(got.cps);
    }
    for (size_t cut = 0; cut <= len; cut++) {
        size_t sizes[2] = {cut ? cut : len, len};
        ts_buf got;
        if (ts_stream(bytes, len, enc, sizes, 2, &got))
            fail_msg("%s, cut at %zu: %s", enc, cut, error_message());
        assert_int_equal(got.n, nwant);
        assert_memory_equal(got.cps, want, nwant * sizeof *want);
        free(got.cps);
    }
    free(want);
}

/* Streaming in pieces of every size fails with the message corpus_decode
 * gives for the whole (the same byte offset). */
static void ts_expect_same_error(const char *bytes, size_t len, const char *enc)
{
    uint32_t *cps;
    size_t n;
    char want[1024];
    assert_int_equal(corpus_decode(bytes, len, enc, "data file 't'", &cps, &n), -1);
    snprintf(want, sizeof want, "%s", error_message());
    for (size_t size = 1; size <= len + 1; size++) {
        ts_buf got;
        assert_int_equal(ts_stream(bytes, len, enc, &size, 1, &got), -1);
        if (strcmp(error_message(), want) != 0)
            fail_msg("pieces of %zu: '%s', whole: '%s'", size, error_message(), want);
        free(got.cps);
    }
}

static void test_stream_utf8_boundaries(void **state)
{
    (void)state;
    ts_expect_same(ts_mixed, sizeof ts_mixed - 1, "utf-8");
    ts_expect_same("", 0, "utf-8");
    ts_expect_same("\xEF\xBB\xBF", 3, "utf-8");
}

static void test_stream_utf8_bom_only_first(void **state)
{
    (void)state;
    /* a BOM in a later chunk is a character (U+FEFF), only the leading one goes */
    const char *text = "\xEF\xBB\xBF\xEF\xBB\xBF"
                       "a";
    size_t sizes[1] = {3};
    ts_buf got;
    assert_int_equal(ts_stream(text, 7, "utf-8", sizes, 1, &got), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.cps[0], 0xFEFF);
    assert_int_equal(got.cps[1], 'a');
    free(got.cps);
}

static void test_stream_utf8_errors(void **state)
{
    (void)state;
    /* invalid sequences at various places: the offset of the bad sequence's
     * first byte, however the text is cut */
    static const struct {
        const char *s;
        size_t len;
        size_t off;
        unsigned byte;
    } cases[] = {
        {"abc\xE4\xB8" "d", 6, 3, 0xE4},            /* cut 3-byte sequence */
        {"abc\xE4\xB8", 5, 3, 0xE4},                /* truncated at the end */
        {"\xF0\x9F\x98", 3, 0, 0xF0},               /* truncated 4-byte, alone */
        {"xy\xE0\x80\x80", 5, 2, 0xE0},             /* overlong */
        {"xy\xED\xA0\x80z", 6, 2, 0xED},            /* surrogate */
        {"\xC3\xA9\x80", 3, 2, 0x80},               /* stray continuation */
        {"\xC3\xA9\xF4\x90\x80\x80", 6, 2, 0xF4},   /* above U+10FFFF */
        {"ab\xF0\x9F" "a\x80", 6, 2, 0xF0},         /* bad continuation after a cut */
        {"\xFF", 1, 0, 0xFF},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[512];
        snprintf(want, sizeof want,
                 "data file 't': invalid UTF-8 at byte offset %zu (byte 0x%02x); if it is "
                 "in another encoding, pass --encoding (e.g. --encoding gb18030)",
                 cases[i].off, cases[i].byte);
        for (size_t size = 1; size <= cases[i].len; size++) {
            ts_buf got;
            assert_int_equal(ts_stream(cases[i].s, cases[i].len, "utf-8", &size, 1, &got), -1);
            if (strcmp(error_message(), want) != 0)
                fail_msg("case %zu, pieces of %zu: '%s'", i, size, error_message());
            free(got.cps);
        }
    }
}

static void test_stream_offsets_past_chunks(void **state)
{
    (void)state;
    /* the offset counts every byte of the earlier chunks (and a carried sequence) */
    size_t len = 10000;
    char *s = malloc(len);
    for (size_t i = 0; i < len; i += 2)
        memcpy(s + i, "\xC3\xA9", 2);
    s[7777] = 'x'; /* breaks the sequence started at 7776 */
    char want[512];
    snprintf(want, sizeof want, "invalid UTF-8 at byte offset 7776 (byte 0xc3)");
    size_t sizes[] = {1, 3, 4096, 7777, 7776, 9999};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        ts_buf got;
        assert_int_equal(ts_stream(s, len, "utf-8", &sizes[k], 1, &got), -1);
        assert_non_null(strstr(error_message(), want));
        free(got.cps);
    }
    free(s);
}

static void test_stream_iconv_boundaries(void **state)
{
    (void)state;
    const char *text = "中文 text, ÀÉÎ, 𠀀 and € — 三國演義\n";
    static const char *encs[] = {"GB18030", "UTF-16", "UTF-16BE", "UTF-32LE", "BIG5-HKSCS"};
    for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++) {
        size_t len;
        char *bytes = fx_iconv(i == 4 ? "中文 text, 三國\n" : text,
                               strlen(i == 4 ? "中文 text, 三國\n" : text), encs[i], &len);
        ts_expect_same(bytes, len, encs[i]);
        free(bytes);
    }
    size_t len;
    char *latin = fx_iconv("caf\xC3\xA9 na\xC3\xAFve", 12, "ISO-8859-1", &len);
    ts_expect_same(latin, len, "latin1");
    free(latin);
}

static void test_stream_iconv_errors(void **state)
{
    (void)state;
    /* an invalid trail byte, and a sequence cut by the end of the text */
    ts_expect_same_error("\xD6\xD0\xCE\xC4\x81\x20xy", 8, "gb18030");
    ts_expect_same_error("ab\xD6", 3, "gb18030");
    ts_expect_same_error("\xD6\xD0\x81\x30\x81", 5, "gb18030");
}

static void test_stream_long_iconv(void **state)
{
    (void)state;
    /* more code points than one iconv output buffer, in odd pieces */
    size_t n = 200000, len;
    char *u = malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(u + 3 * i, "\xE4\xB8\xAD", 3);
    u[3 * n] = 0;
    char *gb = fx_iconv(u, 3 * n, "GB18030", &len);
    size_t sizes[] = {65537, 3, 1, 99991};
    ts_buf got;
    assert_int_equal(ts_stream(gb, len, "gb18030", sizes, 4, &got), 0);
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got.cps[i], 0x4E2D);
    free(got.cps);
    free(gb);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_utf8_boundaries),
        cmocka_unit_test(test_stream_utf8_bom_only_first),
        cmocka_unit_test(test_stream_utf8_errors),
        cmocka_unit_test(test_stream_offsets_past_chunks),
        cmocka_unit_test(test_stream_iconv_boundaries),
        cmocka_unit_test(test_stream_iconv_errors),
        cmocka_unit_test(test_stream_long_iconv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
