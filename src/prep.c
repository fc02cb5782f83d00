/* prep.c — text files → CORPUS.h5 in two streaming passes (see prep.h). */
#include "prep.h"

#include "corpus.h"
#include "corpus_h5.h"
#include "error.h"
#include "h5util.h"
#include "osutil.h"

#include <hdf5.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREP_PAGE_BITS 8
#define PREP_PAGE ((size_t)1 << PREP_PAGE_BITS)
#define PREP_PAGES (0x110000u >> PREP_PAGE_BITS)
#define PREP_CHUNK_IDS ((hsize_t)1 << 17) /* ids per HDF5 chunk (256 or 512 KiB) */
#define PREP_WRITE_IDS ((size_t)8 << 17)  /* ids per write: 8 chunks */

/* ---- HDF5 errors ---- */

/* The error of a failed HDF5 call writing the output: the reason h5util
 * recorded (the errno of the file driver when there is one, e.g. "No space
 * left on device"), recorded now if it was not already. */
static int prep_h5_fail(const char *path, const char *doing)
{
    h5u_fail();
    return error_set("cannot write '%s' (%s): %s", path, doing, h5u_reason());
}

/* ---- the progress bar ---- */

typedef struct {
    int on;
    uint64_t total, done; /* bytes over both passes */
    double last;
    const char *what;
} prep_progress;

static void progress_show(prep_progress *p, int force)
{
    enum { WIDTH = 30 };
    if (!p->on)
        return;
    double t = os_now();
    if (!force && t - p->last < 0.2)
        return;
    p->last = t;
    double frac = p->total ? (double)p->done / (double)p->total : 1.0;
    if (frac > 1)
        frac = 1;
    char bar[WIDTH + 1];
    int fill = (int)(frac * WIDTH);
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    fprintf(stderr, "\rcharnn-prep: [%s] %5.1f%%  %.1f / %.1f MB  %s   ", bar, 100.0 * frac,
            (double)p->done / 1e6, (double)p->total / 1e6, p->what);
    fflush(stderr);
}

static void progress_end(prep_progress *p)
{
    if (!p->on)
        return;
    progress_show(p, 1);
    fputc('\n', stderr);
}

/* ---- a count (pass 1), then an id + 1 (pass 2) per code point, by pages ---- */

typedef struct {
    uint64_t *page[PREP_PAGES];
} prep_table;

static uint64_t *table_slot(prep_table *T, uint32_t cp)
{
    uint64_t **p = &T->page[cp >> PREP_PAGE_BITS];
    if (!*p)
        *p = xcalloc(PREP_PAGE, sizeof **p, "character counts");
    return &(*p)[cp & (PREP_PAGE - 1)];
}

static void table_free(prep_table *T)
{
    for (size_t i = 0; i < PREP_PAGES; i++)
        free(T->page[i]);
}

/* ---- reading the inputs, a chunk at a time ---- */

typedef struct {
    const prep_options *o;
    prep_summary *sum;
    newline_mode newline;            /* o->newline parsed */
    prep_progress prog;
    char *chunk;
    size_t chunk_bytes;
    prep_table T;
    uint64_t *src_bytes, *src_chars; /* per input, from pass 1 */
    /* pass 2 */
    hid_t file, dset[2];
    uint32_t *wbuf;
    size_t nb;                       /* ids in wbuf */
    uint64_t start;                  /* global index of wbuf[0] */
    uint64_t pos;                    /* ids produced */
    const char *tmp;                 /* the file being written */
} prep_state;

typedef int (*prep_sink)(prep_state *S, const uint32_t *cps, size_t n, size_t input);

static int prep_changed(const prep_state *S, size_t input)
{
    return error_set("'%s' changed while charnn-prep was reading it (its second reading "
                     "differs from the first); run charnn-prep again",
                     S->o->inputs[input]);
}

