/* test_corpus.c — file reading, UTF-8 / iconv decoding, vocabulary, mapping and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iconv_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus.h"
#include "error.h"

/* ---- helpers ---- */

static size_t tc_decode(const char *bytes, size_t len, const char *enc, uint32_t **cps)
{
    size_t n = 0;
    int rc = corpus_decode(bytes, len, enc, "data file 't.txt'", cps, &n);
    if (rc)
        fail_msg("decode failed: %s", error_message());
    return n;
}

static void tc_expect_cps(const char *bytes, size_t len, const uint32_t *want, size_t nwant)
{
    uint32_t *cps;
    size_t n = tc_decode(bytes, len, "utf-8", &cps);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cps[i], want[i]);
    free(cps);
}

/* Decoding must fail with the exact UTF-8 message for (offset, byte). */
static void tc_expect_bad_utf8(const char *bytes, size_t len, size_t off, unsigned byte)
{
    uint32_t *cps = (uint32_t *)1;
    size_t n = 99;
    assert_int_equal(corpus_decode(bytes, len, "UTF-8", "data file 'f.txt'", &cps, &n), -1);
    char want[512];
    snprintf(want, sizeof want,
             "data file 'f.txt': invalid UTF-8 at byte offset %zu (byte 0x%02x); if it is "
             "in another encoding, pass --encoding (e.g. --encoding gb18030)",
             off, byte);
    assert_string_equal(error_message(), want);
    assert_null(cps);
}

