/* test_newline.c — line ends (newline.h): counted in both modes, folded with
 * lf (CRLF and lone CR become one LF each), also when a CR LF pair is split
 * between two pieces; and through the streaming decoder and corpus_load. */
#include "corpus.h"
#include "error.h"
#include "newline.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* the ASCII text s as code points, folded in pieces of `piece` code points */
static size_t fold_text(newline_fold *f, const char *s, size_t piece, uint32_t *out)
{
    size_t n = strlen(s), k = 0;
    for (size_t i = 0; i < n; i += piece) {
        size_t m = n - i < piece ? n - i : piece;
        uint32_t buf[64];
        for (size_t j = 0; j < m; j++)
            buf[j] = (unsigned char)s[i + j];
        size_t got = newline_apply(f, buf, m);
        memcpy(out + k, buf, got * sizeof *buf);
        k += got;
    }
    return k;
}

static void expect_text(const uint32_t *cps, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cps[i], (unsigned char)want[i]);
}

static void test_fold_every_split(void **state)
{
    (void)state;
    const char *text = "a\r\nb\rc\n\r\r\nd\r";
    for (size_t piece = 1; piece <= 13; piece++) {
        newline_fold lf = {.mode = NEWLINE_LF}, keep = {.mode = NEWLINE_KEEP};
        uint32_t out[64];
        expect_text(out, fold_text(&lf, text, piece, out), "a\nb\nc\n\n\nd\n");
        assert_int_equal(lf.cr, 5);
        assert_int_equal(lf.crlf, 2);
        expect_text(out, fold_text(&keep, text, piece, out), text);
        assert_int_equal(keep.cr, 5);
        assert_int_equal(keep.crlf, 2);
    }
}

static void test_describe(void **state)
{
    (void)state;
    char buf[160];
    newline_fold f = {.mode = NEWLINE_LF};
    assert_string_equal(newline_describe(&f, buf, sizeof buf), "");
    f.cr = f.crlf = 3;
    assert_non_null(strstr(newline_describe(&f, buf, sizeof buf), "CRLF line ends folded to LF"));
    f.mode = NEWLINE_KEEP;
    assert_non_null(strstr(newline_describe(&f, buf, sizeof buf), "CRLF line ends kept"));
    f.crlf = 0;
    assert_non_null(strstr(newline_describe(&f, buf, sizeof buf), "CR line ends kept"));
    newline_mode m;
    assert_int_equal(newline_parse("lf", "--newline", &m), 0);
    assert_int_equal(m, NEWLINE_LF);
    assert_int_equal(newline_parse("crlf", "--newline", &m), -1);
    assert_non_null(strstr(error_message(), "--newline: 'crlf'"));
}

/* auto (charnn-sample's --newline) keeps the caller's default; only the
 * _auto parser takes it. */
static void test_parse_auto(void **state)
{
    (void)state;
    newline_mode m = NEWLINE_LF;
    assert_int_equal(newline_parse_auto("auto", "--newline", &m), 0);
    assert_int_equal(m, NEWLINE_LF);
    m = NEWLINE_KEEP;
    assert_int_equal(newline_parse_auto("auto", "--newline", &m), 0);
    assert_int_equal(m, NEWLINE_KEEP);
    assert_int_equal(newline_parse_auto("lf", "--newline", &m), 0);
    assert_int_equal(m, NEWLINE_LF);
    assert_int_equal(newline_parse_auto("crlf", "--newline", &m), -1);
    assert_int_equal(newline_parse("auto", "--newline", &m), -1);
    assert_int_equal(newline_parse(NULL, "--newline", &m), -1);
}

/* The streaming decoder folds across chunk boundaries, after a BOM too. */
static void test_stream_and_load(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBFl\xC3\xA9\r\nx\r\n\r\ny";
    for (size_t chunk = 1; chunk < sizeof text; chunk++) {
        corpus_stream s;
        assert_int_equal(corpus_stream_open(&s, "utf-8", "t"), 0);
        s.nl.mode = NEWLINE_LF;
        uint32_t all[32];
        size_t k = 0;
        for (size_t i = 0; i < sizeof text - 1; i += chunk) {
            size_t m = sizeof text - 1 - i < chunk ? sizeof text - 1 - i : chunk;
            const uint32_t *cps;
            size_t n;
            assert_int_equal(corpus_stream_feed(&s, text + i, m, i + m == sizeof text - 1, &cps, &n), 0);
            memcpy(all + k, cps, n * sizeof *cps);
            k += n;
        }
        assert_int_equal(k, 7);
        uint32_t want[] = {'l', 0xE9, '\n', 'x', '\n', '\n', 'y'};
        assert_memory_equal(all, want, sizeof want);
        assert_int_equal(s.nl.crlf, 3);
        corpus_stream_close(&s);
    }
    char path[] = "/tmp/charnn-newline-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "ab\r\ncd\r\n", 8), 8);
    close(fd);
    corpus c;
    assert_int_equal(corpus_load(&c, path, "utf-8", NEWLINE_LF), 0);
    assert_int_equal(c.vocab_size, 5); /* \n a b c d */
    assert_int_equal(c.n, 6);
    assert_int_equal(c.nl.crlf, 2);
    corpus_free(&c);
    assert_int_equal(corpus_load(&c, path, "utf-8", NEWLINE_KEEP), 0);
    assert_int_equal(c.vocab_size, 6); /* \n \r a b c d */
    assert_int_equal(c.n, 8);
    corpus_free(&c);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_every_split),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_parse_auto),
        cmocka_unit_test(test_stream_and_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
