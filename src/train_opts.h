/* train_opts.h — every option of charnn-train (also a key in --config files). */
#ifndef CHARNN_TRAIN_OPTS_H
#define CHARNN_TRAIN_OPTS_H

#include "opts.h"

#include <stddef.h>

#define OPT_PATH_MAX 1024

typedef struct {
    char config[OPT_PATH_MAX];   /* --config FILE */
    /* data */
    char data[OPT_PATH_MAX];     /* --data PATH */
    char encoding[64];           /* --encoding NAME (utf-8) */
    char newline[8];             /* --newline keep|lf (lf) */
    double val_frac;             /* --val-frac F in [0, 1) (0.05) */
    /* model */
    char cell[8];                /* --cell lstm|gru|rnn (lstm) */
    size_t hidden;               /* --hidden H >= 1 (512) */
    size_t layers;               /* --layers L >= 1 (2) */
    double dropout;              /* --dropout P in [0, 1) (0.5) */
    /* batching */
    size_t batch;                /* --batch N >= 1, global rows (100) */
    size_t seq;                  /* --seq M >= 1 (100) */
    /* optimisation */
    double lr;                   /* --lr > 0 (0.001) */
    double grad_clip;            /* --grad-clip > 0 (5) */
    size_t epochs;               /* --epochs E >= 1 (20) */
    size_t steps;                /* --steps S (0 = use epochs) */
    size_t seed;                 /* --seed (1234) */
    /* output */
    char out[OPT_PATH_MAX];      /* --out DIR (runs/default) */
    size_t save_every;           /* --save-every K (1000; 0 = only at the end) */
    double save_minutes;         /* --save-minutes T (0 = off) */
    double max_minutes;          /* --max-minutes T (0 = no limit) */
    size_t keep;                 /* --keep K >= 1 (5) */
    char resume[OPT_PATH_MAX];   /* --resume auto|PATH ("" = fresh start) */
    size_t max_bad_steps;        /* --max-bad-steps N (5; 0 = stop at the first) */
    size_t check_every;          /* --check-every K (100; 0 = at saves only) */
    size_t eval_every;           /* --eval-every K (1000; 0 = only at the end) */
    size_t log_every;            /* --log-every K >= 1 (10) */
    char metrics[OPT_PATH_MAX];  /* --metrics PATH ("" = DIR/metrics.jsonl) */
    int profile;                 /* --profile: phase timings in the metrics */
    int tf32;                    /* --tf32: TF32 tensor cores in cuBLAS (CUDA) */
    char device[8];              /* --device auto|cpu|cuda (auto) */
    char rnn_kernel[16];         /* --rnn-kernel auto|persistent|stepwise (CUDA) */
    size_t threads;              /* --threads T (0 = cores / local ranks) */
} train_options;

/* The table over a train_options (specs are static; base and set are yours). */
void train_opts_table(opt_table *t, train_options *o, unsigned char *set);
/* Number of specs in the table (size of the `set` array). */
size_t train_opts_count(void);
/* 1 when option `name` was given (set[] marks it: command line or --config). */
int train_opts_given(train_options *o, const unsigned char *set, const char *name);

#endif
