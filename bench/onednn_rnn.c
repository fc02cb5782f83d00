/* onednn_rnn.c — one recurrent layer's training work (forward + backward over
 * a window) with oneDNN's RNN primitives against charnn's own CPU primitives
 * (backend_cpu(): the input-projection GEMM, rnn_fwd, rnn_bwd and the
 * input-side gradient GEMMs, as src/model.c calls them), on the same weights
 * and inputs. Prints one line per (cell, input width, threads, library) with
 * the best-of-R times and GFLOP/s, and the exactness checks: agreement of h
 * and the gradients, run-to-run bitwise equality, and bitwise equality across
 * the thread counts. See docs/onednn.md; driven by bench/onednn_vs_charnn.sh.
 *
 * usage: onednn_rnn [--cells lstm,gru,rnn] [--inputs 512,65] [--threads 1,2]
 *                   [--check-threads 3,4] [--steps T] [--rows B] [--hidden H]
 *                   [--reps R]
 * --inputs: input widths C; a C other than H stands for the one-hot first
 * layer (charnn gathers columns of W_ih with embed_fwd/embed_bwd as it does
 * for layer 0; oneDNN multiplies the dense one-hot matrix); with both, the
 * two-layer stack is printed too. --check-threads: thread counts run (twice,
 * untimed) only for the bitwise comparisons. Build: the optional CMake
 * target onednn_rnn (bench/onednn.cmake).
 *
 * Files: this one the driver (timing, the table, main); rnn_problem.c the
 * problem, its results and their comparisons; charnn_side.c charnn's runs;
 * onednn_side.c oneDNN's (with the layout conventions); onednn_rnn.h the
 * shared types. */
#include "onednn_rnn.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---- driver ---- */
/* user + system CPU seconds of the process (all threads) */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
    double fwd, bwd, layout; /* seconds, of the best repetition */
    double cpu;              /* its CPU seconds (all threads) */
} timing;

static void keep_best(timing *best, timing t)
{
    if (best->fwd == 0 || t.fwd + t.bwd + t.layout < best->fwd + best->bwd + best->layout)
        *best = t;
}

/* forward 2*T*B*G*H*(C+H), backward twice that */
static double window_flops(const problem *p)
{
    return 3.0 * 2.0 * p->T * p->B * p->G * p->H * (double)(p->C + p->H);
}

/* one table row; the two-layer stack (C > H) is printed as C-H "+" H, and
 * its flops are those of its two layers */
static void print_row(const problem *p, int thr, const char *lib, timing t, double ref_ms)
{
    double flop = window_flops(p);
    if (p->C > p->H) {
        problem l1 = *p, l2 = *p;
        l1.C = p->C - p->H, l2.C = p->H;
        flop = window_flops(&l1) + window_flops(&l2);
    }
    double win = (t.fwd + t.bwd) * 1e3, all = win + t.layout * 1e3;
    char cw[48];
    if (p->C > p->H) /* the two-layer stack (main): C = C1 + H */
        snprintf(cw, sizeof cw, "%zu+%zu", p->C - p->H, p->H);
    else
        snprintf(cw, sizeof cw, "%zu", p->C);
    printf("%-4s %7s %3d  %-6s %8.1f %8.1f %9.1f %7.1f", cell_name(p->cell), cw, thr, lib,
           t.fwd * 1e3, t.bwd * 1e3, win, flop / (win * 1e-3) * 1e-9);
    if (t.layout > 0)
        printf(" %7.1f %9.1f %7.1f", t.layout * 1e3, all, flop / (all * 1e-3) * 1e-9);
    else
        printf(" %7s %9.1f %7.1f", "-", all, flop / (all * 1e-3) * 1e-9);
    printf(" %5.2f", t.cpu / (all * 1e-3));
    if (ref_ms > 0)
        printf("  %5.2fx", ref_ms / all);
    printf("\n");
    fflush(stdout);
}

static int parse_list(const char *s, size_t *out, int max)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save))
        if (strtoul(t, NULL, 10) > 0)
            out[n++] = strtoul(t, NULL, 10);
    free(copy);
    return n;
}

#define MAXT 8
#define MAXC 4

/* One (cell, input width, thread count): `reps` timed repetitions of both
 * after a warm-up; *bc / *bo the best timings; rc / ro the first timed
 * repetition's results; *c_same / *o_same whether every repetition gave the
 * same bits; *note the implementation line (when not NULL). */
