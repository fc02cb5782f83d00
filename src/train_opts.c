/* train_opts.c — the option table of charnn-train (command line and --config files). */
#include "train_opts.h"

#include "newline.h"
#include "params.h"

#include <math.h>
#include <stddef.h>

#define TRAIN_NO_MAX HUGE_VAL
#define TRAIN_FIELD(f) offsetof(train_options, f)
#define TRAIN_SIZEOF(f) sizeof(((train_options *)0)->f)
#define TRAIN_TEXT(f) .offset = TRAIN_FIELD(f), .size = TRAIN_SIZEOF(f)
/* field f: a whole number >= lo, no upper bound */
#define TRAIN_COUNT(f, lo)                                                                 \
    .type = OPT_SIZE, .offset = TRAIN_FIELD(f), .min = (lo), .max = TRAIN_NO_MAX
/* field f: minutes, >= 0, no upper bound */
#define TRAIN_MINUTES(f) .type = OPT_REAL, .offset = TRAIN_FIELD(f), .min = 0, .max = TRAIN_NO_MAX
/* field f: a real number > 0, no upper bound */
#define TRAIN_POSITIVE(f)                                                                  \
    .type = OPT_REAL, .offset = TRAIN_FIELD(f), .min = 0, .max = TRAIN_NO_MAX, .flags = OPT_MIN_EXCL

