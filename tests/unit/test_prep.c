/* test_prep.c — charnn-prep's CORPUS.h5 (prep.c; against corpus_load of the
 * same text, whatever the read size), several inputs, --min-count, errors,
 * and the block reads of the trainer (corpus_h5_rows against shard_window).
 * The streaming decoder it reads with: test_corpus_stream.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iconv_fixtures.h"

#include "corpus.h"
#include "corpus_h5.h"
#include "error.h"
#include "prep.h"
#include "shard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tp_dir[64];

static char *tp_path(const char *name)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", tp_dir, name);
    return p;
}

static char *tp_write(const char *name, const void *data, size_t len)
{
    char *p = tp_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

static int tp_setup(void **state)
{
    (void)state;
    strcpy(tp_dir, "/tmp/charnn_prep_XXXXXX");
    assert_non_null(mkdtemp(tp_dir));
    return 0;
}

static int tp_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A deterministic text over `distinct` characters (some of them rare). */
static char *tp_text(size_t nchars, size_t *len)
{
    static const char *alphabet[] = {"a", "b", "c", " ", "\n", "\xC3\xA9", "\xE4\xB8\xAD",
                                     "\xF0\x9F\x98\x80", "\xCE\xA9", "z", "\xE6\x96\x87"};
    char *s = malloc(nchars * 4 + 1);
    size_t pos = 0;
    uint32_t x = 12345;
    for (size_t i = 0; i < nchars; i++) {
        x = x * 1103515245u + 12345u;
        size_t k = (x >> 16) % 64;
        k = k < 50 ? k % 5 : k < 62 ? 5 + k % 4 : 9 + k % 2; /* 9, 10: rare */
        size_t l = strlen(alphabet[k]);
        memcpy(s + pos, alphabet[k], l);
        pos += l;
    }
    s[pos] = 0;
    *len = pos;
    return s;
}

/* Reads a whole CORPUS.h5 back: vocab and all ids (train then val). */
static void tp_read_h5(const char *path, corpus_h5 *c, uint32_t **ids)
{
    if (corpus_h5_open(c, path))
        fail_msg("open: %s", error_message());
    size_t n = (size_t)(c->n_train + c->n_val);
    *ids = malloc((n + 1) * sizeof **ids);
    /* through the block reader: one row, one window per split */
    for (int val = 0; val < 2; val++) {
        size_t len = (size_t)(val ? c->n_val : c->n_train);
        if (len < 2)
            continue;
        shard_layout L = {.rows = 1, .seq = len - 1, .windows = 1, .stride = len - 1};
        corpus_h5_rows r;
        corpus_h5_rows_init(&r, c, val, &L, 0, 1);
        int32_t *x = malloc(len * sizeof *x), *y = malloc(len * sizeof *y);
        if (corpus_h5_rows_window(&r, 0, x, y))
            fail_msg("read: %s", error_message());
        uint32_t *dst = *ids + (val ? c->n_train : 0);
        for (size_t i = 0; i < len - 1; i++)
            dst[i] = (uint32_t)x[i];
        dst[len - 1] = (uint32_t)y[len - 2];
        corpus_h5_rows_free(&r);
        free(x);
        free(y);
    }
}

static void tp_prep(const char *const *inputs, size_t n_inputs, const char *out,
                    const char *enc, double val_frac, uint64_t min_count, size_t chunk,
                    prep_summary *sum)
{
    prep_options o = {.inputs = inputs, .n_inputs = n_inputs, .output = out,
                      .encoding = enc, .val_frac = val_frac, .min_count = min_count,
                      .chunk_bytes = chunk};
    if (prep_run(&o, sum))
        fail_msg("prep: %s", error_message());
}

/* ---- charnn-prep ---- */