static void measure(const problem *p, int thr, int reps, timing *bc, timing *bo, result *rc,
                    result *ro, int *c_same, int *o_same, char *note, size_t note_len)
{
    backend_cpu_threads((size_t)thr); /* OpenBLAS's and OpenMP's (so oneDNN's) threads */
    charnn_run cr;
    onednn_run od;
    charnn_init(&cr, p);
    onednn_init(&od, p); /* after the thread count: oneDNN sizes its scratch by it */
    if (note)
        snprintf(note, note_len, "# %s: oneDNN fwd impl %s, bwd impl %s; %s", cell_name(p->cell),
                 od.fimpl, od.bimpl, od.wfmt);
    *bc = *bo = (timing){0};
    *c_same = *o_same = 1;
    for (int rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        double c0 = cpu_now(), t0 = now();
        charnn_fwd(&cr);
        double t1 = now();
        charnn_bwd(&cr);
        double t2 = now(), c1 = cpu_now();
        charnn_collect(&cr);
        if (rep == 0)
            result_copy(rc, &cr.out, p);
        else if (rep > 0)
            *c_same &= bitwise(rc, &cr.out, p);
        if (rep >= 0)
            keep_best(bc, (timing){t1 - t0, t2 - t1, 0, c1 - c0});

        c0 = cpu_now(), t0 = now();
        onednn_layout_in(&od);
        t1 = now();
        onednn_fwd(&od);
        t2 = now();
        onednn_bwd(&od);
        double t3 = now();
        onednn_layout_out(&od);
        double t4 = now();
        c1 = cpu_now();
        if (rep == 0)
            result_copy(ro, &od.out, p);
        else if (rep > 0)
            *o_same &= bitwise(ro, &od.out, p);
        if (rep >= 0)
            keep_best(bo, (timing){t2 - t1, t3 - t2, (t1 - t0) + (t4 - t3), c1 - c0});
    }
    charnn_free(&cr);
    onednn_free(&od);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: onednn_rnn [--cells lstm,gru,rnn] [--inputs 512,65] [--threads 1,2]\n"
               "                  [--check-threads 3,4] [--reps R] [--steps T] [--rows B]\n"
               "                  [--hidden H]\n");
}

