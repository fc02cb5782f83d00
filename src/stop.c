/* stop.c — the stop flag set by SIGTERM / SIGUSR1 / SIGINT (see stop.h). */
#include "stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_received;

static void stop_handler(int sig)
{
    if (!stop_received)
        stop_received = sig;
}

void stop_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* past `ulimit -f`, a write fails with EFBIG (reported, nothing damaged)
     * instead of the process being killed mid-checkpoint */
    signal(SIGXFSZ, SIG_IGN);
}

int stop_signal(void) { return stop_received; }
