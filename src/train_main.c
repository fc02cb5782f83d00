/* train_main.c — charnn-train: options, then the training run on every rank. */
#include "comm.h"
#include "cpu_isa.h"
#include "error.h"
#include "fault.h"
#include "omp_policy.h"
#include "stop.h"
#include "train_opts.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>

static const char synopsis[] =
    "charnn-train [--config FILE] [options]\n"
    "  (multi-rank: mpirun -np P charnn-train ...; every option is also a key in --config\n"
    "   INI files, e.g. `hidden = 512`; the command line wins)";

int main(int argc, char **argv)
{
    comm_info cm;
    train_options o;
    opt_table t;
    unsigned char *set;
    size_t n_pos = 0;
    int help = 0, rc;

    omp_policy_apply(argv);
    error_program("charnn-train");
    stop_install(); /* before anything slow: a signal from now on stops cleanly */
    comm_init(&argc, &argv, &cm);
    set = xcalloc(train_opts_count(), 1, "option marks");
    train_opts_table(&t, &o, set);
    opts_defaults(&t);
    if (fault_init() != 0 || cpu_isa_init() != 0 || opts_parse_argv(&t, argc, argv, NULL, 0, &n_pos, &help) != 0) {
        if (cm.rank == 0)
            error_print();
        rc = TRAIN_EXIT_ERROR;
    } else if (help) {
        if (cm.rank == 0)
            opts_usage(&t, stdout, synopsis);
        rc = TRAIN_EXIT_OK;
    } else {
        rc = trainer_run(&o, set, &cm);
    }
    free(set);
    comm_finalize();
    return rc;
}
