/* comm_agree.c — collective error agreement that carries the failing rank's message (see comm.h). */
#include "comm.h"

#include "error.h"

#include <stdio.h>

int comm_agree_error(int failed)
{
    int who = comm_first_failure(failed);
    if (who < 0)
        return 0;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", failed ? error_message() : "");
    comm_bcast(msg, sizeof msg, who);
    return error_set("%s", msg);
}