int main(int argc, char **argv)
{
    const char *cells = "lstm,gru,rnn";
    size_t inputs[MAXC] = {512}, threads[MAXT] = {1, 2}, check[MAXT];
    int n_inputs = 1, n_threads = 2, n_check = 0, reps = 5;
    size_t T = 100, B = 100, H = 512;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "onednn_rnn: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--cells"))
            cells = v;
        else if (!strcmp(a, "--inputs"))
            n_inputs = parse_list(v, inputs, MAXC);
        else if (!strcmp(a, "--threads"))
            n_threads = parse_list(v, threads, MAXT);
        else if (!strcmp(a, "--check-threads"))
            n_check = parse_list(v, check, MAXT);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v);
        else if (!strcmp(a, "--steps"))
            T = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rows"))
            B = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hidden"))
            H = strtoul(v, NULL, 10);
        else {
            fprintf(stderr, "onednn_rnn: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (reps < 1 || !T || !B || !H || n_inputs < 1 || n_threads < 1) {
        fprintf(stderr, "onednn_rnn: bad arguments\n");
        return 2;
    }
    const dnnl_version_t *ver = dnnl_version();
    printf("# oneDNN %d.%d.%d, CPU runtime %s, ISA %s; OMP_WAIT_POLICY=%s\n", ver->major,
           ver->minor, ver->patch, dnnl_runtime2str(ver->cpu_runtime),
           dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()),
           getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "(unset)");
    printf("# one layer, T=%zu steps, B=%zu rows, H=%zu; forward + backward (data and weight "
           "gradients); best of %d after a warm-up\n",
           T, B, H, reps);
    printf("# GFLOP/s: 3 x 2*T*B*G*H*(C+H) flops (C=65: nominal, charnn gathers instead of a "
           "GEMM); layout: oneDNN's conversions from/to charnn's layout (weights in, "
           "gradients out); cores: CPU time / wall time; speedup: charnn window / oneDNN "
           "total (> 1: oneDNN faster); C=65+512: the notebook's two-layer stack, the sum of "
           "its two layers' rows\n");
    printf("%-4s %7s %3s  %-6s %8s %8s %9s %7s %7s %9s %7s %5s  %s\n", "cell", "C", "thr", "lib",
           "fwd_ms", "bwd_ms", "window_ms", "GFLOP/s", "layout", "total_ms", "GFLOP/s", "cores",
           "speedup");

    char *cl = strdup(cells), *save = NULL;
    char notes[96][512];
    int n_notes = 0;
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (n_notes < 96)                                                                          \
            snprintf(notes[n_notes++], sizeof notes[0], __VA_ARGS__);                              \
    } while (0)
    for (char *cn = strtok_r(cl, ",", &save); cn; cn = strtok_r(NULL, ",", &save)) {
        cell_kind ck;
        if (cell_parse(cn, &ck) != 0) {
            fprintf(stderr, "onednn_rnn: unknown cell '%s'\n", cn);
            return 2;
        }
        timing best_c[MAXC][MAXT], best_o[MAXC][MAXT];
        for (int ii = 0; ii < n_inputs; ii++) {
            problem p;
            problem_init(&p, ck, T, B, H, inputs[ii]);
            result first_c, first_o; /* the results at the first thread count */
            result_alloc(&first_c, &p);
            result_alloc(&first_o, &p);
            char across[512] = "", hashes[512] = "";
            size_t an = 0, an_h = 0;
            diffs worst = {0, 0, 0, 0, 0};
            int c_rerun = 1, o_rerun = 1;
            for (int ti = 0; ti < n_threads + n_check; ti++) {
                int timed = ti < n_threads;
                int thr = (int)(timed ? threads[ti] : check[ti - n_threads]);
                timing bc, bo;
                result rc, ro;
                result_alloc(&rc, &p);
                result_alloc(&ro, &p);
                int c_same, o_same;
                char impl[512];
                measure(&p, thr, timed ? reps : 2, &bc, &bo, &rc, &ro, &c_same, &o_same,
                        impl, sizeof impl);
                if (ti == 0 && ii == 0)
                    NOTE("%s", impl);
                if (timed) {
                    best_c[ii][ti] = bc;
                    best_o[ii][ti] = bo;
                    print_row(&p, thr, "charnn", bc, 0);
                    print_row(&p, thr, "onednn", bo, (bc.fwd + bc.bwd) * 1e3);
                }
                diffs d = compare(&ro, &rc, &p);
                worst.h = fmax(worst.h, d.h), worst.dx = fmax(worst.dx, d.dx);
                worst.dw_ih = fmax(worst.dw_ih, d.dw_ih), worst.dw_hh = fmax(worst.dw_hh, d.dw_hh);
                worst.db = fmax(worst.db, d.db);
                c_rerun &= c_same, o_rerun &= o_same;
                if (an_h < sizeof hashes)
                    an_h += (size_t)snprintf(hashes + an_h, sizeof hashes - an_h,
                                             " %d: %016llx %016llx;", thr,
                                             (unsigned long long)result_hash(&rc, &p),
                                             (unsigned long long)result_hash(&ro, &p));
                if (ti == 0) {
                    result_copy(&first_c, &rc, &p);
                    result_copy(&first_o, &ro, &p);
                } else if (an < sizeof across) {
                    an += (size_t)snprintf(across + an, sizeof across - an, " %d: charnn %s, oneDNN %s;",
                                           thr, bitwise(&first_c, &rc, &p) ? "same" : "differs",
                                           bitwise(&first_o, &ro, &p) ? "same" : "differs");
                }
                result_free(&rc);
                result_free(&ro);
            }
            char dx[32] = "n/a (one-hot input)";
            if (!p.onehot)
                snprintf(dx, sizeof dx, "%.1e", worst.dx);
            NOTE("# %s C=%zu: oneDNN vs charnn, max|diff|/max|charnn| (worst over the thread "
                 "counts): h %.1e, dx %s, dW_ih %.1e, dW_hh %.1e, db %.1e",
                 cn, p.C, worst.h, dx, worst.dw_ih, worst.dw_hh, worst.db);
            NOTE("# %s C=%zu: run-to-run bitwise at every thread count: charnn %s, oneDNN %s%s%s",
                 cn, p.C, c_rerun ? "yes" : "NO", o_rerun ? "yes" : "NO",
                 n_threads + n_check > 1 ? "; against 1st thread count, at" : "", across);
            NOTE("# %s C=%zu: FNV-1a of the results (charnn, oneDNN) at thread count%s", cn, p.C,
                 hashes);
            result_free(&first_c);
            result_free(&first_o);
            problem_free(&p);
        }
        /* the notebook's two-layer stack: the one-hot layer + the H-wide one */
        int i65 = -1, iH = -1;
        for (int ii = 0; ii < n_inputs; ii++) {
            if (inputs[ii] == H)
                iH = ii;
            else if (i65 < 0)
                i65 = ii;
        }
        if (i65 >= 0 && iH >= 0)
            for (int ti = 0; ti < n_threads; ti++) {
                timing a = best_c[i65][ti], b = best_c[iH][ti], c = best_o[i65][ti],
                       e = best_o[iH][ti];
                timing sc = {a.fwd + b.fwd, a.bwd + b.bwd, 0, a.cpu + b.cpu};
                timing so = {c.fwd + e.fwd, c.bwd + e.bwd, c.layout + e.layout, c.cpu + e.cpu};
                problem st = {.cell = ck, .T = T, .B = B, .H = H, .G = cell_gates(ck),
                              .C = inputs[i65] + inputs[iH]}; /* flops add up so */
                print_row(&st, (int)threads[ti], "charnn", sc, 0);
                print_row(&st, (int)threads[ti], "onednn", so, (sc.fwd + sc.bwd) * 1e3);
            }
    }
    free(cl);
    for (int i = 0; i < n_notes; i++)
        printf("%s\n", notes[i]);
    return 0;
}