static void test_prep_matches_corpus_load(void **state)
{
    (void)state;
    size_t len;
    char *text = tp_text(20000, &len);
    char *in = tp_write("t.txt", text, len);
    corpus c;
    if (corpus_load(&c, in, "utf-8", NEWLINE_KEEP))
        fail_msg("%s", error_message());
    const char *inputs[1] = {in};
    size_t chunks[] = {1, 2, 3, 5, 4096, 0};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        prep_summary sum;
        char *out = tp_path("t.h5");
        tp_prep(inputs, 1, out, "utf-8", 0.1, 0, chunks[k], &sum);
        assert_int_equal(sum.n, c.n);
        assert_int_equal(sum.n_val, (uint64_t)floor((double)c.n * 0.1));
        assert_int_equal(sum.id_bytes, 2);
        corpus_h5 h;
        uint32_t *ids;
        tp_read_h5(out, &h, &ids);
        assert_int_equal(h.vocab_size, c.vocab_size);
        assert_memory_equal(h.vocab, c.vocab, c.vocab_size * sizeof *c.vocab);
        assert_memory_equal(ids, c.ids, c.n * sizeof *ids);
        assert_string_equal(h.encoding, "utf-8");
        assert_true(h.val_frac == 0.1);
        assert_int_equal(h.n_unknown, 0);
        free(ids);
        corpus_h5_close(&h);
    }
    corpus_free(&c);
    free(text);
}

static void test_prep_concatenates(void **state)
{
    (void)state;
    /* two files (the second with its own BOM) = one text of both */
    char *a = tp_write("a.txt", "\xEF\xBB\xBFhello \xE4\xB8", 11);
    char *b = tp_write("b.txt", "\xEF\xBB\xBFworld\n", 9);
    const char *inputs[2] = {a, b};
    prep_options o = {.inputs = inputs, .n_inputs = 2, .output = tp_path("ab.h5"),
                      .encoding = "utf-8", .val_frac = 0};
    prep_summary sum;
    /* a sequence may not run from one file into the next */
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "invalid UTF-8 at byte offset 9 (byte 0xe4)"));
    assert_non_null(strstr(error_message(), "a.txt"));
    assert_int_equal(access(tp_path("ab.h5"), F_OK), -1); /* nothing left behind */
    a = tp_write("a.txt", "\xEF\xBB\xBFhello ", 9);
    inputs[0] = a;
    tp_prep(inputs, 2, tp_path("ab.h5"), "utf-8", 0, 0, 2, &sum);
    corpus_h5 h;
    uint32_t *ids;
    tp_read_h5(tp_path("ab.h5"), &h, &ids);
    const char *want = "hello world\n";
    assert_int_equal(h.n_train, 12);
    assert_int_equal(h.n_val, 0);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(h.vocab[ids[i]], (uint32_t)want[i]);
    free(ids);
    corpus_h5_close(&h);
}

static void test_prep_min_count(void **state)
{
    (void)state;
    /* 'x' (1), 'y' (2) and U+00E9 (1) are rare below 3; U+FFFD joins the vocabulary */
    const char *text = "aaabbbcccx\xC3\xA9yyaaa\n\n\n";
    char *in = tp_write("m.txt", text, strlen(text));
    const char *inputs[1] = {in};
    prep_summary sum;
    tp_prep(inputs, 1, tp_path("m.h5"), "utf-8", 0, 3, 4, &sum);
    assert_int_equal(sum.distinct, 7);
    assert_int_equal(sum.rare, 3);
    assert_int_equal(sum.n_unknown, 4);
    assert_int_equal(sum.vocab_size, 5);
    corpus_h5 h;
    uint32_t *ids;
    tp_read_h5(tp_path("m.h5"), &h, &ids);
    const uint32_t vocab[5] = {'\n', 'a', 'b', 'c', 0xFFFD};
    assert_int_equal(h.vocab_size, 5);
    assert_memory_equal(h.vocab, vocab, sizeof vocab);
    assert_int_equal(h.n_unknown, 4);
    assert_int_equal(h.min_count, 3);
    const uint32_t want[19] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 1, 1, 1, 0, 0, 0};
    assert_memory_equal(ids, want, sizeof want);
    free(ids);
    corpus_h5_close(&h);
    /* min-count 1 (or 0) keeps everything, with no U+FFFD */
    tp_prep(inputs, 1, tp_path("m1.h5"), "utf-8", 0, 1, 0, &sum);
    assert_int_equal(sum.vocab_size, 7);
    assert_int_equal(sum.rare, 0);
}

