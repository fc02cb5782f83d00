/* train_save.c — the checkpoint of a run assembled from its state (model,
 * Adam moments, carried hidden state of every global row, options) and
 * written by rank 0 (train_state.h). */
#include "error.h"
#include "train_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_options(trainer *tr, checkpoint *ck, char **keys, char **values)
{
    opt_table t;
    unsigned char dummy[64] = {0};
    options_table(tr, &t, dummy);
    ck->n_options = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.specs[i].flags & OPT_NO_FILE)
            continue;
        keys[ck->n_options] = (char *)t.specs[i].name;
        values[ck->n_options] = xmalloc(OPT_PATH_MAX, "option value");
        opts_format(&t, &t.specs[i], values[ck->n_options], OPT_PATH_MAX);
        ck->n_options++;
    }
    ck->option_keys = keys;
    ck->option_values = values;
}

/* Rank 0 writes; the others send their rows' state. Returns -1 on every
 * rank when the write failed. */
static int write_checkpoint(trainer *tr)
{
    const comm_info *cm = tr->comm;
    const train_options *o = tr->o;
    split *s = &tr->train;
    size_t stride = o->layers * o->hidden, n = tr->m.layout.n_params;
    int lstm = tr->m.layout.cell == CELL_LSTM;
    real *mine_h = xmalloc(s->count * stride * sizeof(real), "state export");
    real *mine_c = lstm ? xmalloc(s->count * stride * sizeof(real), "state export") : NULL;
    size_t *bytes = xcalloc((size_t)cm->size, sizeof *bytes, "gather sizes");
    for (int r = 0; r < cm->size; r++) {
        size_t first, count;
        shard_rows(o->batch, cm->size, r, &first, &count);
        bytes[r] = count * stride * sizeof(real);
    }
    model_state_export(&tr->m, &s->w, mine_h, mine_c);
    checkpoint ck = {0};
    if (cm->rank == 0) {
        ck.h = xmalloc(o->batch * stride * sizeof(real), "checkpoint state");
        ck.c = lstm ? xmalloc(o->batch * stride * sizeof(real), "checkpoint state") : NULL;
    }
    comm_gather(mine_h, ck.h, bytes, 0);
    if (lstm)
        comm_gather(mine_c, ck.c, bytes, 0);
    free(mine_h);
    free(mine_c);
    free(bytes);
    int rc = 0;
    if (cm->rank == 0) {
        char *keys[64], *values[64];
        ck.layout = tr->m.layout;
        ck.vocab = tr->text.vocab;
        ck.params = xmalloc(n * sizeof(real), "checkpoint parameters");
        ck.adam_m = xmalloc(n * sizeof(real), "checkpoint Adam m");
        ck.adam_v = xmalloc(n * sizeof(real), "checkpoint Adam v");
        tr->be->download(tr->be, ck.params, tr->m.params, n * sizeof(real));
        tr->be->download(tr->be, ck.adam_m, tr->opt.m, n * sizeof(real));
        tr->be->download(tr->be, ck.adam_v, tr->opt.v, n * sizeof(real));
        ck.step = tr->step;
        ck.adam_t = tr->opt.t;
        ck.bad_steps = tr->bad_in_row;
        ck.windows = s->lay.windows;
        ck.epoch = tr->step / ck.windows;
        ck.window = tr->step % ck.windows;
        ck.rows = o->batch;
        ck.seq = o->seq;
        ck.loss = tr->loss;
        if (backend_cpu_isa(tr->be))
            snprintf(ck.cpu_isa, sizeof ck.cpu_isa, "%s", backend_cpu_isa(tr->be));
        fill_options(tr, &ck, keys, values);
        rc = checkpoint_write(o->out, &ck, o->keep, tr->ckpt_path, sizeof tr->ckpt_path);
        for (size_t i = 0; i < ck.n_options; i++)
            free(values[i]);
        free(ck.params);
        free(ck.adam_m);
        free(ck.adam_v);
        free(ck.h);
        free(ck.c);
    }
    comm_bcast(&rc, sizeof rc, 0);
    return rc;
}

/* Checks the replicas (never saves drifted parameters), then writes. */
int save(trainer *tr)
{
    double t0 = os_now();
    if (check_replicas(tr) != 0)
        return -1;
    int rc = write_checkpoint(tr);
    phase_lap(tr, PROF_CHECKPOINT, &t0);
    tr->t_saved = t0;
    return rc;
}