/* Pass 1: count every character. */
static int sink_count(prep_state *S, const uint32_t *cps, size_t n, size_t input)
{
    for (size_t i = 0; i < n; i++) {
        if (cps[i] >= 0x110000u)
            return error_set("data file '%s': the decoder produced U+%" PRIX32
                             ", not a Unicode code point",
                             S->o->inputs[input], cps[i]);
        ++*table_slot(&S->T, cps[i]);
    }
    S->src_chars[input] += n;
    return 0;
}

/* Writes wbuf to /train or /val (it never spans both). */
static int prep_flush(prep_state *S)
{
    if (S->nb == 0)
        return 0;
    int val = S->start >= S->sum->n_train;
    hsize_t off = S->start - (val ? S->sum->n_train : 0), count = S->nb;
    hid_t fs = H5Dget_space(S->dset[val]), ms = H5Screate_simple(1, &count, NULL);
    int ok = fs >= 0 && ms >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &count, NULL) >= 0 &&
             H5Dwrite(S->dset[val], H5T_NATIVE_UINT32, ms, fs, H5P_DEFAULT, S->wbuf) >= 0;
    int rc = ok ? 0 : prep_h5_fail(S->o->output, val ? "/val" : "/train");
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    S->start += S->nb;
    S->nb = 0;
    return rc;
}

/* Pass 2: map to ids, append to /train until n_train, then to /val. */
static int sink_write(prep_state *S, const uint32_t *cps, size_t n, size_t input)
{
    const uint64_t n_train = S->sum->n_train, total = S->sum->n;
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = cps[i] < 0x110000u ? S->T.page[cps[i] >> PREP_PAGE_BITS] : NULL;
        uint64_t id1 = p ? p[cps[i] & (PREP_PAGE - 1)] : 0;
        if (id1 == 0 || S->pos >= total)
            return prep_changed(S, input);
        S->wbuf[S->nb++] = (uint32_t)(id1 - 1);
        S->pos++;
        if ((S->nb == PREP_WRITE_IDS || S->pos == n_train) && prep_flush(S) != 0)
            return -1;
    }
    return 0;
}

static FILE *prep_open_input(const char *path, uint64_t *size)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set("cannot open data file '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        error_set("data file '%s' is not a regular file (charnn-prep reads its inputs twice)",
                  path);
        return NULL;
    }
    *size = (uint64_t)st.st_size;
    return f;
}

/* Streams input `k` through the decoder into sink. */
static int prep_pass_file(prep_state *S, size_t k, prep_sink sink, uint64_t *bytes)
{
    const char *path = S->o->inputs[k];
    uint64_t size;
    FILE *f = prep_open_input(path, &size);
    if (!f)
        return -1;
    char what[4096];
    snprintf(what, sizeof what, "data file '%s'", path);
    corpus_stream st;
    if (corpus_stream_open(&st, S->o->encoding, what) != 0) {
        fclose(f);
        return -1;
    }
    st.nl.mode = S->newline;
    int rc = 0, eof = 0;
    *bytes = 0;
    while (!rc && !eof) {
        size_t got = fread(S->chunk, 1, S->chunk_bytes, f);
        if (got < S->chunk_bytes) {
            if (ferror(f)) {
                rc = error_set("cannot read data file '%s': %s", path, strerror(errno));
                break;
            }
            eof = 1;
        }
        const uint32_t *cps;
        size_t n;
        rc = corpus_stream_feed(&st, S->chunk, got, eof, &cps, &n);
        if (!rc)
            rc = sink(S, cps, n, k);
        *bytes += got;
        S->prog.done += got;
        progress_show(&S->prog, 0);
    }
    corpus_stream_close(&st);
    fclose(f);
    return rc;
}

/* ---- the vocabulary ---- */

/* The vocabulary from the counts (characters seen fewer than min_count
 * times become U+FFFD); the table then holds id + 1 of every character. */