static void test_prep_min_count_keeps_present_fffd(void **state)
{
    (void)state;
    /* U+FFFD frequent in the text already: it stays once in the vocabulary */
    const char *text = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDq\xF0\x9F\x98\x80";
    char *in = tp_write("f.txt", text, strlen(text));
    const char *inputs[1] = {in};
    prep_summary sum;
    tp_prep(inputs, 1, tp_path("f.h5"), "utf-8", 0, 2, 0, &sum);
    assert_int_equal(sum.vocab_size, 1);
    corpus_h5 h;
    uint32_t *ids;
    tp_read_h5(tp_path("f.h5"), &h, &ids);
    assert_int_equal(h.vocab[0], 0xFFFD);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ids[i], 0);
    free(ids);
    corpus_h5_close(&h);
}

static void test_prep_gb18030(void **state)
{
    (void)state;
    /* iconv in chunks: sanguo (GB18030) when the shared corpora are there,
     * else a generated GB18030 text */
    char path[4096];
    const char *env = getenv("CHARNN_SHARED");
    snprintf(path, sizeof path, "%s/corpora/sanguo.gb18030.txt", env ? env : "../shared");
    if (access(path, R_OK) != 0) {
        const char *file = __FILE__, *tail = strstr(file, "tests/unit/test_prep.c");
        snprintf(path, sizeof path, "%.*s../shared/corpora/sanguo.gb18030.txt",
                 tail ? (int)(tail - file) : 0, file);
    }
    if (access(path, R_OK) != 0) {
        size_t len, gblen;
        char *u = tp_text(50000, &len);
        char *gb = fx_iconv(u, len, "GB18030", &gblen);
        snprintf(path, sizeof path, "%s", tp_write("g.txt", gb, gblen));
        free(gb);
        free(u);
    }
    corpus c;
    if (corpus_load(&c, path, "gb18030", NEWLINE_KEEP))
        fail_msg("%s", error_message());
    const char *inputs[1] = {path};
    prep_summary sum;
    tp_prep(inputs, 1, tp_path("g.h5"), "gb18030", 0.05, 0, 65537, &sum);
    corpus_h5 h;
    uint32_t *ids;
    tp_read_h5(tp_path("g.h5"), &h, &ids);
    assert_int_equal(h.vocab_size, c.vocab_size);
    assert_memory_equal(h.vocab, c.vocab, c.vocab_size * sizeof *c.vocab);
    assert_int_equal(h.n_train + h.n_val, c.n);
    assert_memory_equal(ids, c.ids, c.n * sizeof *ids);
    assert_string_equal(h.encoding, "gb18030");
    free(ids);
    corpus_h5_close(&h);
    corpus_free(&c);
}

static void test_prep_errors(void **state)
{
    (void)state;
    prep_summary sum;
    const char *inputs[1] = {tp_path("missing.txt")};
    prep_options o = {.inputs = inputs, .n_inputs = 1, .output = tp_path("e.h5"),
                      .encoding = "utf-8", .val_frac = 0.05};
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "cannot open data file"));
    inputs[0] = tp_write("bom.txt", "\xEF\xBB\xBF", 3);
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "has no characters"));
    inputs[0] = tp_dir;
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "not a regular file"));
    inputs[0] = tp_write("x.txt", "abc", 3);
    o.encoding = "no-such-encoding";
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_string_equal(error_message(), "unknown encoding 'no-such-encoding' (see iconv --list)");
    o.encoding = "utf-8";
    o.output = inputs[0];
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "is also an input"));
    o.output = tp_path("no-such-dir/e.h5");
    assert_int_equal(prep_run(&o, &sum), -1);
    assert_non_null(strstr(error_message(), "cannot write"));
    assert_int_equal(access(tp_path("e.h5"), F_OK), -1);
}

/* ---- the trainer's block reads ---- */

