/* checkpoint.h — HDF5 checkpoints: written atomically by rank 0, read and
 * validated by the trainer (resume) and the sampler. The schema is the
 * contract in docs/checkpoint-format.md:
 *   /model        group, attributes cell (string), hidden_size, num_layers,
 *                 vocab_size (int64); one float32 dataset per tensor, named
 *                 and shaped as PyTorch's state_dict (see params.h)
 *   /vocab        uint32 (V): the code points in index order
 *   /optim/adam_m, /optim/adam_v   float32 (n_params): Adam's moments, flat
 *   /train        group, attributes step, epoch, window, windows, rows, seq,
 *                 adam_t, bad_steps (uint64), loss (double, last training
 *                 loss); adam_t and bad_steps are optional when reading
 *                 (absent: step and 0)
 *   /state/h      float32 (rows, layers, hidden): every row's carried h
 *   /state/c      float32 (rows, layers, hidden): LSTM only
 *   /options      group, one string attribute per training option
 * The first 512 bytes are an HDF5 user block holding a text header with
 * the length and CRC-64 of the rest (checkpoint_seal.h).
 *
 * The files: checkpoint_store.c (a directory of checkpoints: the atomic
 * write, latest.h5, retention, resume candidates), checkpoint_image.c (the
 * sealed file built in memory), checkpoint_writer.c (the schema written),
 * checkpoint_guard.c (the checks before HDF5 parses a file),
 * checkpoint_reader.c (the schema read and validated), checkpoint_seal.c
 * (the header). */
#ifndef CHARNN_CHECKPOINT_H
#define CHARNN_CHECKPOINT_H

#include "params.h"

#include <stddef.h>
#include <stdint.h>

/* The largest model a checkpoint may hold (the reader refuses larger): the
 * model's own limits (params.h). */
#define CK_MAX_VOCAB PARAM_MAX_VOCAB
#define CK_MAX_HIDDEN PARAM_MAX_HIDDEN
#define CK_MAX_LAYERS PARAM_MAX_LAYERS

typedef struct {
    param_layout layout;  /* cell, vocab, hidden, layers, tensor table */
    uint32_t *vocab;      /* (vocab) code points */
    float *params;        /* (n_params) flat, PyTorch layout */
    float *adam_m;        /* (n_params) */
    float *adam_v;        /* (n_params) */
    uint64_t step;        /* training steps done (batches consumed) */
    uint64_t adam_t;      /* Adam steps applied: step less the skipped ones */
    uint64_t bad_steps;   /* non-finite steps in a row just before `step` */
    uint64_t epoch;       /* step / windows */
    uint64_t window;      /* step % windows: the next window to train on */
    uint64_t windows;     /* windows per epoch of the training layout */
    uint64_t rows;        /* global sequence rows (--batch) */
    uint64_t seq;         /* steps per window (--seq) */
    double loss;          /* last training loss (mean nats/char) */
    char cpu_isa[16];     /* the CPU kernels' instruction set that trained it
                           * (cpu_isa.h's name); "" when not on the CPU or
                           * not recorded (older checkpoints) */
    float *h;             /* (rows, layers, hidden) carried hidden state */
    float *c;             /* (rows, layers, hidden) LSTM cell state, else NULL */
    size_t n_options;
    char **option_keys;   /* (n_options) */
    char **option_values; /* (n_options) */
} checkpoint;

/* Writes ck as DIR/ckpt-<step, 8 digits>.h5: into a temporary file in DIR,
 * flushed, fsync'ed, then renamed; then DIR/latest.h5 (a symlink) is
 * replaced atomically to name it, and all but the newest `keep` ckpt-*.h5
 * are removed. DIR is created when missing. On any failure nothing that was
 * there before is damaged (the temporary file is removed) and -1 is
 * returned with an error naming the path. *path_out receives the file. */
int checkpoint_write(const char *dir, const checkpoint *ck, size_t keep, char *path_out,
                     size_t path_len);

/* Reads and validates a checkpoint. First, before HDF5 parses anything, a
 * file with the header must have its length and CRC-64 ("is truncated (N
 * of M bytes)", "is corrupted (checksum mismatch)"); a file without one
 * (h5py's, an older charnn's) skips that. Then every group, dataset, type,
 * rank and dimension is checked against the /model attributes before
 * anything is allocated or read. Errors name the file and what is wrong
 * ("not an HDF5 file", "missing dataset /model/rnn.weight_hh_l1", "dataset
 * ... has shape (3, 4), expected (2048, 512)"). HDF5's own error stack is
 * never printed. */
int checkpoint_read(const char *path, checkpoint *ck);

/* For --resume, the checkpoints to try, best first (*n paths, to free with
 * checkpoint_candidates_free). `spec` a path: that one, which must exist
 * (else an error naming it). "auto": those of DIR: the one DIR/latest.h5
 * names (checkpoint_write's commit point; a dangling link is listed as is,
 * so that reading it fails and names it), then every ckpt-*.h5 of a lower
 * step, newest first; without latest.h5 every ckpt-*.h5, newest first;
 * none (*n = 0) when there is nothing to resume from. The caller takes
 * the first that checkpoint_read accepts. */
int checkpoint_candidates(const char *spec, const char *dir, char ***paths, size_t *n);
void checkpoint_candidates_free(char **paths, size_t n);
/* Value of option `key` saved in ck, or NULL. */
const char *checkpoint_option(const checkpoint *ck, const char *key);

void checkpoint_free(checkpoint *ck);

#endif