static const opt_spec train_specs[] = {
    {.name = "config", .type = OPT_STRING, TRAIN_TEXT(config), .def = "", .flags = OPT_NO_FILE,
     .metavar = "FILE", .help = "read options from an INI file (the command line wins)"},
    /* data */
    {.name = "data", .type = OPT_STRING, TRAIN_TEXT(data), .def = "", .metavar = "PATH",
     .help = "training text"},
    {.name = "encoding", .type = OPT_STRING, TRAIN_TEXT(encoding), .def = "utf-8",
     .flags = OPT_ARCH, .metavar = "NAME", .help = "text encoding of --data"},
    {.name = "newline", .type = OPT_CHOICE, TRAIN_TEXT(newline), .def = "lf", .flags = OPT_ARCH,
     .choices = NEWLINE_CHOICES, .legacy = "keep",
     .help = "line ends of --data: lf folds CRLF and lone CR to LF (as Python reads text); keep keeps '\\r'"},
    {.name = "val-frac", .type = OPT_REAL, .offset = TRAIN_FIELD(val_frac), .def = "0.05",
     .min = 0, .max = 1, .flags = OPT_MAX_EXCL | OPT_ARCH, .metavar = "F",
     .help = "fraction of the text held out for validation"},
    /* model */
    {.name = "cell", .type = OPT_CHOICE, TRAIN_TEXT(cell), .def = "lstm", .flags = OPT_ARCH,
     .choices = "lstm|gru|rnn", .help = "recurrent cell"},
    {.name = "hidden", .type = OPT_SIZE, .offset = TRAIN_FIELD(hidden), .def = "512", .min = 1,
     .max = PARAM_MAX_HIDDEN, .flags = OPT_ARCH, .metavar = "H", .help = "hidden units per layer"},
    {.name = "layers", .type = OPT_SIZE, .offset = TRAIN_FIELD(layers), .def = "2", .min = 1,
     .max = PARAM_MAX_LAYERS, .flags = OPT_ARCH, .metavar = "L", .help = "recurrent layers"},
    {.name = "dropout", .type = OPT_REAL, .offset = TRAIN_FIELD(dropout), .def = "0.5",
     .min = 0, .max = 1, .flags = OPT_MAX_EXCL, .metavar = "P",
     .help = "dropout probability of each layer's output (between layers, and the top "
             "layer's before the decoder)"},
    /* batching */
    {.name = "batch", .type = OPT_SIZE, .offset = TRAIN_FIELD(batch), .def = "100", .min = 1,
     .max = 1e7, .flags = OPT_ARCH, .metavar = "N",
     .help = "sequences per step, over all ranks"},
    {.name = "seq", .type = OPT_SIZE, .offset = TRAIN_FIELD(seq), .def = "100", .min = 1,
     .max = 1e6, .flags = OPT_ARCH, .metavar = "M",
     .help = "characters per sequence (the backprop-through-time length)"},
    /* optimisation */
    {.name = "lr", TRAIN_POSITIVE(lr), .def = "0.001", .metavar = "X",
     .help = "Adam learning rate"},
    {.name = "grad-clip", TRAIN_POSITIVE(grad_clip), .def = "5", .metavar = "X",
     .help = "clip the global gradient norm to this"},
    {.name = "epochs", TRAIN_COUNT(epochs, 1), .def = "20", .metavar = "E",
     .help = "passes over the training text"},
    {.name = "steps", TRAIN_COUNT(steps, 0), .def = "0", .metavar = "S",
     .help = "stop after S steps; 0 = run --epochs"},
    {.name = "seed", TRAIN_COUNT(seed, 0), .def = "1234", .flags = OPT_ARCH, .metavar = "N",
     .help = "random seed of weights, batches and dropout"},
    /* output */
    {.name = "out", .type = OPT_STRING, TRAIN_TEXT(out), .def = "runs/default", .flags = OPT_RUN, .metavar = "DIR",
     .help = "run directory (checkpoints, metrics)"},
    {.name = "max-minutes", TRAIN_MINUTES(max_minutes), .def = "0", .flags = OPT_RUN,
     .metavar = "T",
     .help = "end the run within T minutes of its start, the final validation and "
             "checkpoint included (exit 0); 0 = no limit"},
    {.name = "save-every", TRAIN_COUNT(save_every, 0), .def = "1000", .metavar = "K",
     .help = "checkpoint every K steps; 0 = only at the end"},
    {.name = "save-minutes", TRAIN_MINUTES(save_minutes), .def = "0", .metavar = "T",
     .help = "also checkpoint every T minutes of wall time; 0 = off"},
    {.name = "keep", TRAIN_COUNT(keep, 1), .def = "5", .metavar = "K",
     .help = "checkpoints to keep"},
    {.name = "resume", .type = OPT_STRING, TRAIN_TEXT(resume), .def = "", .flags = OPT_RUN, .metavar = "auto|PATH",
     .help = "continue from a checkpoint; auto = the latest in --out"},
    {.name = "max-bad-steps", TRAIN_COUNT(max_bad_steps, 0), .def = "5", .metavar = "N",
     .help = "skip steps with a non-finite loss or gradient; stop at the (N+1)-th in a row (0 = at the first)"},
    {.name = "check-every", TRAIN_COUNT(check_every, 0), .def = "100", .metavar = "K",
     .help = "compare the ranks' parameters (CRC-64) every K steps and at every save; 0 = at saves only"},
    {.name = "eval-every", TRAIN_COUNT(eval_every, 0), .def = "1000", .metavar = "K",
     .help = "validate every K steps; 0 = only at the end"},
    {.name = "log-every", TRAIN_COUNT(log_every, 1), .def = "10", .metavar = "K",
     .help = "log every K steps"},
    {.name = "metrics", .type = OPT_STRING, TRAIN_TEXT(metrics), .def = "", .flags = OPT_RUN, .metavar = "PATH",
     .help = "metrics file; empty = DIR/metrics.jsonl"},
    {.name = "profile", .type = OPT_FLAG, .offset = TRAIN_FIELD(profile), .def = "false",
     .flags = OPT_RUN,
     .help = "time each phase of a step (waiting for the GPU at each phase); per-rank and "
             "min/median/max lines in the metrics"},
    {.name = "tf32", .type = OPT_FLAG, .offset = TRAIN_FIELD(tf32), .def = "false",
     .flags = OPT_RUN,
     .help = "CUDA: let cuBLAS use TF32 tensor cores (FP32 otherwise)"},
    {.name = "rnn-kernel", .type = OPT_CHOICE, TRAIN_TEXT(rnn_kernel), .def = "auto",
     .choices = "auto|persistent|stepwise", .flags = OPT_RUN,
     .help = "CUDA: the recurrence as one persistent kernel per layer and window, or a GEMM and "
             "a cell kernel per step; auto = stepwise (the persistent kernel is not yet proven "
             "on a GPU); persistent falls back to stepwise (logged) where its grid cannot be "
             "co-resident"},
    {.name = "device", .type = OPT_CHOICE, TRAIN_TEXT(device), .def = "auto",
     .choices = "auto|cpu|cuda", .flags = OPT_RUN, .help = "where to train"},
    {.name = "threads", .type = OPT_SIZE, .offset = TRAIN_FIELD(threads), .def = "0", .min = 0,
     .max = 4096, .flags = OPT_RUN, .metavar = "T", .help = "CPU threads per rank; 0 = cores / local ranks"},
};

void train_opts_table(opt_table *t, train_options *o, unsigned char *set)
{
    opts_table_init(t, train_specs, train_opts_count(), o, set);
}

size_t train_opts_count(void) { return sizeof train_specs / sizeof train_specs[0]; }

int train_opts_given(train_options *o, const unsigned char *set, const char *name)
{
    opt_table t;
    train_opts_table(&t, o, (unsigned char *)set);
    const opt_spec *s = opts_find(&t, name);
    return s && set[s - t.specs];
}