static uint32_t *prep_vocab(prep_state *S, size_t *size)
{
    prep_summary *sum = S->sum;
    uint64_t min = S->o->min_count;
    size_t distinct = 0, kept = 0, cap = 0;
    int need_unknown = 0, have_unknown = 0;
    for (size_t pg = 0; pg < PREP_PAGES; pg++)
        for (size_t i = 0; S->T.page[pg] && i < PREP_PAGE; i++) {
            uint64_t c = S->T.page[pg][i];
            uint32_t cp = (uint32_t)(pg << PREP_PAGE_BITS | i);
            if (c == 0)
                continue;
            distinct++;
            if (c >= min) {
                kept++;
                have_unknown |= cp == CORPUS_H5_UNKNOWN;
            } else {
                need_unknown = 1;
                sum->n_unknown += c;
                sum->rare++;
            }
        }
    cap = kept + (need_unknown && !have_unknown);
    uint32_t *v = xmalloc((cap ? cap : 1) * sizeof *v, "vocabulary");
    size_t k = 0;
    int placed = !need_unknown || have_unknown; /* U+FFFD is (or need not be) in v */
    for (size_t pg = 0; pg < PREP_PAGES; pg++)
        for (size_t i = 0; S->T.page[pg] && i < PREP_PAGE; i++) {
            uint32_t cp = (uint32_t)(pg << PREP_PAGE_BITS | i);
            uint64_t c = S->T.page[pg][i];
            if (c == 0 || c < min)
                continue;
            if (!placed && cp > CORPUS_H5_UNKNOWN) {
                v[k++] = CORPUS_H5_UNKNOWN;
                placed = 1;
            }
            v[k++] = cp;
        }
    if (!placed)
        v[k++] = CORPUS_H5_UNKNOWN;
    /* the table: id + 1 of every character seen */
    long unknown = vocab_index(v, k, CORPUS_H5_UNKNOWN);
    for (size_t pg = 0; pg < PREP_PAGES; pg++)
        for (size_t i = 0; S->T.page[pg] && i < PREP_PAGE; i++) {
            uint64_t *c = &S->T.page[pg][i];
            if (*c == 0)
                continue;
            long id = *c >= min ? vocab_index(v, k, (uint32_t)(pg << PREP_PAGE_BITS | i)) : unknown;
            *c = (uint64_t)id + 1;
        }
    sum->distinct = distinct;
    *size = k;
    return v;
}

/* ---- writing the file ---- */

/* An attribute of the root: n values (n = 0: a scalar). */
static int prep_attr(prep_state *S, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                     const void *val)
{
    if (h5u_write_attr(S->file, name, ftype, mtype, n, val) != 0)
        return prep_h5_fail(S->o->output, name);
    return 0;
}

