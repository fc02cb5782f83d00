/* corpus.c — reading a text file, decoding it to code points, the vocabulary and the ids. */
#include "corpus.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

#define CORPUS_MAX_CP 0x10FFFFu
#define CORPUS_CP_LIMIT 0x110000u
#define CORPUS_MAP_SHOWN 10
#define CORPUS_ICONV_CHUNK ((size_t)1 << 16) /* code points per iconv output chunk */

/* realloc that never returns NULL (xmalloc reports and exits on failure). */
static void *corpus_grow(void *p, size_t old_bytes, size_t new_bytes, const char *what)
{
    void *q = realloc(p, new_bytes);
    if (q)
        return q;
    q = xmalloc(new_bytes, what);
    memcpy(q, p, old_bytes);
    free(p);
    return q;
}

/* ---- reading ---- */

static int corpus_slurp(FILE *f, const char *path, char **bytes, size_t *len)
{
    size_t cap = (size_t)1 << 16, n = 0;
    char *buf = xmalloc(cap, "the data file");
    for (;;) {
        if (n == cap) {
            buf = corpus_grow(buf, n, cap * 2, "the data file");
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        return error_set("cannot read data file '%s': %s", path, strerror(e));
    }
    *bytes = buf;
    *len = n;
    return 0;
}

int corpus_read_file(const char *path, char **bytes, size_t *len)
{
    *bytes = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set("cannot open data file '%s': %s", path, strerror(errno));
    errno = 0;
    int rc = corpus_slurp(f, path, bytes, len);
    fclose(f);
    if (rc)
        return rc;
    if (*len == 0) {
        free(*bytes);
        *bytes = NULL;
        return error_set("data file '%s' is empty", path);
    }
    return 0;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at p (left bytes available) and its code
 * point, or 0 when the sequence is invalid, overlong, a surrogate, above
 * U+10FFFF, truncated, or a stray continuation byte. */
static size_t utf8_decode_one(const unsigned char *p, size_t left, uint32_t *cp)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        *cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        *cp = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        *cp = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        return 0; /* stray continuation, C0/C1, F5..FF */
    }
    if (left < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3Fu);
    }
    return len;
}

