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

/* The UTF-8 sequence at p (left bytes available): its length, with its code
 * point in *cp; 0 when it is invalid (overlong, a surrogate, above U+10FFFF,
 * a stray continuation byte, C0/C1, F5..FF); -1 when the left bytes are a
 * valid start of a longer sequence (cut by the end of the input). */
static int utf8_decode_one(const unsigned char *p, size_t left, uint32_t *cp)
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
    if (left >= 2 && (p[1] < lo || p[1] > hi))
        return 0;
    for (size_t i = 1; i < len && i < left; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3Fu);
    }
    return left < len ? -1 : (int)len;
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

/* ---- the streaming decoder (corpus_decode is one chunk of it) ---- */

static int stream_bad_utf8(const corpus_stream *s, uint64_t off, unsigned byte)
{
    return error_set("%s: invalid UTF-8 at byte offset %llu (byte 0x%02x); "
                     "if it is in another encoding, pass --encoding "
                     "(e.g. --encoding gb18030)",
                     s->what, (unsigned long long)off, byte);
}

static int stream_bad_iconv(const corpus_stream *s, int e, uint64_t off, int have, unsigned byte)
{
    if (e == EILSEQ || e == EINVAL)
        return error_set("%s: invalid %s at byte offset %llu (byte 0x%02x); "
                         "check --encoding",
                         s->what, s->encoding, (unsigned long long)off, have ? byte : 0u);
    return error_set("%s: cannot convert from %s at byte offset %llu: %s", s->what,
                     s->encoding, (unsigned long long)off, strerror(e));
}

/* Room for `more` code points after the s->n already decoded (a short text,
 * e.g. a --prime, gets a small buffer: not one iconv chunk's 256 KiB). */
static void stream_reserve(corpus_stream *s, size_t more)
{
    if (s->n + more <= s->cap)
        return;
    size_t cap = s->cap ? s->cap : 64;
    while (s->n + more > cap)
        cap *= 2;
    s->out = corpus_grow(s->out, s->n * sizeof *s->out, cap * sizeof *s->out, "decoded text");
    s->cap = cap;
}

/* UTF-8: bytes[0..len) follow the s->ncarry carried bytes, which start at
 * byte offset s->done of the text. */
static int stream_utf8(corpus_stream *s, const unsigned char *b, size_t len, int final)
{
    uint64_t base = s->done + s->ncarry; /* offset of b[0] */
    size_t i = 0;
    stream_reserve(s, len + 1);
    if (s->ncarry) {
        unsigned char tmp[8];
        size_t take = len < 4 - s->ncarry ? len : 4 - s->ncarry;
        memcpy(tmp, s->carry, s->ncarry);
        memcpy(tmp + s->ncarry, b, take);
        int step = utf8_decode_one(tmp, s->ncarry + take, &s->out[s->n]);
        if (step == 0 || (step < 0 && final))
            return stream_bad_utf8(s, s->done, tmp[0]);
        if (step < 0) { /* still cut: this chunk is shorter than the sequence */
            memcpy(s->carry + s->ncarry, b, take);
            s->ncarry += take;
            return 0;
        }
        s->n++;
        i = (size_t)step - s->ncarry;
        s->ncarry = 0;
    }
    while (i < len) {
        if (b[i] < 0x80) {
            s->out[s->n++] = b[i++];
            continue;
        }
        int step = utf8_decode_one(b + i, len - i, &s->out[s->n]);
        if (step == 0 || (step < 0 && final))
            return stream_bad_utf8(s, base + i, b[i]);
        if (step < 0) { /* cut by the end of the chunk: carried to the next */
            memcpy(s->carry, b + i, len - i);
            s->ncarry = len - i;
            break;
        }
        s->n++;
        i += (size_t)step;
    }
    s->done = base + len - s->ncarry;
    return 0;
}

/* One iconv call over *in (or the final flush when in is NULL); the
 * converted code points are appended. Returns iconv's errno or 0. */
static int stream_iconv_step(corpus_stream *s, char **in, size_t *inleft)
{
    char *out = (char *)s->chunk;
    size_t outleft = CORPUS_ICONV_CHUNK * 4;
    errno = 0;
    size_t r = iconv((iconv_t)s->cd, in, inleft, &out, &outleft);
    int e = r == (size_t)-1 ? errno : 0;
    size_t count = (CORPUS_ICONV_CHUNK * 4 - outleft) / 4;
    const unsigned char *le = s->chunk;
    stream_reserve(s, count);
    for (size_t i = 0; i < count; i++, le += 4)
        s->out[s->n++] = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
                         (uint32_t)le[3] << 24;
    return e;
}

/* Converts all of in[0..*inleft) that iconv can; 0, EINVAL (an incomplete
 * sequence at the end) or the error. */
static int stream_iconv_run(corpus_stream *s, char **in, size_t *inleft)
{
    int e;
    while ((e = stream_iconv_step(s, in, inleft)) == E2BIG)
        ;
    return e;
}

