/* sample_opts.h — every option of charnn-sample (command line only). */
#ifndef CHARNN_SAMPLE_OPTS_H
#define CHARNN_SAMPLE_OPTS_H

#include "opts.h"

#include <stddef.h>

#ifndef OPT_PATH_MAX
#define OPT_PATH_MAX 1024 /* as in train_opts.h */
#endif

typedef struct sample_options {
    char prime[4096];           /* --prime TEXT ("") */
    size_t length;              /* --length N >= 1 (500) */
    size_t top_k;               /* --top-k K >= 1 (5) */
    double temperature;         /* --temperature T > 0 (1) */
    size_t seed;                /* --seed (1234) */
    int argmax;                 /* --argmax: always the most likely character */
    char score[OPT_PATH_MAX];   /* --score FILE ("" = off): report its loss instead */
    char encoding[64];          /* --encoding NAME (utf-8), of --prime and the --score file */
    char newline[8];            /* --newline auto|keep|lf (auto: the checkpoint's) */
    char device[8];             /* --device auto|cpu|cuda (auto) */
    size_t threads;             /* --threads T (0 = all cores) */
} sample_options;

/* The table over a sample_options (specs are static; base and set are yours). */
void sample_opts_table(opt_table *t, sample_options *o, unsigned char *set);
/* Number of specs in the table (size of the `set` array). */
size_t sample_opts_count(void);

#endif
