/* train_setup.c — a training run set up and released (see train_setup.h). */
#include "train_setup.h"

#include "error.h"
#include "resume.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --resume: the first good candidate, its options merged (resume.h). */
static int load_resume(trainer *tr, unsigned char *set)
{
    char **paths;
    size_t n;
    if (!tr->o->resume[0])
        return 0;
    if (checkpoint_candidates(tr->o->resume, tr->o->out, &paths, &n) != 0)
        return -1;
    int rc = resume_read_first_good(paths, n, tr->o->out, tr->comm->rank, &tr->ck, tr->ckpt_path,
                                    sizeof tr->ckpt_path);
    checkpoint_candidates_free(paths, n);
    if (rc <= 0)
        return rc;
    tr->resumed = 1;
    opt_table t;
    train_opts_table(&t, tr->o, set);
    return resume_merge_options(&t, tr->o, &tr->ck, tr->ckpt_path);
}

/* The model, Adam and the two splits' work areas, for the data's
 * vocabulary and this rank's rows. */
static int build_net(trainer *tr)
{
    const train_options *o = tr->o;
    train_net *net = &tr->net;
    const batch_source *d = &tr->data;
    cell_kind cell;
    if (cell_parse(o->cell, &cell) != 0)
        return -1;
    model_init(&net->m, tr->be, cell, d->text.vocab_size, o->hidden, o->layers);
    optim_init(&net->opt, tr->be, net->m.layout.n_params, o->lr, o->grad_clip);
    model_work_init(&net->train_w, &net->m, d->train.count, d->train.lay.seq, 1);
    if (d->has_val)
        model_work_init(&net->val_w, &net->m, d->val.count, d->val.lay.seq, 0);
    net->built = 1;
    return 0;
}

/* The resumed checkpoint's parameters, Adam, position and carried state
 * (this rank's rows) loaded, when it was trained on the same windows. */
static int load_checkpoint(trainer *tr)
{
    const checkpoint *ck = &tr->ck;
    const batch_split *train = &tr->data.train;
    train_net *net = &tr->net;
    if (ck->windows != train->lay.windows || ck->rows != train->lay.rows ||
        ck->seq != train->lay.seq)
        return error_set("checkpoint '%s' was trained with %llu windows of %llu x %llu per "
                         "epoch; this data gives %zu: resume needs the same text and options",
                         tr->ckpt_path, (unsigned long long)ck->windows,
                         (unsigned long long)ck->rows, (unsigned long long)ck->seq,
                         train->lay.windows);
    size_t bytes = net->m.layout.n_params * sizeof(real);
    tr->be->upload(tr->be, net->m.params, ck->params, bytes);
    tr->be->upload(tr->be, net->opt.m, ck->adam_m, bytes);
    tr->be->upload(tr->be, net->opt.v, ck->adam_v, bytes);
    net->opt.t = ck->adam_t;
    tr->pos.step = ck->step;
    tr->pos.bad_in_row = ck->bad_steps;
    tr->pos.loss = ck->loss;
    size_t stride = net->m.layout.layers * net->m.layout.hidden;
    model_state_import(&net->m, &net->train_w, ck->h + train->first * stride,
                       ck->c ? ck->c + train->first * stride : NULL);
    return 0;
}

/* Which of the options a CORPUS.h5 fixes were given, before the
 * checkpoint's options are merged into `set`. */
static batch_given given_options(trainer *tr, const unsigned char *set)
{
    batch_given g = {.val_frac = train_opts_given(tr->o, set, "val-frac"),
                     .encoding = train_opts_given(tr->o, set, "encoding"),
                     .newline = train_opts_given(tr->o, set, "newline")};
    return g;
}

/* --data read and laid out for this rank. */
static int load_data(trainer *tr, const batch_given *given, int given_data)
{
    const train_options *o = tr->o;
    if (batch_load(&tr->data, tr->o, given, tr->resumed ? tr->ckpt_path : NULL) != 0)
        return tr->resumed && !given_data /* the path may be the checkpoint's */
                   ? error_context("resuming from checkpoint '%s' (its --data)", tr->ckpt_path)
                   : -1;
    if (tr->resumed && resume_check_vocab(&tr->data.text, &tr->ck, o->data, tr->ckpt_path) != 0)
        return -1;
    return batch_layout(&tr->data, o, tr->comm);
}

int train_setup(trainer *tr, unsigned char *set)
{
    assert(tr->o && tr->comm && !tr->be && !tr->net.built);
    const train_options *o = tr->o;
    batch_given given = given_options(tr, set);
    int given_data = train_opts_given(tr->o, set, "data");
    if (load_resume(tr, set) != 0)
        return -1;
    if (!o->data[0])
        return error_set("no training text: pass --data FILE (or data = FILE in --config)");
    if (backend_select(o->device, tr->comm->local_rank, &tr->be) != 0)
        return -1;
    backend_set_tf32(tr->be, o->tf32);
    backend_set_rnn_kernel(tr->be, strcmp(o->rnn_kernel, "persistent") == 0);
    if (load_data(tr, &given, given_data) != 0)
        return -1;
    tr->pos.total = o->steps ? o->steps : o->epochs * tr->data.train.lay.windows;
    if (build_net(tr) != 0)
        return -1;
    if (tr->resumed)
        return load_checkpoint(tr);
    model_init_params(&tr->net.m, o->seed);
    return 0;
}

int train_setup_grads(trainer *tr)
{
    const comm_info *cm = tr->comm;
    device_plan plan;
    assert(tr->net.built);
    if (device_agree(cm, tr->o->device, tr->be, &plan) != 0)
        return -1;
    if (plan.fake && cm->rank == 0)
        printf("charnn-train: CHARNN_FAKE_GPUS: %d rank(s), %s\n", cm->size,
               device_plan_name(&plan));
    return comm_grads_open(&tr->net.grads, cm, tr->be, &plan, tr->net.m.layout.n_params);
}

void train_release(trainer *tr)
{
    train_net *net = &tr->net;
    metrics_close(&tr->clk.mt);
    comm_grads_close(&net->grads);
    if (net->built) {
        model_work_free(&net->train_w, &net->m);
        if (tr->data.has_val)
            model_work_free(&net->val_w, &net->m);
        optim_free(&net->opt);
        model_free(&net->m);
        net->built = 0;
    }
    backend_release(tr->be); /* after what used its stream */
    tr->be = NULL;
    checkpoint_free(&tr->ck);
    batch_free(&tr->data);
}