static char *tc_temp_file(const void *data, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/charnn_corpus_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Appends the UTF-8 of cps to a malloc'ed buffer. */
static char *tc_utf8(const uint32_t *cps, size_t n, size_t *len)
{
    char *s = malloc(n * 4 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += utf8_encode(cps[i], s + k);
    s[k] = 0;
    *len = k;
    return s;
}

/* ---- decoding ---- */

static void test_corpus_ascii(void **state)
{
    (void)state;
    const uint32_t want[] = {'h', 'i', '\n', ' ', '~', 0};
    tc_expect_cps("hi\n ~\0", 6, want, 6);
}

static void test_corpus_utf8_multibyte(void **state)
{
    (void)state;
    const char *s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xC2\x80\xDF\xBF\xEF\xBF\xBF"
                    "\xF4\x8F\xBF\xBF\xEE\x80\x80";
    const uint32_t want[] = {'a', 0xE9, 0x4E2D, 0x1F600, 0x80, 0x7FF, 0xFFFF, 0x10FFFF, 0xE000};
    tc_expect_cps(s, strlen(s), want, 9);
    /* encodings are matched case-insensitively */
    uint32_t *cps;
    assert_int_equal(tc_decode("\xC3\xA9", 2, "Utf8", &cps), 1);
    assert_int_equal(cps[0], 0xE9);
    free(cps);
    assert_int_equal(tc_decode("\xC3\xA9", 2, "UTF-8", &cps), 1);
    free(cps);
}

static void test_corpus_utf8_invalid(void **state)
{
    (void)state;
    tc_expect_bad_utf8("ab\x80", 3, 2, 0x80);                /* stray continuation */
    tc_expect_bad_utf8("\xBF", 1, 0, 0xBF);                  /* stray continuation */
    tc_expect_bad_utf8("x\xC0\xAF", 3, 1, 0xC0);             /* overlong 2-byte */
    tc_expect_bad_utf8("xy\xC1\xBF", 4, 2, 0xC1);            /* overlong 2-byte */
    tc_expect_bad_utf8("\xE0\x80\xAFz", 4, 0, 0xE0);         /* overlong 3-byte */
    tc_expect_bad_utf8("\xE0\x9F\xBF", 3, 0, 0xE0);          /* overlong 3-byte */
    tc_expect_bad_utf8("ok\xF0\x80\x80\xAF", 6, 2, 0xF0);    /* overlong 4-byte */
    tc_expect_bad_utf8("ok\xF0\x8F\xBF\xBF", 6, 2, 0xF0);    /* overlong 4-byte */
    tc_expect_bad_utf8("\xC3\xA9\xED\xA0\x80", 5, 2, 0xED);  /* high surrogate */
    tc_expect_bad_utf8("\xED\xBF\xBF", 3, 0, 0xED);          /* low surrogate */
    tc_expect_bad_utf8("a\xF4\x90\x80\x80", 5, 1, 0xF4);     /* > U+10FFFF */
    tc_expect_bad_utf8("a\xF5\x80\x80\x80", 5, 1, 0xF5);     /* > U+10FFFF */
    tc_expect_bad_utf8("abc\xFF", 4, 3, 0xFF);               /* never valid */
    tc_expect_bad_utf8("abc\xFEz", 5, 3, 0xFE);              /* never valid */
    tc_expect_bad_utf8("abc\xE4\xB8", 5, 3, 0xE4);           /* truncated at the end */
    tc_expect_bad_utf8("abc\xF0\x9F\x98", 6, 3, 0xF0);       /* truncated at the end */
    tc_expect_bad_utf8("\xC3", 1, 0, 0xC3);                  /* truncated at the end */
    tc_expect_bad_utf8("\xE4\xB8z", 3, 0, 0xE4);             /* truncated by ASCII */
    tc_expect_bad_utf8("\xF0\x9F\x98\xC3\xA9", 5, 0, 0xF0);  /* truncated by a lead byte */
    tc_expect_bad_utf8("\xC3\xA9\xC3", 3, 2, 0xC3);
    /* offsets count the BOM */
    tc_expect_bad_utf8("\xEF\xBB\xBF" "ab\x80", 6, 5, 0x80);
    /* a long valid prefix */
    size_t len = 100000;
    char *big = malloc(len);
    for (size_t i = 0; i + 3 <= len; i += 3)
        memcpy(big + i, "\xE4\xB8\xAD", 3);
    big[99999] = (char)0x80; /* 99999 = 3 * 33333: a stray continuation */
    tc_expect_bad_utf8(big, len, 99999, 0x80);
    free(big);
}

static void test_corpus_bom(void **state)
{
    (void)state;
    const uint32_t want[] = {'a', 0xFEFF, 'b'};
    tc_expect_cps("\xEF\xBB\xBF" "a\xEF\xBB\xBF" "b", 8, want, 3); /* only the leading one */
    uint32_t *cps;
    assert_int_equal(tc_decode("\xEF\xBB\xBF", 3, "utf-8", &cps), 0);
    free(cps);
}

static void test_corpus_gb18030(void **state)
{
    (void)state;
    const char *text = "第一回 宴桃园豪杰三结义\n滚滚长江东逝水，浪花淘尽英雄。€😀é";
    size_t gblen;
    char *gb = fx_iconv(text, strlen(text), "GB18030", &gblen);
    uint32_t *want, *got;
    size_t nwant = tc_decode(text, strlen(text), "utf-8", &want);
    size_t ngot = tc_decode(gb, gblen, "gb18030", &got);
    assert_int_equal(ngot, nwant);
    assert_memory_equal(got, want, nwant * sizeof *got);
    free(got);
    assert_int_equal(tc_decode(gb, gblen, "GB18030", &got), nwant);
    free(got);
    free(want);
    free(gb);
    /* latin-1 through iconv too */
    assert_int_equal(tc_decode("caf\xE9", 4, "ISO-8859-1", &got), 4);
    assert_int_equal(got[3], 0xE9);
    free(got);
}

static void test_corpus_gb18030_invalid(void **state)
{
    (void)state;
    uint32_t *cps;
    size_t n;
    /* "中文" in GB18030 is d6d0 cec4; 0x81 0x20 is not a valid sequence */
    assert_int_equal(corpus_decode("\xD6\xD0\xCE\xC4\x81\x20xy", 8, "gb18030", "data file 'f'", &cps, &n), -1);
    assert_non_null(strstr(error_message(), "data file 'f': invalid gb18030 at byte offset 4"));
    /* truncated at the end */
    assert_int_equal(corpus_decode("ab\xD6", 3, "gb18030", "data file 'g.txt'", &cps, &n), -1);
    assert_non_null(
        strstr(error_message(), "data file 'g.txt': invalid gb18030 at byte offset 2"));
    /* past the first iconv output chunk */
    size_t len = 300001;
    char *big = malloc(len);
    memset(big, 'a', len);
    big[300000] = (char)0xFF;
    assert_int_equal(corpus_decode(big, len, "GB18030", "data file 'h'", &cps, &n), -1);
    assert_non_null(strstr(error_message(), "invalid GB18030 at byte offset 300000"));
    big[300000] = 'b';
    assert_int_equal(tc_decode(big, len, "GB18030", &cps), len);
    assert_int_equal(cps[len - 1], 'b');
    free(cps);
    free(big);
}

static void test_corpus_unknown_encoding(void **state)
{
    (void)state;
    uint32_t *cps;
    size_t n;
    assert_int_equal(corpus_decode("abc", 3, "foo", "data file 'f'", &cps, &n), -1);
    assert_string_equal(error_message(), "unknown encoding 'foo' (see iconv --list)");
}

/* ---- vocabulary ---- */

static void test_corpus_chinese_vocab(void **state)
{
    (void)state;
    const size_t distinct = 5000, n = 60000;
    uint32_t *text = malloc(n * sizeof *text);
    for (size_t i = 0; i < n; i++) /* every one of the 5000 hanzi, scrambled, plus punctuation */
        text[i] = i % 13 == 0 ? 0x3002 : 0x4E00 + (uint32_t)((i * 7919) % distinct);
    size_t len;
    char *utf8 = tc_utf8(text, n, &len);
    uint32_t *cps;
    assert_int_equal(tc_decode(utf8, len, "utf-8", &cps), n);
    assert_memory_equal(cps, text, n * sizeof *cps);
    size_t gblen;
    char *gb = fx_iconv(utf8, len, "GB18030", &gblen);
    uint32_t *cps2;
    assert_int_equal(tc_decode(gb, gblen, "gb18030", &cps2), n);
    assert_memory_equal(cps2, text, n * sizeof *cps2);

    uint32_t *vocab;
    size_t vs;
    assert_int_equal(vocab_build(cps, n, &vocab, &vs), 0);
    assert_true(vs >= 4000);
    assert_int_equal(vs, distinct + 1);
    for (size_t i = 1; i < vs; i++)
        assert_true(vocab[i - 1] < vocab[i]);
    assert_int_equal(vocab[0], 0x3002);
    assert_int_equal(vocab_index(vocab, vs, 0x3002), 0);
    assert_int_equal(vocab_index(vocab, vs, 0x4E00), 1);
    assert_int_equal(vocab_index(vocab, vs, 0x4E00 + 4999), 5000);
    assert_int_equal(vocab_index(vocab, vs, 0x4E00 + 5000), -1);
    assert_int_equal(vocab_index(vocab, vs, 'a'), -1);
    assert_int_equal(vocab_index(vocab, vs, 0), -1);
    assert_int_equal(vocab_index(vocab, 0, 0x4E00), -1);
    uint32_t *ids = malloc(n * sizeof *ids);
    assert_int_equal(corpus_map(vocab, vs, cps, n, ids, "text"), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(vocab[ids[i]], text[i]);
    free(ids);
    free(vocab);
    free(cps);
    free(cps2);
    free(gb);
    free(utf8);
    free(text);
}

static void test_corpus_vocab_edge(void **state)
{
    (void)state;
    const uint32_t cps[] = {5, 3, 5, 0x10FFFF, 0, 3};
    uint32_t *v;
    size_t vs;
    assert_int_equal(vocab_build(cps, 6, &v, &vs), 0);
    assert_int_equal(vs, 4);
    assert_int_equal(v[0], 0);
    assert_int_equal(v[1], 3);
    assert_int_equal(v[2], 5);
    assert_int_equal(v[3], 0x10FFFF);
    free(v);
    const uint32_t wild[] = {0xFFFFFFFF, 7, 0x110000, 7}; /* beyond Unicode: sorted path */
    assert_int_equal(vocab_build(wild, 4, &v, &vs), 0);
    assert_int_equal(vs, 3);
    assert_int_equal(v[0], 7);
    assert_int_equal(v[1], 0x110000);
    assert_int_equal(v[2], 0xFFFFFFFF);
    assert_int_equal(vocab_index(v, vs, 0xFFFFFFFF), 2);
    free(v);
    assert_int_equal(vocab_build(cps, 0, &v, &vs), 0);
    assert_int_equal(vs, 0);
    free(v);
}

static void test_corpus_map_missing(void **state)
{
    (void)state;
    const uint32_t vocab[] = {'a', 'b', 'c'};
    const uint32_t text[] = {'a', 0x3A9, 'b', 'x', 0x3A9, '\n'};
    uint32_t ids[6];
    assert_int_equal(corpus_map(vocab, 3, text, 6, ids, "prime"), -1);
    const char *m = error_message();
    assert_non_null(strstr(m, "prime"));
    assert_non_null(strstr(m, "'\xCE\xA9' (U+03A9), 'x' (U+0078), '\\n' (U+000A)"));
    assert_non_null(strstr(m, "3 distinct characters (4 in all)"));
    assert_null(strstr(m, "more"));

    uint32_t many[40];
    for (uint32_t i = 0; i < 40; i++)
        many[i] = i < 20 ? 0x4E00 + i : 0x4E00 + (i - 20); /* 20 distinct, each twice */
    uint32_t ids2[40];
    assert_int_equal(corpus_map(vocab, 3, many, 40, ids2, "data file 'q.txt'"), -1);
    m = error_message();
    assert_non_null(strstr(m, "data file 'q.txt' has 20 distinct characters (40 in all)"));
    assert_non_null(strstr(m, "'\xE4\xB8\x80' (U+4E00)"));
    assert_non_null(strstr(m, "(U+4E09)"));
    assert_null(strstr(m, "(U+4E0A)")); /* only ten are named */
    assert_non_null(strstr(m, "and 10 more"));

    const uint32_t ok[] = {'c', 'a', 'b', 'a'};
    assert_int_equal(corpus_map(vocab, 3, ok, 4, ids, "prime"), 0);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 0);
    assert_int_equal(ids[2], 1);
    assert_int_equal(ids[3], 0);
}

static void test_corpus_map_long(void **state)
{
    (void)state; /* long texts take the table path: same answers, same errors */
    const uint32_t vocab[] = {'\n', 'a', 0x4E2D, 0x1F600};
    const size_t n = 10000;
    uint32_t *cps = malloc(n * sizeof *cps), *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        cps[i] = vocab[i % 4];
    assert_int_equal(corpus_map(vocab, 4, cps, n, ids, "text"), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], i % 4);
    cps[7777] = 0x1F601;
    cps[8888] = 'b';
    assert_int_equal(corpus_map(vocab, 4, cps, n, cps, "text"), -1); /* in place */
    assert_non_null(strstr(error_message(), "'\xF0\x9F\x98\x81' (U+1F601), 'b' (U+0062)"));
    free(cps);
    free(ids);
}

static void test_corpus_utf8_encode(void **state)
{
    (void)state;
    char buf[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        size_t len = utf8_encode(cp, buf);
        assert_int_equal(len, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        uint32_t *cps;
        size_t n;
        if (corpus_decode(buf, len, "utf-8", "x", &cps, &n) || n != (cp == 0xFEFF ? 0u : 1u) ||
            (n == 1 && cps[0] != cp))
            fail_msg("round trip of U+%04X", (unsigned)cp);
        free(cps);
    }
    assert_int_equal(utf8_encode(0xD800, buf), 3); /* not a scalar value: U+FFFD */
    assert_memory_equal(buf, "\xEF\xBF\xBD", 3);
}

/* ---- files ---- */

static void test_corpus_files(void **state)
{
    (void)state;
    char *bytes;
    size_t len;
    assert_int_equal(corpus_read_file("/nonexistent/x.txt", &bytes, &len), -1);
    assert_string_equal(error_message(),
                        "cannot open data file '/nonexistent/x.txt': No such file or directory");

    char *path = tc_temp_file("", 0);
    assert_int_equal(corpus_read_file(path, &bytes, &len), -1);
    char want[256];
    snprintf(want, sizeof want, "data file '%s' is empty", path);
    assert_string_equal(error_message(), want);
    corpus c;
    assert_int_equal(corpus_load(&c, path, "utf-8", NEWLINE_KEEP), -1);
    assert_string_equal(error_message(), want);
    unlink(path);

    assert_int_equal(corpus_read_file("/tmp", &bytes, &len), -1); /* a directory */
    assert_non_null(strstr(error_message(), "'/tmp'"));

    path = tc_temp_file("\xEF\xBB\xBF", 3);
    assert_int_equal(corpus_load(&c, path, "utf-8", NEWLINE_KEEP), -1); /* nothing but a BOM */
    assert_non_null(strstr(error_message(), path));
    unlink(path);

    const char *text = "\xEF\xBB\xBF" "abba\xE4\xB8\xAD\n";
    path = tc_temp_file(text, strlen(text));
    assert_int_equal(corpus_read_file(path, &bytes, &len), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(bytes, text, len);
    free(bytes);
    assert_int_equal(corpus_load(&c, path, NULL, NEWLINE_KEEP), 0);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.vocab_size, 4);
    const uint32_t vocab[] = {'\n', 'a', 'b', 0x4E2D}, ids[] = {1, 2, 2, 1, 3, 0};
    assert_memory_equal(c.vocab, vocab, sizeof vocab);
    assert_memory_equal(c.ids, ids, sizeof ids);
    corpus_free(&c);
    assert_null(c.ids);
    assert_int_equal(corpus_load(&c, path, "gb18030", NEWLINE_KEEP), -1); /* not GB18030 */
    assert_non_null(strstr(error_message(), "invalid gb18030 at byte offset"));
    unlink(path);
}

/* ---- the shared corpora, when present ---- */

static int tc_shared_path(const char *name, char *out, size_t cap)
{
    const char *env = getenv("CHARNN_SHARED");
    if (env && env[0]) {
        snprintf(out, cap, "%s/corpora/%s", env, name);
        if (access(out, R_OK) == 0)
            return 1;
    }
    const char *file = __FILE__, *tail = strstr(file, "tests/unit/test_corpus.c");
    int root = tail ? (int)(tail - file) : 0;
    const char *dirs[] = {"../shared/corpora", "shared/corpora"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, cap, "%.*s%s/%s", root, file, dirs[i], name);
        if (access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

static void tc_check_shared(const char *name, const char *enc, size_t n, size_t vs)
{
    char path[4096];
    if (!tc_shared_path(name, path, sizeof path)) {
        print_message("skipped: corpus absent (%s)\n", name);
        return;
    }
    corpus c;
    if (corpus_load(&c, path, enc, NEWLINE_KEEP))
        fail_msg("%s", error_message());
    assert_int_equal(c.n, n);
    assert_int_equal(c.vocab_size, vs);
    corpus_free(&c);
}

static void test_corpus_sanguo(void **state)
{
    (void)state;
    tc_check_shared("sanguo.gb18030.txt", "gb18030", 599578, 4172);
    char path[4096];
    if (!tc_shared_path("sanguo.gb18030.txt", path, sizeof path))
        return;
    corpus c; /* it is not UTF-8: the error suggests --encoding */
    assert_int_equal(corpus_load(&c, path, "utf-8", NEWLINE_KEEP), -1);
    assert_non_null(strstr(error_message(), "invalid UTF-8 at byte offset 0 (byte 0xb5)"));
    assert_non_null(strstr(error_message(), "--encoding gb18030"));
}

static void test_corpus_shakespeare(void **state)
{
    (void)state;
    tc_check_shared("tinyshakespeare.txt", "utf-8", 1115394, 65);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_ascii),
        cmocka_unit_test(test_corpus_utf8_multibyte),
        cmocka_unit_test(test_corpus_utf8_invalid),
        cmocka_unit_test(test_corpus_bom),
        cmocka_unit_test(test_corpus_gb18030),
        cmocka_unit_test(test_corpus_gb18030_invalid),
        cmocka_unit_test(test_corpus_unknown_encoding),
        cmocka_unit_test(test_corpus_chinese_vocab),
        cmocka_unit_test(test_corpus_vocab_edge),
        cmocka_unit_test(test_corpus_map_missing),
        cmocka_unit_test(test_corpus_map_long),
        cmocka_unit_test(test_corpus_utf8_encode),
        cmocka_unit_test(test_corpus_files),
        cmocka_unit_test(test_corpus_sanguo),
        cmocka_unit_test(test_corpus_shakespeare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