static int stream_iconv(corpus_stream *s, const char *bytes, size_t len, int final)
{
    uint64_t base = s->done + s->ncarry; /* offset of bytes[0] */
    size_t pos = 0;
    if (s->ncarry) {
        char tmp[2 * CORPUS_STREAM_CARRY];
        size_t take = len < CORPUS_STREAM_CARRY ? len : CORPUS_STREAM_CARRY;
        size_t all = s->ncarry + take, left = all;
        memcpy(tmp, s->carry, s->ncarry);
        memcpy(tmp + s->ncarry, bytes, take);
        char *in = tmp;
        int e = stream_iconv_run(s, &in, &left);
        size_t used = all - left;
        if (used < s->ncarry) { /* the carried sequence is still incomplete, or bad */
            if (e != EINVAL || take < len || final || all - used > CORPUS_STREAM_CARRY)
                return stream_bad_iconv(s, e ? e : EINVAL, s->done + used, 1,
                                        (unsigned char)tmp[used]);
            memmove(s->carry, tmp + used, all - used);
            s->ncarry = all - used;
            s->done += used;
            return 0;
        }
        pos = used - s->ncarry;
        s->ncarry = 0;
    }
    char *in = (char *)bytes + pos;
    size_t left = len - pos;
    int e = stream_iconv_run(s, &in, &left);
    if (e == EINVAL && !final && left <= CORPUS_STREAM_CARRY) {
        memcpy(s->carry, in, left);
        s->ncarry = left;
        e = 0;
    }
    if (e != 0) {
        size_t off = (size_t)(in - bytes);
        return stream_bad_iconv(s, e, base + off, off < len, off < len ? (unsigned char)bytes[off] : 0u);
    }
    s->done = base + len - s->ncarry;
    while (final && (e = stream_iconv_step(s, NULL, NULL)) == E2BIG)
        ; /* flush the shift state */
    return e ? stream_bad_iconv(s, e, base + len, 0, 0) : 0;
}

static int corpus_is_utf8(const char *encoding)
{
    return !encoding || !encoding[0] || strcasecmp(encoding, "utf-8") == 0 ||
           strcasecmp(encoding, "utf8") == 0;
}

int corpus_same_encoding(const char *a, const char *b)
{
    if (corpus_is_utf8(a) || corpus_is_utf8(b))
        return corpus_is_utf8(a) && corpus_is_utf8(b);
    return strcasecmp(a, b) == 0;
}

int corpus_stream_open(corpus_stream *s, const char *encoding, const char *what)
{
    memset(s, 0, sizeof *s);
    s->utf8 = corpus_is_utf8(encoding);
    if (!s->utf8) {
        iconv_t cd = iconv_open("UTF-32LE", encoding);
        if (cd == (iconv_t)-1)
            return error_set("unknown encoding '%s' (see iconv --list)", encoding);
        s->cd = (void *)cd;
        s->chunk = xmalloc(CORPUS_ICONV_CHUNK * 4, "iconv buffer");
    }
    snprintf(s->encoding, sizeof s->encoding, "%s", encoding ? encoding : "utf-8");
    s->what = xmalloc(strlen(what ? what : "the text") + 1, "decoder name");
    strcpy(s->what, what ? what : "the text");
    return 0;
}

static const uint32_t corpus_none[1]; /* what an empty result points to */

int corpus_stream_feed(corpus_stream *s, const char *bytes, size_t len, int final,
                       const uint32_t **cps, size_t *n)
{
    *cps = corpus_none;
    *n = 0;
    s->n = 0;
    if (len == 0)
        bytes = ""; /* the final empty feed may pass NULL: no arithmetic or memcpy on it */
    int rc = s->utf8 ? stream_utf8(s, (const unsigned char *)bytes, len, final)
                     : stream_iconv(s, bytes, len, final);
    if (rc)
        return rc;
    size_t skip = !s->started && s->n > 0 && s->out[0] == 0xFEFF; /* a leading BOM */
    s->started |= s->n > 0;
    if (s->nl.mode != NEWLINE_KEEP && s->n > skip)
        s->n = skip + newline_apply(&s->nl, s->out + skip, s->n - skip);
    *cps = s->out ? s->out + skip : corpus_none; /* never NULL, even for 0 code points */
    *n = s->n - skip;
    return 0;
}

void corpus_stream_close(corpus_stream *s)
{
    if (!s)
        return;
    if (s->cd)
        iconv_close((iconv_t)s->cd);
    free(s->chunk);
    free(s->out);
    free(s->what);
    memset(s, 0, sizeof *s);
}

int corpus_decode(const char *bytes, size_t len, const char *encoding, const char *path,
                  uint32_t **cps, size_t *n)
{
    *cps = NULL;
    *n = 0;
    corpus_stream s;
    const uint32_t *got;
    size_t count;
    if (corpus_stream_open(&s, encoding, path))
        return -1;
    if (corpus_stream_feed(&s, bytes, len, 1, &got, &count)) {
        corpus_stream_close(&s);
        return -1;
    }
    uint32_t *out = s.out;
    if (out && got != out) /* a leading byte order mark */
        memmove(out, got, count * sizeof *out);
    s.out = NULL; /* kept */
    corpus_stream_close(&s);
    if (!out)
        out = xmalloc(sizeof *out, "decoded text");
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

int corpus_load(corpus *c, const char *path, const char *encoding, newline_mode newline)
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
    c->nl.mode = newline;
    n = newline_apply(&c->nl, cps, n);
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
