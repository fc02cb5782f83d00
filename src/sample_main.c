/* sample_main.c — charnn-sample: draw text from a checkpoint, or score a file. */
#include "backend.h"
#include "corpus.h"
#include "cpu_isa.h"
#include "error.h"
#include "newline.h"
#include "omp_policy.h"
#include "sample_opts.h"
#include "sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char synopsis[] =
    "charnn-sample CKPT [options]\n"
    "  prints the prime followed by the generated text (and nothing else) on stdout;\n"
    "  with --score FILE, one JSON line {\"chars\", \"nats_per_char\", \"bits_per_char\"}";

static int score(sampler *s, const sample_options *o)
{
    char *bytes;
    size_t len, n;
    uint32_t *cps;
    if (corpus_read_file(o->score, &bytes, &len) != 0) /* its errors say "data file" */
        return error_context("--score");
    char what[OPT_PATH_MAX + 32];
    snprintf(what, sizeof what, "score file '%s'", o->score);
    int rc = corpus_decode(bytes, len, o->encoding, what, &cps, &n);
    free(bytes);
    if (rc != 0)
        return -1;
    n = sampler_newlines(s, cps, n);
    if (n < 2 || corpus_map(s->ck.vocab, s->ck.layout.vocab, cps, n, cps, what) != 0) {
        free(cps);
        return n < 2 ? error_set("%s has %zu character(s); scoring needs at least 2", what, n)
                     : -1;
    }
    double nats = sampler_score(s, cps, n) / (double)(n - 1);
    if (!isfinite(nats)) {
        free(cps);
        return error_set("the model's loss on %s is not finite: the checkpoint's weights have "
                         "overflowed (a diverged run?)",
                         what);
    }
    printf("{\"chars\": %zu, \"nats_per_char\": %.9g, \"bits_per_char\": %.9g}\n", n - 1, nats,
           nats / log(2.0));
    free(cps);
    return 0;
}

static int generate(sampler *s, const sample_options *o)
{
    uint32_t *ids;
    size_t n;
    if (!o->argmax && o->top_k > s->ck.layout.vocab)
        return error_set("--top-k %zu exceeds the vocabulary size (%zu) of the checkpoint",
                         o->top_k, s->ck.layout.vocab);
    if (sampler_prime(s, o->prime, o->encoding, o->seed, &ids, &n) != 0)
        return -1;
    fputs(o->prime, stdout);
    sampler_draw d = {.length = o->length, .top_k = o->top_k, .temperature = o->temperature,
                      .seed = o->seed, .argmax = o->argmax};
    sampler_generate(s, ids, n, &d, stdout);
    if (isatty(STDOUT_FILENO))
        putchar('\n');
    free(ids);
    return 0;
}

int main(int argc, char **argv)
{
    sample_options o;
    opt_table t;
    unsigned char *set;
    char *pos[1];
    size_t n_pos = 0;
    int help = 0, rc = 1;
    const backend *be = NULL;
    sampler s;

    omp_policy_apply(argv);
    error_program("charnn-sample");
    set = xcalloc(sample_opts_count(), 1, "option marks");
    sample_opts_table(&t, &o, set);
    opts_defaults(&t);
    if (cpu_isa_init() != 0 || opts_parse_argv(&t, argc, argv, pos, 1, &n_pos, &help) != 0)
        goto fail;
    if (help) {
        opts_usage(&t, stdout, synopsis);
        free(set);
        return 0;
    }
    if (n_pos != 1) {
        error_set("missing checkpoint: usage: charnn-sample CKPT [options] (see --help)");
        goto fail;
    }
    backend_cpu_threads(o.threads);
    if (backend_select(o.device, 0, &be) != 0 || sampler_load(&s, pos[0], be) != 0)
        goto fail;
    if (newline_parse_auto(o.newline, "--newline", &s.newline) != 0) { /* a choice: checked */
        sampler_free(&s);
        goto fail;
    }
    rc = o.score[0] ? score(&s, &o) : generate(&s, &o);
    sampler_free(&s);
    backend_release(be);
    be = NULL;
    if (rc == 0) {
        free(set);
        return 0;
    }
fail:
    error_print();
    backend_release(be);
    free(set);
    return 1;
}
