/* sampler.c — priming, drawing and scoring with a checkpointed model. */
#include "sampler.h"

#include "corpus.h"
#include "error.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sampler_load(sampler *s, const char *path, const backend *be)
{
    if (checkpoint_read(path, &s->ck) != 0)
        return -1;
    const char *nl = checkpoint_option(&s->ck, "newline");
    s->newline = NEWLINE_KEEP; /* a checkpoint from before --newline */
    if (nl && newline_parse(nl, "its option newline", &s->newline) != 0) {
        checkpoint_free(&s->ck);
        return error_context("checkpoint '%s'", path);
    }
    const param_layout *p = &s->ck.layout;
    model_init(&s->m, be, p->cell, p->vocab, p->hidden, p->layers);
    be->upload(be, s->m.params, s->ck.params, p->n_params * sizeof(real));
    model_work_init(&s->w, &s->m, 1, SAMPLER_CHUNK, 0);
    return 0;
}

void sampler_free(sampler *s)
{
    model_work_free(&s->w, &s->m);
    model_free(&s->m);
    checkpoint_free(&s->ck);
}

/* Runs ids through the model in chunks; returns the loss sum when targets
 * are given (ids[i+1] is the target of ids[i], n - 1 predictions), else
 * leaves the logits of the last character in w.logits. */
static double feed(sampler *s, const uint32_t *ids, size_t n, int with_targets)
{
    int32_t x[SAMPLER_CHUNK], y[SAMPLER_CHUNK];
    model_pass pass = {0};
    double sum = 0;
    size_t inputs = with_targets ? n - 1 : n, last = 0;
    for (size_t off = 0; off < inputs; off += SAMPLER_CHUNK) {
        size_t k = inputs - off < SAMPLER_CHUNK ? inputs - off : SAMPLER_CHUNK;
        for (size_t i = 0; i < k; i++) {
            x[i] = (int32_t)ids[off + i];
            y[i] = with_targets ? (int32_t)ids[off + i + 1] : 0;
        }
        sum += model_run(&s->m, &s->w, k, x, with_targets ? y : NULL, &pass);
        last = k;
    }
    if (!with_targets && last > 1) /* the last position's logits first */
        s->m.be->copy(s->m.be, s->w.logits, s->w.logits + (last - 1) * s->m.layout.vocab,
                      s->m.layout.vocab * sizeof(real));
    return sum;
}

size_t sampler_newlines(const sampler *s, uint32_t *cps, size_t n)
{
    newline_fold f = {.mode = s->newline};
    return newline_apply(&f, cps, n);
}

int sampler_prime(const sampler *s, const char *prime, const char *encoding, uint64_t seed,
                  uint32_t **ids, size_t *n)
{
    const uint32_t *vocab = s->ck.vocab;
    size_t V = s->ck.layout.vocab;
    *ids = NULL;
    *n = 0;
    if (prime && prime[0]) {
        if (corpus_decode(prime, strlen(prime), encoding, "--prime", ids, n) != 0)
            return -1;
        *n = sampler_newlines(s, *ids, *n);
        if (corpus_map(vocab, V, *ids, *n, *ids, "--prime") != 0) {
            free(*ids);
            *ids = NULL;
            *n = 0;
            return -1;
        }
        if (*n > 0)
            return 0;
        free(*ids); /* decoded to nothing (a lone BOM): as an empty prime */
    }
    long nl = vocab_index(vocab, V, '\n');
    *ids = xmalloc(sizeof **ids, "prime");
    (*ids)[0] = nl >= 0 ? (uint32_t)nl : rng_bits(seed, rng_stream(RNG_STREAM_SAMPLE, 1), 0, 0, 0) % V;
    *n = 1;
    return 0;
}

int sampler_pick(const real *val, const int *idx, size_t k, double temperature, double u,
                 double *probs)
{
    double sum = 0, top = (double)val[0], acc = 0;
    int picked = -1;
    for (size_t q = 0; q < k; q++)
        sum += exp(((double)val[q] - top) / temperature);
    for (size_t q = 0; q < k; q++) {
        double p = exp(((double)val[q] - top) / temperature) / sum;
        if (probs)
            probs[q] = p;
        acc += p;
        if (picked < 0 && u < acc)
            picked = idx[q];
    }
    return picked >= 0 ? picked : idx[k - 1]; /* u beyond the rounded total */
}

static void put_char(uint32_t cp, FILE *out)
{
    char buf[4];
    fwrite(buf, 1, utf8_encode(cp, buf), out);
    fflush(out);
}

void sampler_generate(sampler *s, const uint32_t *prime, size_t n, const sampler_draw *d,
                      FILE *out)
{
    model_work_reset(&s->w, &s->m);
    feed(s, prime, n, 0);
    uint32_t stream = rng_stream(RNG_STREAM_SAMPLE, 0);
    size_t k = d->argmax ? 1 : d->top_k;
    int *idx = xmalloc(k * sizeof *idx, "top-k indices");
    real *val = xmalloc(k * sizeof *val, "top-k logits");
    for (size_t i = 0; i < d->length; i++) {
        double u = rng_uniform(d->seed, stream, 0, 0, (uint32_t)i);
        s->m.be->topk(s->m.be, s->w.logits, s->m.layout.vocab, k, idx, val);
        uint32_t id = (uint32_t)sampler_pick(val, idx, k, d->temperature, u, NULL);
        put_char(s->ck.vocab[id], out);
        if (i + 1 < d->length)
            feed(s, &id, 1, 0);
    }
    free(idx);
    free(val);
}

double sampler_score(sampler *s, const uint32_t *ids, size_t n)
{
    model_work_reset(&s->w, &s->m);
    return feed(s, ids, n, 1);
}
