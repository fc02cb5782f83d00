/* train_opts.c — the option table of charnn-train (command line and --config files). */
#include "train_opts.h"

#include "newline.h"

#include <math.h>
#include <stddef.h>

#define TRAIN_NO_MAX HUGE_VAL
#define TRAIN_FIELD(f) offsetof(train_options, f)
#define TRAIN_SIZEOF(f) sizeof(((train_options *)0)->f)
#define TRAIN_TEXT(f) .offset = TRAIN_FIELD(f), .size = TRAIN_SIZEOF(f)

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
     .max = 65536, .flags = OPT_ARCH, .metavar = "H", .help = "hidden units per layer"},
    {.name = "layers", .type = OPT_SIZE, .offset = TRAIN_FIELD(layers), .def = "2", .min = 1,
     .max = 64, .flags = OPT_ARCH, .metavar = "L", .help = "recurrent layers"},
    {.name = "dropout", .type = OPT_REAL, .offset = TRAIN_FIELD(dropout), .def = "0.5",
     .min = 0, .max = 1, .flags = OPT_MAX_EXCL, .metavar = "P",
     .help = "dropout probability between layers"},
    /* batching */
    {.name = "batch", .type = OPT_SIZE, .offset = TRAIN_FIELD(batch), .def = "100", .min = 1,
     .max = 1e7, .flags = OPT_ARCH, .metavar = "N",
     .help = "sequences per step, over all ranks"},
    {.name = "seq", .type = OPT_SIZE, .offset = TRAIN_FIELD(seq), .def = "100", .min = 1,
     .max = 1e6, .flags = OPT_ARCH, .metavar = "M",
     .help = "characters per sequence (the backprop-through-time length)"},
    /* optimisation */
    {.name = "lr", .type = OPT_REAL, .offset = TRAIN_FIELD(lr), .def = "0.001", .min = 0,
     .max = TRAIN_NO_MAX, .flags = OPT_MIN_EXCL, .metavar = "X",
     .help = "Adam learning rate"},
    {.name = "grad-clip", .type = OPT_REAL, .offset = TRAIN_FIELD(grad_clip), .def = "5",
     .min = 0, .max = TRAIN_NO_MAX, .flags = OPT_MIN_EXCL, .metavar = "X",
     .help = "clip the global gradient norm to this"},
    {.name = "epochs", .type = OPT_SIZE, .offset = TRAIN_FIELD(epochs), .def = "20", .min = 1,
     .max = TRAIN_NO_MAX, .metavar = "E", .help = "passes over the training text"},
    {.name = "steps", .type = OPT_SIZE, .offset = TRAIN_FIELD(steps), .def = "0", .min = 0,
     .max = TRAIN_NO_MAX, .metavar = "S", .help = "stop after S steps; 0 = run --epochs"},
    {.name = "seed", .type = OPT_SIZE, .offset = TRAIN_FIELD(seed), .def = "1234", .min = 0,
     .max = TRAIN_NO_MAX, .flags = OPT_ARCH, .metavar = "N",
     .help = "random seed of weights, batches and dropout"},
    /* output */
    {.name = "out", .type = OPT_STRING, TRAIN_TEXT(out), .def = "runs/default", .flags = OPT_RUN, .metavar = "DIR",
     .help = "run directory (checkpoints, metrics)"},
    {.name = "max-minutes", .type = OPT_REAL, .offset = TRAIN_FIELD(max_minutes), .def = "0",
     .min = 0, .max = TRAIN_NO_MAX, .flags = OPT_RUN, .metavar = "T",
     .help = "end the run within T minutes of its start, the final validation and "
             "checkpoint included (exit 0); 0 = no limit"},
    {.name = "save-every", .type = OPT_SIZE, .offset = TRAIN_FIELD(save_every), .def = "1000",
     .min = 0, .max = TRAIN_NO_MAX, .metavar = "K",
     .help = "checkpoint every K steps; 0 = only at the end"},
    {.name = "save-minutes", .type = OPT_REAL, .offset = TRAIN_FIELD(save_minutes), .def = "0",
     .min = 0, .max = TRAIN_NO_MAX, .metavar = "T",
     .help = "also checkpoint every T minutes of wall time; 0 = off"},
    {.name = "keep", .type = OPT_SIZE, .offset = TRAIN_FIELD(keep), .def = "5", .min = 1,
     .max = TRAIN_NO_MAX, .metavar = "K", .help = "checkpoints to keep"},
    {.name = "resume", .type = OPT_STRING, TRAIN_TEXT(resume), .def = "", .flags = OPT_RUN, .metavar = "auto|PATH",
     .help = "continue from a checkpoint; auto = the latest in --out"},
    {.name = "max-bad-steps", .type = OPT_SIZE, .offset = TRAIN_FIELD(max_bad_steps), .def = "5",
     .min = 0, .max = TRAIN_NO_MAX, .metavar = "N",
     .help = "skip steps with a non-finite loss or gradient; stop at the (N+1)-th in a row (0 = at the first)"},
    {.name = "check-every", .type = OPT_SIZE, .offset = TRAIN_FIELD(check_every), .def = "100",
     .min = 0, .max = TRAIN_NO_MAX, .metavar = "K",
     .help = "compare the ranks' parameters (CRC-64) every K steps and at every save; 0 = at saves only"},
    {.name = "eval-every", .type = OPT_SIZE, .offset = TRAIN_FIELD(eval_every), .def = "1000",
     .min = 0, .max = TRAIN_NO_MAX, .metavar = "K",
     .help = "validate every K steps; 0 = only at the end"},
    {.name = "log-every", .type = OPT_SIZE, .offset = TRAIN_FIELD(log_every), .def = "10",
     .min = 1, .max = TRAIN_NO_MAX, .metavar = "K", .help = "log every K steps"},
    {.name = "metrics", .type = OPT_STRING, TRAIN_TEXT(metrics), .def = "", .flags = OPT_RUN, .metavar = "PATH",
     .help = "metrics file; empty = DIR/metrics.jsonl"},
    {.name = "profile", .type = OPT_FLAG, .offset = TRAIN_FIELD(profile), .def = "false",
     .flags = OPT_RUN,
     .help = "time each phase of a step (waiting for the GPU at each phase); per-rank and "
             "min/median/max lines in the metrics"},
    {.name = "tf32", .type = OPT_FLAG, .offset = TRAIN_FIELD(tf32), .def = "false",
     .flags = OPT_RUN,
     .help = "CUDA: let cuBLAS use TF32 tensor cores (FP32 otherwise)"},
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
