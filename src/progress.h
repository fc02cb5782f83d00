/* progress.h — what a training run reports: rank 0's banner, a progress
 * line with its ETA every --log-every steps and a line per validation pass
 * on stdout, and the metrics file (metrics.h; --profile's phase times from
 * every rank). Reads the run's state, changes only its clocks (train_clock). */
#ifndef CHARNN_PROGRESS_H
#define CHARNN_PROGRESS_H

#include "train_state.h"

/* Rank 0 opens --metrics (default --out/metrics.jsonl; appended to when
 * resumed); the others have none. -1 with an error. */
int progress_open_metrics(trainer *tr);
/* Rank 0: the model, data, ranks and device, and where it resumed from. */
void progress_banner(const trainer *tr);
/* The progress line and metrics of the steps since the last one (every rank
 * logs its --profile phases). */
void progress_log(trainer *tr);
/* The validation pass just taken (tr->pos.val_loss): its line and metrics. */
void progress_eval(trainer *tr);

#endif