static void test_rows_blocks(void **state)
{
    (void)state;
    size_t len;
    char *text = tp_text(5000, &len);
    char *in = tp_write("r.txt", text, len);
    const char *inputs[1] = {in};
    prep_summary sum;
    tp_prep(inputs, 1, tp_path("r.h5"), "utf-8", 0.2, 0, 0, &sum);
    corpus c;
    if (corpus_load(&c, in, "utf-8", NEWLINE_KEEP))
        fail_msg("%s", error_message());
    corpus_h5 h;
    if (corpus_h5_open(&h, tp_path("r.h5")))
        fail_msg("%s", error_message());
    for (int val = 0; val < 2; val++) {
        size_t n = (size_t)(val ? h.n_val : h.n_train), base = val ? (size_t)h.n_train : 0;
        shard_layout L;
        assert_int_equal(shard_layout_init(&L, n, 7, 9, "t"), 0);
        for (size_t first = 0; first < 7; first += 3)
            for (size_t count = 0; first + count <= 7; count += 2)
                for (size_t block = 1; block <= L.windows + 1; block += block < 4 ? 1 : 17) {
                    corpus_h5_rows r;
                    corpus_h5_rows_init(&r, &h, val, &L, first, count);
                    r.block = block < L.windows ? block : L.windows;
                    size_t m = count * L.seq;
                    int32_t *x = malloc((m + 1) * sizeof *x), *y = malloc((m + 1) * sizeof *y);
                    int32_t *wx = malloc((m + 1) * sizeof *x), *wy = malloc((m + 1) * sizeof *y);
                    /* in order, then jumping back and forth (a resumed run) */
                    for (size_t j = 0; j < 2 * L.windows; j++) {
                        size_t w = j < L.windows ? j : (j * 7) % L.windows;
                        assert_int_equal(corpus_h5_rows_window(&r, w, x, y), 0);
                        shard_window(&L, c.ids + base, first, count, w, wx, wy);
                        assert_memory_equal(x, wx, m * sizeof *x);
                        assert_memory_equal(y, wy, m * sizeof *y);
                    }
                    free(x), free(y), free(wx), free(wy);
                    corpus_h5_rows_free(&r);
                }
    }
    corpus_h5_close(&h);
    corpus_free(&c);
    free(text);
}

static void test_h5_not_a_corpus(void **state)
{
    (void)state;
    /* a text is not HDF5; an HDF5 file without the format attribute is refused */
    char *txt = tp_write("plain.txt", "hello\n", 6);
    assert_int_equal(corpus_h5_detect(txt), 0);
    assert_int_equal(corpus_h5_detect(tp_path("nope.h5")), 0);
    const char *inputs[1] = {txt};
    prep_summary sum;
    tp_prep(inputs, 1, tp_path("ok.h5"), "utf-8", 0, 0, 0, &sum);
    assert_int_equal(corpus_h5_detect(tp_path("ok.h5")), 1);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "h5copy -i '%s' -o '%s' -s /vocab -d /vocab >/dev/null 2>&1",
             tp_path("ok.h5"), tp_path("bare.h5"));
    if (system(cmd) != 0) {
        print_message("skipped: h5copy not available\n");
        return;
    }
    corpus_h5 h;
    assert_int_equal(corpus_h5_detect(tp_path("bare.h5")), 1);
    assert_int_equal(corpus_h5_open(&h, tp_path("bare.h5")), -1);
    assert_non_null(strstr(error_message(), "not a corpus written by charnn-prep"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prep_matches_corpus_load),
        cmocka_unit_test(test_prep_concatenates),
        cmocka_unit_test(test_prep_min_count),
        cmocka_unit_test(test_prep_min_count_keeps_present_fffd),
        cmocka_unit_test(test_prep_gb18030),
        cmocka_unit_test(test_prep_errors),
        cmocka_unit_test(test_rows_blocks),
        cmocka_unit_test(test_h5_not_a_corpus),
    };
    return cmocka_run_group_tests(tests, tp_setup, tp_teardown);
}
