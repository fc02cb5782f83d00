/* resume.c — the rules of --resume (see resume.h). */
#include "resume.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int resume_read_first_good(char **paths, size_t n, const char *out, int rank, checkpoint *ck,
                           char *path, size_t len)
{
    char **why = xcalloc(n ? n : 1, sizeof *why, "checkpoint errors");
    int got = 0;
    size_t i = 0;
    for (; i < n && !got; i++) {
        if (strlen(paths[i]) >= len) {
            error_set("checkpoint path '%s' is too long", paths[i]);
        } else {
            snprintf(path, len, "%s", paths[i]);
            got = checkpoint_read(path, ck) == 0;
        }
        if (!got)
            why[i] = xstrdup(error_message(), "checkpoint error");
    }
    for (size_t j = 0; got && j + 1 < i; j++)
        if (rank == 0)
            warn_print("%s: skipped, resuming from an older checkpoint", why[j]);
    if (!got && n > 1)
        error_set("no usable checkpoint in '%s' (all %zu damaged; the newest: %s)", out, n,
                  why[0]);
    else if (!got && n == 1)
        error_set("%s", why[0]);
    for (size_t j = 0; j < n; j++)
        free(why[j]);
    free(why);
    return got ? 1 : n == 0 ? 0 : -1;
}

/* The checkpoint's value of option s: recorded, else (OPT_ARCH) its legacy
 * value; NULL when neither. */
static const char *saved_value(const checkpoint *ck, const opt_spec *s)
{
    const char *saved = checkpoint_option(ck, s->name);
    return saved || !(s->flags & OPT_ARCH) ? saved : s->legacy;
}

/* Option s takes the checkpoint's value; errors call it "its option NAME". */
static int take_saved(const opt_table *t, const opt_spec *s, const char *saved)
{
    char origin[96];
    snprintf(origin, sizeof origin, "its option %s", s->name);
    return opts_set(t, s->name, saved, origin);
}

int resume_merge_options(const opt_table *t, const train_options *o, const checkpoint *ck,
                         const char *path)
{
    char mine[OPT_PATH_MAX];
    for (size_t i = 0; i < t->n; i++) {
        const opt_spec *s = &t->specs[i];
        if (s->flags & (OPT_RUN | OPT_NO_FILE))
            continue;
        const char *saved = saved_value(ck, s);
        if (!saved && (s->flags & OPT_ARCH))
            return error_set("checkpoint '%s' lacks option '%s'", path, s->name);
        opts_format(t, s, mine, sizeof mine);
        if (t->set[i] && (s->flags & OPT_ARCH) && strcmp(mine, saved) != 0)
            return error_set("--%s %s contradicts checkpoint '%s' (%s = %s)", s->name, mine,
                             path, s->name, saved);
        if (!t->set[i] && saved && take_saved(t, s, saved) != 0)
            return error_context("resuming from checkpoint '%s'", path);
    }
    cell_kind cell;
    if (cell_parse(o->cell, &cell) != 0 || cell != ck->layout.cell ||
        o->hidden != ck->layout.hidden || o->layers != ck->layout.layers)
        return error_set("checkpoint '%s': its options contradict its model", path);
    return 0;
}

int resume_check_vocab(const corpus *c, const checkpoint *ck, const char *data, const char *path)
{
    if (c->vocab_size == ck->layout.vocab &&
        memcmp(c->vocab, ck->vocab, c->vocab_size * sizeof *c->vocab) == 0)
        return 0;
    return error_set("vocabulary of '%s' (%zu characters) differs from checkpoint '%s' "
                     "(%zu characters): resume needs the same text",
                     data, c->vocab_size, path, ck->layout.vocab);
}
