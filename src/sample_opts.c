/* sample_opts.c — the option table of charnn-sample. */
#include "sample_opts.h"

#include "newline.h"

#include <math.h>
#include <stddef.h>

#define SAMPLE_NO_MAX HUGE_VAL
#define SAMPLE_FIELD(f) offsetof(sample_options, f)
#define SAMPLE_TEXT(f) .offset = SAMPLE_FIELD(f), .size = sizeof(((sample_options *)0)->f)

static const opt_spec sample_specs[] = {
    {.name = "prime", .type = OPT_STRING, SAMPLE_TEXT(prime), .def = "", .metavar = "TEXT",
     .help = "text to warm the model up with (printed first)"},
    {.name = "length", .type = OPT_SIZE, .offset = SAMPLE_FIELD(length), .def = "500",
     .min = 1, .max = SAMPLE_NO_MAX, .metavar = "N", .help = "characters to generate"},
    {.name = "top-k", .type = OPT_SIZE, .offset = SAMPLE_FIELD(top_k), .def = "5", .min = 1,
     .max = SAMPLE_NO_MAX, .metavar = "K", .help = "sample among the K most likely characters"},
    {.name = "temperature", .type = OPT_REAL, .offset = SAMPLE_FIELD(temperature), .def = "1",
     .min = 0, .max = SAMPLE_NO_MAX, .flags = OPT_MIN_EXCL, .metavar = "T",
     .help = "divide the logits by T"},
    {.name = "seed", .type = OPT_SIZE, .offset = SAMPLE_FIELD(seed), .def = "1234", .min = 0,
     .max = SAMPLE_NO_MAX, .metavar = "N", .help = "random seed"},
    {.name = "argmax", .type = OPT_FLAG, .offset = SAMPLE_FIELD(argmax), .def = "false",
     .help = "always take the most likely character"},
    {.name = "score", .type = OPT_STRING, SAMPLE_TEXT(score), .def = "", .metavar = "FILE",
     .help = "report the model's loss on FILE instead of sampling"},
    {.name = "encoding", .type = OPT_STRING, SAMPLE_TEXT(encoding), .def = "utf-8",
     .metavar = "NAME", .help = "text encoding of --prime and --score FILE"},
    {.name = "newline", .type = OPT_CHOICE, SAMPLE_TEXT(newline), .def = "auto",
     .choices = "auto|" NEWLINE_CHOICES, /* auto: newline_parse_auto */
     .help = "line ends of --prime and --score FILE; auto = as the model was trained"},
    {.name = "device", .type = OPT_CHOICE, SAMPLE_TEXT(device), .def = "auto",
     .choices = "auto|cpu|cuda", .help = "where to run"},
    {.name = "threads", .type = OPT_SIZE, .offset = SAMPLE_FIELD(threads), .def = "0",
     .min = 0, .max = 4096, .metavar = "T", .help = "CPU threads; 0 = all cores"},
};

void sample_opts_table(opt_table *t, sample_options *o, unsigned char *set)
{
    opts_table_init(t, sample_specs, sample_opts_count(), o, set);
}

size_t sample_opts_count(void) { return sizeof sample_specs / sizeof sample_specs[0]; }
