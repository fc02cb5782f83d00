/* resume.h — the rules of --resume: which of the candidate checkpoints is
 * read, how its recorded options merge with this invocation's, and that the
 * text is the one it was trained on. Pure functions over a checkpoint
 * (checkpoint.h) and charnn-train's option table (train_opts.h); the
 * trainer calls them, tests/unit/test_resume.c checks each rule. */
#ifndef CHARNN_RESUME_H
#define CHARNN_RESUME_H

#include "checkpoint.h"
#include "corpus.h"
#include "opts.h"
#include "train_opts.h"

#include <stddef.h>

/* Reads into *ck the first of paths[0..n) (newest first, as
 * checkpoint_candidates lists them) that is whole and valid; its path into
 * path[len]. Damaged ones before it are skipped, each with a warning on rank
 * 0 once a good one is found; when all are damaged, one error names the
 * newest's problem (and `out`, the run directory, when there were several).
 * Returns 1 when one was read, 0 when n == 0, -1 with the error set. */
int resume_read_first_good(char **paths, size_t n, const char *out, int rank, checkpoint *ck,
                           char *path, size_t len);

/* Merges the checkpoint's options into the table t (t->set says which were
 * given on the command line or in --config):
 *   - OPT_RUN and OPT_NO_FILE options (this invocation's own) are untouched;
 *   - an option not given takes the checkpoint's value;
 *   - an OPT_ARCH option given must equal the checkpoint's (as formatted);
 *   - an OPT_ARCH option the checkpoint lacks is its spec's `legacy` value
 *     (a checkpoint from before the option), else an error;
 * and the merged cell, hidden and layers (o, the table's base) must be the
 * checkpoint's model. Errors name `path`. */
int resume_merge_options(const opt_table *t, const train_options *o, const checkpoint *ck,
                         const char *path);

/* The text's vocabulary must be the checkpoint's (`data`, `path` name them
 * in the error). */
int resume_check_vocab(const corpus *c, const checkpoint *ck, const char *data, const char *path);

#endif
