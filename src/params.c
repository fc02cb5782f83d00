/* params.c — cell kinds and the flat parameter layout (see params.h). */
#include "params.h"

#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cell_names[] = {"lstm", "gru", "rnn"};

size_t cell_gates(cell_kind k) { return k == CELL_LSTM ? 4 : k == CELL_GRU ? 3 : 1; }

const char *cell_name(cell_kind k) { return cell_names[k]; }

int cell_parse(const char *name, cell_kind *k)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, cell_names[i]) == 0) {
            *k = (cell_kind)i;
            return 0;
        }
    return error_set("unknown cell '%s' (expected lstm, gru or rnn)", name);
}

static void add_tensor(param_layout *p, const char *name, size_t rows, size_t cols,
                       double bound)
{
    param_tensor *t = &p->tensors[p->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = p->n_params;
    t->size = cols ? rows * cols : rows;
    t->init_bound = bound;
    p->n_params += t->size;
}

void param_layout_init(param_layout *p, cell_kind cell, size_t vocab, size_t hidden,
                       size_t layers)
{
    size_t gh = cell_gates(cell) * hidden;
    double rnn_bound = 1.0 / sqrt((double)hidden); /* nn.LSTM/GRU/RNN reset_parameters */
    char name[32];
    p->cell = cell;
    p->vocab = vocab;
    p->hidden = hidden;
    p->layers = layers;
    p->n_tensors = 0;
    p->n_params = 0;
    p->tensors = xcalloc(4 * layers + 2, sizeof *p->tensors, "parameter table");
    for (size_t l = 0; l < layers; l++) {
        snprintf(name, sizeof name, "rnn.weight_ih_l%u", (unsigned)l);
        add_tensor(p, name, gh, l ? hidden : vocab, rnn_bound);
        snprintf(name, sizeof name, "rnn.weight_hh_l%u", (unsigned)l);
        add_tensor(p, name, gh, hidden, rnn_bound);
        snprintf(name, sizeof name, "rnn.bias_ih_l%u", (unsigned)l);
        add_tensor(p, name, gh, 0, rnn_bound);
        snprintf(name, sizeof name, "rnn.bias_hh_l%u", (unsigned)l);
        add_tensor(p, name, gh, 0, rnn_bound);
    }
    /* nn.Linear: kaiming_uniform(a=sqrt(5)) on the weight and the bias bound
     * both come to 1/sqrt(fan_in). */
    add_tensor(p, "decoder.weight", vocab, hidden, 1.0 / sqrt((double)hidden));
    add_tensor(p, "decoder.bias", vocab, 0, 1.0 / sqrt((double)hidden));
}

void param_layout_free(param_layout *p)
{
    free(p->tensors);
    p->tensors = NULL;
    p->n_tensors = 0;
}

long param_layout_find(const param_layout *p, const char *name)
{
    for (size_t i = 0; i < p->n_tensors; i++)
        if (strcmp(p->tensors[i].name, name) == 0)
            return (long)i;
    return -1;
}
