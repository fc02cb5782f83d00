/* checkpoint_fixtures.h — what the checkpoint tests (test_checkpoint_*.c)
 * share: temporary directories, a checkpoint with every field set, its
 * comparison, a failed read's checks, the header cleared, stderr captured. */
#ifndef CHARNN_CHECKPOINT_FIXTURES_H
#define CHARNN_CHECKPOINT_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "checkpoint.h"

/* A fresh directory /tmp/charnn-ckpt-XXXXXX into buf; tc_rmtree removes it. */
void tc_mkdtemp(char *buf, size_t len);
void tc_rmtree(const char *dir);

/* The float with the given bits. */
float tc_bits(uint32_t u);

/* A checkpoint with every field set; free it with checkpoint_free. */
void tc_make(checkpoint *ck, cell_kind cell, size_t vocab, size_t hidden, size_t layers,
             size_t rows, uint64_t step);

/* a and b hold the same fields, bit for bit. */
void tc_same(const checkpoint *a, const checkpoint *b);

/* Writes a small LSTM checkpoint at `step` into dir; its path into path. */
void tc_write(const char *dir, uint64_t step, size_t keep, char *path, size_t len);

/* Names in dir that start with '.' and are not . or .. (temporaries). */
size_t tc_count_hidden(const char *dir);

/* The target of dir/latest.h5. */
void tc_readlink(const char *dir, char *target, size_t len);

/* Open HDF5 files, groups, datasets, attributes and datatypes (transient
 * ones included): what the checkpoint files open must all be closed again. */
ssize_t tc_h5_ids(void);

/* Expects checkpoint_read(path) to fail with a message containing `what`. */
void tc_read_fails(const char *path, const char *what);

/* Clears the header (the user block's 512 bytes), as for a checkpoint
 * edited in place: charnn then reads it like any HDF5 file, unchecked. */
void tc_unseal(const char *path);

/* The whole file, malloc'ed (one byte more than its *n bytes). */
char *tc_slurp(const char *path, size_t *n);

/* stderr into a temporary file from tc_capture_begin; tc_capture_end
 * restores it and returns how many bytes were written to it. */
void tc_capture_begin(void);
long tc_capture_end(void);

#endif
