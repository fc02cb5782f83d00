/* fuzz_prime.c — libFuzzer target: charnn-sample's --prime, as
 * sample_main.c handles it: the option value (opts_set into the sample
 * table: a C string of at most 4095 bytes), decoded in --encoding
 * and mapped to ids through a fixed tiny checkpoint's vocabulary
 * (sampler_prime: corpus_decode + corpus_map, as sample_main.c does), then
 * fed to that model, which draws a few characters (sampler_generate).
 *
 * The checkpoint: tests/fuzz/data/prime.h5 (made by make_seeds.sh: an LSTM
 * with 4 hidden units whose vocabulary mixes ASCII, Latin-1, CJK and an
 * emoji), or $CHARNN_FUZZ_CKPT.
 * Input: byte 0 % 4 picks the encoding (utf-8, gb18030, utf-16le, latin1),
 * the rest is the prime (up to its first NUL, as from a command line).
 * Properties: no crash; a refused prime leaves one message naming --prime;
 * an accepted one maps every character to the index of that character in
 * the vocabulary, and sampling from it writes valid UTF-8. */
#include "backend.h"
#include "corpus.h"
#include "error.h"
#include "fuzz_util.h"
#include "opts.h"
#include "sample_opts.h"
#include "sampler.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef CHARNN_FUZZ_PRIME_CKPT
#define CHARNN_FUZZ_PRIME_CKPT "tests/fuzz/data/prime.h5"
#endif

static const char *const encodings[4] = {"utf-8", "gb18030", "utf-16le", "latin1"};
static sampler the_model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *path = getenv("CHARNN_FUZZ_CKPT");
    const backend *be = NULL;
    if (!path || !path[0])
        path = CHARNN_FUZZ_PRIME_CKPT;
    backend_cpu_threads(1);
    if (backend_select("cpu", 0, &be) != 0 || sampler_load(&the_model, path, be) != 0) {
        fprintf(stderr, "fuzz_prime: cannot load the checkpoint: %s\n", error_message());
        exit(2);
    }
    return 0;
}

/* Valid UTF-8 only (what sampling writes). */
static void check_utf8(const char *s, size_t len)
{
    uint32_t *cps;
    size_t n;
    FUZZ_CHECK(corpus_decode(s, len, "utf-8", "sample output", &cps, &n) == 0,
               "sampling wrote invalid UTF-8: %s", error_message());
    free(cps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sample_options o;
    unsigned char set[32];
    opt_table t;
    sample_opts_table(&t, &o, set);
    FUZZ_CHECK(opts_defaults(&t) == 0, "defaults: %s", error_message());
    FUZZ_CHECK(opts_set(&t, "encoding", encodings[data[0] & 3], NULL) == 0, "encoding");

    /* the prime as a command line gives it: up to the first NUL */
    size_t len = strnlen((const char *)data + 1, size - 1);
    char *arg = malloc(len + 1);
    FUZZ_CHECK(arg != NULL, "out of memory");
    memcpy(arg, data + 1, len);
    arg[len] = '\0';
    int set_rc = opts_set(&t, "prime", arg, "--prime");
    FUZZ_CHECK((set_rc == 0) == (len < sizeof o.prime), "--prime of %zu bytes: rc %d", len, set_rc);
    free(arg);
    if (set_rc != 0)
        return 0;

    /* sample_main.c's generate(): sampler_prime, then sampler_generate */
    const uint32_t *vocab = the_model.ck.vocab;
    size_t V = the_model.ck.layout.vocab;
    uint32_t *ids = NULL, *cps = NULL;
    size_t n = 0, ncps = 0;
    int rc = sampler_prime(&the_model, o.prime, o.encoding, o.seed, &ids, &n);
    int decoded = corpus_decode(o.prime, strlen(o.prime), o.encoding, "--prime", &cps, &ncps) == 0;
    if (rc != 0) {
        FUZZ_CHECK(ids == NULL && n == 0, "a refused prime returned ids");
        FUZZ_CHECK(strncmp(error_message(), "--prime", 7) == 0, "message: %s", error_message());
        int missing = 0;
        for (size_t i = 0; decoded && i < ncps; i++)
            missing |= vocab_index(vocab, V, cps[i]) < 0;
        FUZZ_CHECK(!decoded || missing, "refused a prime whose characters are all in the vocabulary");
    } else {
        FUZZ_CHECK(decoded, "accepted a prime that does not decode");
        FUZZ_CHECK(n >= 1, "sampler_generate needs at least one prime id");
        FUZZ_CHECK(ncps == n || (ncps == 0 && n == 1), "%zu ids for %zu characters", n, ncps);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(ids[i] < V && (ncps == 0 || vocab[ids[i]] == cps[i]),
                       "prime character %zu mapped wrongly", i);
        char *out = NULL;
        size_t out_len = 0;
        FILE *f = open_memstream(&out, &out_len);
        FUZZ_CHECK(f != NULL, "open_memstream");
        sampler_draw d = {.length = 4, .top_k = V < 3 ? V : 3, .temperature = 0.7,
                          .seed = data[0], .argmax = (data[0] & 4) != 0};
        sampler_generate(&the_model, ids, n, &d, f);
        fclose(f);
        check_utf8(out, out_len);
        free(out);
    }
    free(cps);
    free(ids);
    return 0;
}
