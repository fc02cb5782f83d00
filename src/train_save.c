/* train_save.c — the checkpoint assembled and written (see train_save.h). */
#include "train_save.h"

#include "error.h"
#include "train_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options as the checkpoint's strings (all but those not for files),
 * into keys and values (train_opts_count() each; values to free). */
static void fill_options(trainer *tr, checkpoint *ck, char **keys, char **values)
{
    opt_table t;
    unsigned char *none = xcalloc(train_opts_count(), 1, "option marks");
    train_opts_table(&t, tr->o, none);
    ck->n_options = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.specs[i].flags & OPT_NO_FILE)
            continue;
        keys[ck->n_options] = (char *)t.specs[i].name;
        values[ck->n_options] = xmalloc(OPT_PATH_MAX, "option value");
        opts_format(&t, &t.specs[i], values[ck->n_options], OPT_PATH_MAX);
        ck->n_options++;
    }
    free(none);
    ck->option_keys = keys;
    ck->option_values = values;
}

/* Every rank's carried state (its rows) gathered on rank 0 into ck->h and
 * ck->c (rows, layers, hidden), the checkpoint's layout. */
static void gather_state(trainer *tr, checkpoint *ck)
{
    const comm_info *cm = tr->comm;
    const train_net *net = &tr->net;
    const batch_split *s = &tr->data.train;
    size_t stride = net->m.layout.layers * net->m.layout.hidden, rows = s->lay.rows;
    int lstm = net->m.layout.cell == CELL_LSTM;
    real *mine_h = xmalloc(s->count * stride * sizeof(real), "state export");
    real *mine_c = lstm ? xmalloc(s->count * stride * sizeof(real), "state export") : NULL;
    size_t *bytes = xcalloc((size_t)cm->size, sizeof *bytes, "gather sizes");
    for (int r = 0; r < cm->size; r++) {
        size_t first, count;
        shard_rows(rows, cm->size, r, &first, &count);
        bytes[r] = count * stride * sizeof(real);
    }
    model_state_export(&net->m, &net->train_w, mine_h, mine_c);
    if (cm->rank == 0) {
        ck->h = xmalloc(rows * stride * sizeof(real), "checkpoint state");
        ck->c = lstm ? xmalloc(rows * stride * sizeof(real), "checkpoint state") : NULL;
    }
    comm_gather(mine_h, ck->h, bytes, 0);
    if (lstm)
        comm_gather(mine_c, ck->c, bytes, 0);
    free(mine_h);
    free(mine_c);
    free(bytes);
}

/* Rank 0: the rest of the checkpoint from the state, written. */
static int write_on_rank0(trainer *tr, checkpoint *ck)
{
    const train_options *o = tr->o;
    const train_net *net = &tr->net;
    const batch_split *s = &tr->data.train;
    size_t n = net->m.layout.n_params, count = train_opts_count();
    char **keys = xcalloc(count, sizeof *keys, "option keys");
    char **values = xcalloc(count, sizeof *values, "option values");
    ck->layout = net->m.layout;
    ck->vocab = tr->data.text.vocab;
    ck->params = xmalloc(n * sizeof(real), "checkpoint parameters");
    ck->adam_m = xmalloc(n * sizeof(real), "checkpoint Adam m");
    ck->adam_v = xmalloc(n * sizeof(real), "checkpoint Adam v");
    tr->be->download(tr->be, ck->params, net->m.params, n * sizeof(real));
    tr->be->download(tr->be, ck->adam_m, net->opt.m, n * sizeof(real));
    tr->be->download(tr->be, ck->adam_v, net->opt.v, n * sizeof(real));
    ck->step = tr->pos.step;
    ck->adam_t = net->opt.t;
    ck->bad_steps = tr->pos.bad_in_row;
    ck->windows = s->lay.windows;
    ck->epoch = tr->pos.step / ck->windows;
    ck->window = tr->pos.step % ck->windows;
    ck->rows = s->lay.rows;
    ck->seq = s->lay.seq;
    ck->loss = tr->pos.loss;
    if (backend_cpu_isa(tr->be))
        snprintf(ck->cpu_isa, sizeof ck->cpu_isa, "%s", backend_cpu_isa(tr->be));
    fill_options(tr, ck, keys, values);
    int rc = checkpoint_write(o->out, ck, o->keep, tr->ckpt_path, sizeof tr->ckpt_path);
    for (size_t i = 0; i < ck->n_options; i++)
        free(values[i]);
    free(keys);
    free(values);
    free(ck->params);
    free(ck->adam_m);
    free(ck->adam_v);
    return rc;
}

/* Rank 0 writes; the others send their rows' state. Returns -1 on every
 * rank when the write failed. */
static int write_checkpoint(trainer *tr)
{
    checkpoint ck = {0};
    gather_state(tr, &ck);
    int rc = tr->comm->rank == 0 ? write_on_rank0(tr, &ck) : 0;
    free(ck.h);
    free(ck.c);
    comm_bcast(&rc, sizeof rc, 0);
    return rc;
}

int train_save(trainer *tr)
{
    double t0 = os_now();
    if (train_check_replicas(tr) != 0)
        return -1;
    int rc = write_checkpoint(tr);
    train_phase_lap(tr, PROF_CHECKPOINT, &t0);
    tr->clk.t_saved = t0;
    return rc;
}
