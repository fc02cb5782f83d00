/* prep_main.c — charnn-prep: text files → CORPUS.h5 for charnn-train --data
 * (see prep.h, docs/prep.md). */
#include "error.h"
#include "newline.h"
#include "opts.h"
#include "prep.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREP_PATH_MAX 4096

typedef struct {
    char output[PREP_PATH_MAX]; /* -o, --output CORPUS.h5 */
    char encoding[64];          /* --encoding NAME (utf-8) */
    char newline[8];            /* --newline keep|lf (lf) */
    double val_frac;            /* --val-frac F (0.05) */
    size_t min_count;           /* --min-count N (0) */
    int progress;               /* --progress (also on when stderr is a terminal) */
    size_t chunk_bytes;         /* --chunk-bytes N (4 MiB) */
} prep_cli;

#define PREP_FIELD(f) offsetof(prep_cli, f)
#define PREP_TEXT(f) .offset = PREP_FIELD(f), .size = sizeof(((prep_cli *)0)->f)

static const opt_spec prep_specs[] = {
    {.name = "output", .type = OPT_STRING, PREP_TEXT(output), .def = "", .metavar = "CORPUS.h5",
     .help = "the file to write (also -o)"},
    {.name = "encoding", .type = OPT_STRING, PREP_TEXT(encoding), .def = "utf-8",
     .metavar = "NAME", .help = "text encoding of every input (iconv names)"},
    {.name = "newline", .type = OPT_CHOICE, PREP_TEXT(newline), .def = "lf",
     .choices = NEWLINE_CHOICES,
     .help = "line ends: lf folds CRLF and lone CR to LF (as Python reads text); keep keeps '\\r'"},
    {.name = "val-frac", .type = OPT_REAL, .offset = PREP_FIELD(val_frac), .def = "0.05",
     .min = 0, .max = 1, .flags = OPT_MAX_EXCL, .metavar = "F",
     .help = "the tail fraction of the text held out for validation"},
    {.name = "min-count", .type = OPT_SIZE, .offset = PREP_FIELD(min_count), .def = "0",
     .min = 0, .max = HUGE_VAL, .metavar = "N",
     .help = "characters seen fewer than N times become U+FFFD"},
    {.name = "progress", .type = OPT_FLAG, .offset = PREP_FIELD(progress), .def = "false",
     .help = "progress bar on stderr even when it is not a terminal"},
    {.name = "chunk-bytes", .type = OPT_SIZE, .offset = PREP_FIELD(chunk_bytes),
     .def = "4194304", .min = 1, .max = (double)((size_t)1 << 30), .metavar = "N",
     .help = "bytes read at a time"},
};

static const char synopsis[] =
    "charnn-prep TEXT... -o CORPUS.h5 [options]\n"
    "  decodes the text files (concatenated in order) into a CORPUS.h5 for\n"
    "  charnn-train --data: the vocabulary and the ids of the training and\n"
    "  validation splits; memory stays bounded whatever the size of the text\n"
    "  (two streaming passes over the files: counting, then writing)";

int main(int argc, char **argv)
{
    prep_cli cli;
    unsigned char set[sizeof prep_specs / sizeof prep_specs[0]] = {0};
    opt_table t = {prep_specs, sizeof prep_specs / sizeof prep_specs[0], &cli, set};
    char **args = xmalloc((size_t)(argc + 1) * sizeof *args, "arguments");
    char **pos = xmalloc((size_t)(argc + 1) * sizeof *pos, "arguments");
    size_t n_pos = 0;
    int help = 0, rc = 1;
    prep_summary sum;

    error_program("charnn-prep");
    for (int i = 0; i < argc; i++) /* -o is --output */
        args[i] = strcmp(argv[i], "-o") == 0 && i > 0 ? "--output" : argv[i];
    args[argc] = NULL;
    opts_defaults(&t);
    if (opts_parse_argv(&t, argc, args, pos, (size_t)argc, &n_pos, &help) != 0)
        goto out;
    if (help) {
        opts_usage(&t, stdout, synopsis);
        rc = 0;
        goto out;
    }
    if (n_pos == 0) {
        error_set("no input text: usage: charnn-prep TEXT... -o CORPUS.h5 (see --help)");
        goto out;
    }
    if (!cli.output[0]) {
        error_set("no output: pass -o CORPUS.h5");
        goto out;
    }
    prep_options o = {.inputs = (const char *const *)pos, .n_inputs = n_pos,
                      .output = cli.output, .encoding = cli.encoding,
                      .newline = cli.newline, .val_frac = cli.val_frac,
                      .min_count = cli.min_count,
                      .progress = cli.progress || isatty(STDERR_FILENO),
                      .chunk_bytes = cli.chunk_bytes};
    if (prep_run(&o, &sum) != 0)
        goto out;
    printf("charnn-prep: wrote %s: %llu characters (%llu bytes, %zu file%s), vocabulary %zu "
           "(uint%zu ids), train %llu, val %llu",
           cli.output, (unsigned long long)sum.n, (unsigned long long)sum.bytes, n_pos,
           n_pos == 1 ? "" : "s", sum.vocab_size, 8 * sum.id_bytes,
           (unsigned long long)sum.n_train, (unsigned long long)sum.n_val);
    if (sum.rare)
        printf("; %llu occurrences of %zu rare characters (--min-count %zu) became U+FFFD",
               (unsigned long long)sum.n_unknown, sum.rare, cli.min_count);
    printf("\n");
    rc = 0;
out:
    if (rc)
        error_print();
    free(args);
    free(pos);
    return rc;
}
