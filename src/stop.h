/* stop.h — graceful stop on SIGTERM, SIGUSR1 (Slurm's --signal) and SIGINT:
 * the handlers only set a flag; the trainer checks it at step boundaries,
 * agrees with the other ranks, writes a checkpoint and exits. */
#ifndef CHARNN_STOP_H
#define CHARNN_STOP_H

/* Installs the handlers (SA_RESTART, so I/O in progress completes). */
void stop_install(void);
/* The signal received (0 when none yet). */
int stop_signal(void);

#endif
