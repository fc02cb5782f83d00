/* params.h — the cell kinds and the flat parameter layout.
 *
 * All parameters live in one contiguous buffer, tensors carved out by
 * offset, in PyTorch's state_dict order and shapes:
 *   for each layer l: rnn.weight_ih_l{l} (G*H, In_l), rnn.weight_hh_l{l} (G*H, H),
 *                     rnn.bias_ih_l{l} (G*H), rnn.bias_hh_l{l} (G*H)
 *   decoder.weight (V, H), decoder.bias (V)
 * with G = 4 (LSTM: i,f,g,o), 3 (GRU: r,z,n), 1 (RNN, tanh), In_0 = V and
 * In_l = H above. Gradients and Adam's moments use the same layout. */
#ifndef CHARNN_PARAMS_H
#define CHARNN_PARAMS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CELL_LSTM = 0, CELL_GRU = 1, CELL_RNN = 2 } cell_kind;

/* The largest model charnn builds, trains (--hidden, --layers) or reads
 * from a checkpoint (checkpoint.h): the one place these limits live. */
#define PARAM_MAX_VOCAB ((uint64_t)1 << 21)
#define PARAM_MAX_HIDDEN 65536u
#define PARAM_MAX_LAYERS 64u

/* Gates per cell: 4, 3, 1. */
size_t cell_gates(cell_kind k);
/* "lstm", "gru", "rnn". */
const char *cell_name(cell_kind k);
/* Parses a cell name; -1 (with an error) when unknown. */
int cell_parse(const char *name, cell_kind *k);

typedef struct {
    char name[32];     /* state_dict name, e.g. "rnn.weight_ih_l0" */
    size_t rows, cols; /* shape (rows, cols); cols == 0 for a vector (rows) */
    size_t offset;     /* first element in the flat buffer */
    size_t size;       /* elements */
    double init_bound; /* initialised uniform in [-bound, bound) (PyTorch's) */
} param_tensor;

typedef struct {
    cell_kind cell;
    size_t vocab, hidden, layers;
    size_t n_tensors;       /* 4 * layers + 2 */
    param_tensor *tensors;  /* (n_tensors) */
    size_t n_params;        /* total elements */
} param_layout;

void param_layout_init(param_layout *p, cell_kind cell, size_t vocab, size_t hidden,
                       size_t layers);
void param_layout_free(param_layout *p);
/* Index of the tensor named `name`, or -1. */
long param_layout_find(const param_layout *p, const char *name);

/* Tensor indices of layer l (0-based) and of the decoder. */
static inline size_t param_w_ih(size_t l) { return 4 * l; }
static inline size_t param_w_hh(size_t l) { return 4 * l + 1; }
static inline size_t param_b_ih(size_t l) { return 4 * l + 2; }
static inline size_t param_b_hh(size_t l) { return 4 * l + 3; }
static inline size_t param_dec_w(const param_layout *p) { return 4 * p->layers; }
static inline size_t param_dec_b(const param_layout *p) { return 4 * p->layers + 1; }

#endif