static int prep_attr_u64(prep_state *S, const char *name, uint64_t v)
{
    return prep_attr(S, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
}

static int prep_attr_strs(prep_state *S, const char *name, hsize_t n, const char *const *v)
{
    if (h5u_write_attr_strs(S->file, name, n, v) != 0)
        return prep_h5_fail(S->o->output, name);
    return 0;
}

static int prep_attrs(prep_state *S)
{
    const prep_options *o = S->o;
    const prep_summary *sum = S->sum;
    const char *format = CORPUS_H5_FORMAT, *enc = o->encoding;
    const char *nl = newline_name(S->newline);
    hsize_t k = o->n_inputs;
    int rc = prep_attr_strs(S, "format", 0, &format);
    if (!rc)
        rc = prep_attr_u64(S, "version", CORPUS_H5_VERSION);
    if (!rc)
        rc = prep_attr_u64(S, "n_train", sum->n_train);
    if (!rc)
        rc = prep_attr_u64(S, "n_val", sum->n_val);
    if (!rc)
        rc = prep_attr_u64(S, "n_unknown", sum->n_unknown);
    if (!rc)
        rc = prep_attr_u64(S, "min_count", o->min_count);
    if (!rc)
        rc = prep_attr(S, "val_frac", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &o->val_frac);
    if (!rc)
        rc = prep_attr_strs(S, "encoding", 0, &enc);
    if (!rc)
        rc = prep_attr_strs(S, "newline", 0, &nl);
    if (!rc)
        rc = prep_attr_strs(S, "sources", k, o->inputs);
    if (!rc)
        rc = prep_attr(S, "source_bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, k, S->src_bytes);
    if (!rc)
        rc = prep_attr(S, "source_chars", H5T_STD_U64LE, H5T_NATIVE_UINT64, k, S->src_chars);
    return rc;
}

/* A 1-D dataset of n elements: chunked with Fletcher-32 checksums (empty:
 * contiguous), no fill values written, no modification times. */
static hid_t prep_dset(prep_state *S, const char *name, hid_t ftype, hsize_t n)
{
    hid_t space = H5Screate_simple(1, &n, NULL), d = -1;
    hid_t dcpl = space < 0 ? -1 : h5u_dcpl(1, &n, PREP_CHUNK_IDS, 1);
    if (dcpl >= 0)
        d = H5Dcreate2(S->file, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0)
        prep_h5_fail(S->o->output, name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return d;
}

/* Creates the file with /vocab and the empty /train and /val. */
static int prep_create(prep_state *S, const uint32_t *vocab, size_t V)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    S->file = fapl < 0 ? -1 : H5Fcreate(S->tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    int rc = S->file < 0 ? prep_h5_fail(S->o->output, "create") : 0;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (rc)
        return rc;
    hid_t idt = S->sum->id_bytes == 2 ? H5T_STD_U16LE : H5T_STD_U32LE;
    hid_t v = prep_dset(S, "vocab", H5T_STD_U32LE, V);
    rc = v < 0 ? -1 : 0;
    if (!rc && H5Dwrite(v, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, vocab) < 0)
        rc = prep_h5_fail(S->o->output, "/vocab");
    if (v >= 0)
        H5Dclose(v);
    if (!rc && (S->dset[0] = prep_dset(S, "train", idt, S->sum->n_train)) < 0)
        rc = -1;
    if (!rc && (S->dset[1] = prep_dset(S, "val", idt, S->sum->n_val)) < 0)
        rc = -1;
    return rc;
}

static int prep_close(prep_state *S)
{
    int rc = 0;
    for (int i = 0; i < 2; i++)
        if (S->dset[i] >= 0 && H5Dclose(S->dset[i]) < 0 && !rc)
            rc = prep_h5_fail(S->o->output, "close");
    S->dset[0] = S->dset[1] = -1;
    if (S->file >= 0 && H5Fclose(S->file) < 0 && !rc)
        rc = prep_h5_fail(S->o->output, "close");
    S->file = -1;
    return rc;
}

/* ---- the two passes ---- */

static int prep_check_inputs(prep_state *S)
{
    const prep_options *o = S->o;
    struct stat out, in;
    int have_out = stat(o->output, &out) == 0;
    if (o->n_inputs == 0)
        return error_set("no input: usage: charnn-prep TEXT... -o CORPUS.h5 (see --help)");
    for (size_t k = 0; k < o->n_inputs; k++) {
        uint64_t size;
        FILE *f = prep_open_input(o->inputs[k], &size);
        if (!f)
            return -1;
        int same = have_out && fstat(fileno(f), &in) == 0 && in.st_dev == out.st_dev &&
                   in.st_ino == out.st_ino;
        fclose(f);
        if (same)
            return error_set("the output '%s' is also an input", o->output);
        S->prog.total += 2 * size;
    }
    return 0;
}

static int prep_pass(prep_state *S, prep_sink sink, const char *what, int count_bytes)
{
    S->prog.what = what;
    for (size_t k = 0; k < S->o->n_inputs; k++) {
        uint64_t bytes;
        if (prep_pass_file(S, k, sink, &bytes) != 0)
            return -1;
        if (count_bytes) {
            S->src_bytes[k] = bytes;
            S->sum->bytes += bytes;
        } else if (bytes != S->src_bytes[k]) {
            return prep_changed(S, k);
        }
    }
    return 0;
}

static int prep_count(prep_state *S)
{
    prep_summary *sum = S->sum;
    if (prep_pass(S, sink_count, "pass 1/2: counting characters", 1) != 0)
        return -1;
    for (size_t k = 0; k < S->o->n_inputs; k++)
        sum->n += S->src_chars[k];
    if (sum->n == 0)
        return error_set(S->o->n_inputs == 1 ? "data file '%s' has no characters"
                                             : "the data files ('%s', ...) have no characters",
                         S->o->inputs[0]);
    sum->n_val = (uint64_t)floor((double)sum->n * S->o->val_frac);
    sum->n_train = sum->n - sum->n_val;
    return 0;
}

static int prep_write(prep_state *S, const uint32_t *vocab, size_t V)
{
    if (prep_create(S, vocab, V) != 0)
        return -1;
    S->wbuf = xmalloc(PREP_WRITE_IDS * sizeof *S->wbuf, "write buffer");
    int rc = prep_pass(S, sink_write, "pass 2/2: writing ids", 0);
    if (!rc && S->pos != S->sum->n)
        rc = prep_changed(S, S->o->n_inputs - 1);
    if (!rc)
        rc = prep_flush(S);
    if (!rc)
        rc = prep_attrs(S);
    int crc = prep_close(S);
    return rc ? rc : crc;
}

int prep_run(const prep_options *o, prep_summary *sum)
{
    prep_state S;
    memset(&S, 0, sizeof S);
    memset(sum, 0, sizeof *sum);
    S.o = o;
    S.sum = sum;
    S.file = S.dset[0] = S.dset[1] = -1;
    S.prog.on = o->progress;
    S.chunk_bytes = o->chunk_bytes ? o->chunk_bytes : PREP_CHUNK_DEFAULT;
    h5u_quiet();
    h5u_reason_clear();
    if (!(o->val_frac >= 0 && o->val_frac < 1))
        return error_set("--val-frac %g is out of range (must be in [0, 1))", o->val_frac);
    S.newline = NEWLINE_LF; /* the default, for o->newline NULL */
    if (o->newline && newline_parse(o->newline, "--newline", &S.newline) != 0)
        return -1;
    if (prep_check_inputs(&S) != 0)
        return -1;
    size_t tmp_len = strlen(o->output) + 32;
    char *tmp = xmalloc(tmp_len, "output path");
    snprintf(tmp, tmp_len, "%s.tmp.%ld", o->output, (long)getpid());
    S.tmp = tmp;
    S.chunk = xmalloc(S.chunk_bytes, "read buffer");
    S.src_bytes = xcalloc(o->n_inputs, sizeof *S.src_bytes, "input sizes");
    S.src_chars = xcalloc(o->n_inputs, sizeof *S.src_chars, "input sizes");
    uint32_t *vocab = NULL;
    size_t V = 0;
    int rc = prep_count(&S);
    if (!rc) {
        vocab = prep_vocab(&S, &V);
        sum->vocab_size = V;
        sum->id_bytes = V <= 65536 ? 2 : 4;
        unlink(tmp); /* a leftover of a killed run with the same pid */
        rc = prep_write(&S, vocab, V);
        if (!rc && rename(tmp, o->output) != 0)
            rc = error_set("cannot write '%s': %s", o->output, strerror(errno));
        if (rc)
            unlink(tmp);
    }
    progress_end(&S.prog);
    free(vocab);
    free(S.wbuf);
    free(S.chunk);
    free(S.src_bytes);
    free(S.src_chars);
    table_free(&S.T);
    free(tmp);
    return rc;
}