static int corpus_decode_utf8(const unsigned char *b, size_t len, const char *path,
                              uint32_t *out, size_t *n)
{
    size_t i = 0, k = 0;
    while (i < len) {
        if (b[i] < 0x80) {
            out[k++] = b[i++];
            continue;
        }
        size_t step = utf8_decode_one(b + i, len - i, &out[k]);
        if (step == 0)
            return error_set("%s: invalid UTF-8 at byte offset %zu (byte 0x%02x); "
                             "if it is in another encoding, pass --encoding "
                             "(e.g. --encoding gb18030)",
                             path, i, b[i]);
        k++;
        i += step;
    }
    *n = k;
    return 0;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp > CORPUS_MAX_CP || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD; /* not a scalar value: the replacement character */
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- iconv ---- */

typedef struct {
    uint32_t *cps;
    size_t n, cap;
} corpus_cpbuf;

static void corpus_cpbuf_push(corpus_cpbuf *B, const unsigned char *le, size_t count)
{
    if (B->n + count > B->cap) {
        size_t cap = B->cap ? B->cap : CORPUS_ICONV_CHUNK;
        while (B->n + count > cap)
            cap *= 2;
        B->cps = corpus_grow(B->cps, B->n * sizeof *B->cps, cap * sizeof *B->cps, "decoded text");
        B->cap = cap;
    }
    for (size_t i = 0; i < count; i++, le += 4)
        B->cps[B->n++] = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
                         (uint32_t)le[3] << 24;
}

/* One iconv call over the remaining input (or the final flush when in is NULL);
 * the converted code points are appended to B. Returns iconv's errno or 0. */
static int corpus_iconv_step(iconv_t cd, char **in, size_t *inleft, corpus_cpbuf *B,
                             unsigned char *chunk)
{
    char *out = (char *)chunk;
    size_t outleft = CORPUS_ICONV_CHUNK * 4;
    errno = 0;
    size_t r = iconv(cd, in, inleft, &out, &outleft);
    int e = r == (size_t)-1 ? errno : 0;
    corpus_cpbuf_push(B, chunk, (CORPUS_ICONV_CHUNK * 4 - outleft) / 4);
    return e;
}

static int corpus_iconv_run(iconv_t cd, const char *bytes, size_t len, const char *encoding,
                            const char *path, corpus_cpbuf *B)
{
    unsigned char *chunk = xmalloc(CORPUS_ICONV_CHUNK * 4, "iconv buffer");
    char *in = (char *)bytes;
    size_t inleft = len;
    int e = 0;
    while (inleft > 0) {
        e = corpus_iconv_step(cd, &in, &inleft, B, chunk);
        if (e != 0 && e != E2BIG)
            break;
        e = 0;
    }
    while (e == 0 && (e = corpus_iconv_step(cd, NULL, NULL, B, chunk)) == E2BIG)
        e = 0; /* flush the shift state */
    free(chunk);
    if (e == 0)
        return 0;
    size_t off = (size_t)(in - bytes);
    if (e == EILSEQ || e == EINVAL)
        return error_set("%s: invalid %s at byte offset %zu (byte 0x%02x); "
                         "check --encoding",
                         path, encoding, off, off < len ? (unsigned char)bytes[off] : 0u);
    return error_set("%s: cannot convert from %s at byte offset %zu: %s", path,
                     encoding, off, strerror(e));
}

static int corpus_decode_iconv(const char *bytes, size_t len, const char *encoding,
                               const char *path, uint32_t **cps, size_t *n)
{
    iconv_t cd = iconv_open("UTF-32LE", encoding);
    if (cd == (iconv_t)-1)
        return error_set("unknown encoding '%s' (see iconv --list)", encoding);
    corpus_cpbuf B = {NULL, 0, 0};
    int rc = corpus_iconv_run(cd, bytes, len, encoding, path, &B);
    iconv_close(cd);
    if (rc) {
        free(B.cps);
        return rc;
    }
    *cps = B.cps ? B.cps : xmalloc(sizeof(uint32_t), "decoded text");
    *n = B.n;
    return 0;
}

static int corpus_is_utf8(const char *encoding)
{
    return !encoding || !encoding[0] || strcasecmp(encoding, "utf-8") == 0 ||
           strcasecmp(encoding, "utf8") == 0;
}

int corpus_decode(const char *bytes, size_t len, const char *encoding, const char *path,
                  uint32_t **cps, size_t *n)
{
    *cps = NULL;
    *n = 0;
    uint32_t *out = NULL;
    size_t count = 0;
    if (corpus_is_utf8(encoding)) {
        out = xmalloc((len + 1) * sizeof *out, "decoded text");
        if (corpus_decode_utf8((const unsigned char *)bytes, len, path, out, &count)) {
            free(out);
            return -1;
        }
    } else if (corpus_decode_iconv(bytes, len, encoding, path, &out, &count)) {
        return -1;
    }
    size_t skip = count > 0 && out[0] == 0xFEFF; /* a leading byte order mark */
    if (skip)
        memmove(out, out + 1, (count - 1) * sizeof *out);
    count -= skip;
    uint32_t *shrunk = realloc(out, (count ? count : 1) * sizeof *out);
    *cps = shrunk ? shrunk : out;
    *n = count;
    return 0;
}

/* ---- vocabulary ---- */

static int corpus_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static size_t vocab_sort_unique(const uint32_t *cps, size_t n, uint32_t *v)
{
    memcpy(v, cps, n * sizeof *v);
    qsort(v, n, sizeof *v, corpus_cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    return k;
}

static size_t vocab_bitmap(const uint32_t *cps, size_t n, uint32_t *v)
{
    enum { WORDS = CORPUS_CP_LIMIT / 64 };
    uint64_t *bits = xcalloc(WORDS, sizeof *bits, "vocabulary bitmap");
    for (size_t i = 0; i < n; i++)
        bits[cps[i] >> 6] |= (uint64_t)1 << (cps[i] & 63);
    size_t k = 0;
    for (size_t w = 0; w < WORDS; w++)
        for (uint64_t m = bits[w]; m; m &= m - 1)
            v[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(m));
    free(bits);
    return k;
}

int vocab_build(const uint32_t *cps, size_t n, uint32_t **vocab, size_t *vocab_size)
{
    int in_range = 1;
    for (size_t i = 0; i < n && in_range; i++)
        in_range = cps[i] < CORPUS_CP_LIMIT;
    size_t cap = in_range && n > CORPUS_CP_LIMIT ? CORPUS_CP_LIMIT : n;
    uint32_t *v = xmalloc((in_range ? cap : n) * sizeof *v, "vocabulary");
    size_t k = in_range ? vocab_bitmap(cps, n, v) : vocab_sort_unique(cps, n, v);
    uint32_t *shrunk = realloc(v, (k ? k : 1) * sizeof *v);
    *vocab = shrunk ? shrunk : v;
    *vocab_size = k;
    return 0;
}

long vocab_index(const uint32_t *vocab, size_t vocab_size, uint32_t cp)
{
    size_t lo = 0, hi = vocab_size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vocab[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < vocab_size && vocab[lo] == cp ? (long)lo : -1;
}

/* ---- mapping ---- */

/* Writes one quoted character and its code point, e.g. 'Ω' (U+03A9). */
static size_t corpus_quote(uint32_t cp, char *out, size_t cap)
{
    char ch[8];
    if (cp == '\n' || cp == '\t' || cp == '\r' || cp == '\'' || cp == '\\') {
        ch[0] = '\\';
        ch[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ? 'r' : (char)cp;
        ch[2] = 0;
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
        snprintf(ch, sizeof ch, "\\x%02x", (unsigned)cp);
    } else {
        ch[utf8_encode(cp, ch)] = 0;
    }
    int w = snprintf(out, cap, "'%s' (U+%04X)", ch, (unsigned)cp);
    return w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
}

/* The error for characters outside the vocabulary: missing[0..nmiss) in text order. */
static int corpus_map_error(const uint32_t *missing, size_t nmiss, const char *what)
{
    uint32_t *distinct;
    size_t ndistinct;
    vocab_build(missing, nmiss, &distinct, &ndistinct);
    free(distinct);
    uint32_t shown[CORPUS_MAP_SHOWN];
    size_t nshown = 0;
    char list[512];
    size_t pos = 0;
    for (size_t i = 0; i < nmiss && nshown < CORPUS_MAP_SHOWN; i++) {
        size_t j = 0;
        while (j < nshown && shown[j] != missing[i])
            j++;
        if (j < nshown)
            continue;
        shown[nshown++] = missing[i];
        if (nshown > 1)
            pos += (size_t)snprintf(list + pos, sizeof list - pos, ", ");
        pos += corpus_quote(missing[i], list + pos, sizeof list - pos);
    }
    if (ndistinct > nshown)
        snprintf(list + pos, sizeof list - pos, " and %zu more", ndistinct - nshown);
    return error_set("%s has %zu distinct character%s (%zu in all) not in the vocabulary: %s",
                     what ? what : "the text", ndistinct, ndistinct == 1 ? "" : "s", nmiss,
                     list);
}

/* Dense table cp -> index + 1 (0: absent), for long texts. */
static uint32_t *corpus_map_table(const uint32_t *vocab, size_t vocab_size)
{
    uint32_t top = vocab[vocab_size - 1];
    if (top >= CORPUS_CP_LIMIT)
        return NULL;
    uint32_t *table = xcalloc((size_t)top + 1, sizeof *table, "character table");
    for (size_t i = 0; i < vocab_size; i++)
        table[vocab[i]] = (uint32_t)i + 1;
    return table;
}

static long corpus_lookup(const uint32_t *table, const uint32_t *vocab, size_t vocab_size,
                          uint32_t cp)
{
    if (!table)
        return vocab_index(vocab, vocab_size, cp);
    return cp <= vocab[vocab_size - 1] ? (long)table[cp] - 1 : -1;
}

/* ids may alias cps: each cps[i] is read before ids[i] is written. */
int corpus_map(const uint32_t *vocab, size_t vocab_size, const uint32_t *cps, size_t n,
               uint32_t *ids, const char *what)
{
    uint32_t *table = n >= 4096 && vocab_size ? corpus_map_table(vocab, vocab_size) : NULL;
    uint32_t *missing = NULL;
    size_t nmiss = 0, capmiss = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = cps[i];
        long k = corpus_lookup(table, vocab, vocab_size, cp);
        if (k >= 0) {
            ids[i] = (uint32_t)k;
            continue;
        }
        if (nmiss == capmiss) {
            capmiss = capmiss ? capmiss * 2 : 64;
            missing = corpus_grow(missing, nmiss * sizeof *missing, capmiss * sizeof *missing,
                                  "missing characters");
        }
        missing[nmiss++] = cp;
        ids[i] = 0;
    }
    free(table);
    int rc = nmiss ? corpus_map_error(missing, nmiss, what) : 0;
    free(missing);
    return rc;
}

/* ---- whole corpus ---- */

int corpus_load(corpus *c, const char *path, const char *encoding)
{
    memset(c, 0, sizeof *c);
    char *bytes;
    size_t len;
    if (corpus_read_file(path, &bytes, &len))
        return -1;
    uint32_t *cps;
    size_t n;
    char what[4096];
    snprintf(what, sizeof what, "data file '%s'", path);
    int rc = corpus_decode(bytes, len, encoding, what, &cps, &n);
    free(bytes);
    if (rc)
        return -1;
    if (n == 0) {
        free(cps);
        return error_set("data file '%s' has no characters", path);
    }
    vocab_build(cps, n, &c->vocab, &c->vocab_size);
    if (corpus_map(c->vocab, c->vocab_size, cps, n, cps, path)) { /* in place */
        free(cps);
        corpus_free(c);
        return -1;
    }
    c->ids = cps;
    c->n = n;
    return 0;
}

void corpus_free(corpus *c)
{
    if (!c)
        return;
    free(c->vocab);
    free(c->ids);
    memset(c, 0, sizeof *c);
}
