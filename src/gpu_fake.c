/* gpu_fake.c — the test-only CHARNN_FAKE_GPUS (see gpu_fake.h). */
#include "gpu_fake.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FAKE_MAX = 4096 };

static int fake_error(const char *what)
{
    return error_set("CHARNN_FAKE_GPUS: %s (expected one entry per rank separated by '/', "
                     "each UUID[,UUID...] or '-')",
                     what);
}

/* The rank's entry "u1,u2,..." or "-": the count and the (pick mod count)-th UUID. */
static int parse_entry(char *entry, int pick, gpu_fake_view *out)
{
    char *names[64];
    int n = 0;
    memset(out, 0, sizeof *out);
    if (strcmp(entry, "-") == 0)
        return 0;
    for (char *save = NULL, *u = strtok_r(entry, ",", &save); u;
         u = strtok_r(NULL, ",", &save)) {
        if (strlen(u) > sizeof out->uuid || n == 64)
            return fake_error("a UUID is longer than 16 characters, or over 64 GPUs");
        names[n++] = u;
    }
    if (n == 0)
        return fake_error("an empty entry");
    out->count = n;
    memcpy(out->uuid, names[(pick % n + n) % n], strlen(names[(pick % n + n) % n]));
    return 0;
}

int gpu_fake_get(int rank, int size, int local_rank, gpu_fake_view *out)
{
    const char *spec = getenv("CHARNN_FAKE_GPUS");
    char buf[FAKE_MAX];
    if (!spec || !*spec)
        return 0;
    if (strlen(spec) >= sizeof buf)
        return fake_error("too long");
    snprintf(buf, sizeof buf, "%s", spec);
    int r = 0;
    char *mine = NULL;
    for (char *save = NULL, *e = strtok_r(buf, "/", &save); e; e = strtok_r(NULL, "/", &save)) {
        if (r == rank)
            mine = e;
        r++;
    }
    if (r < size) {
        char what[96];
        snprintf(what, sizeof what, "%d entries for %d ranks", r, size);
        return fake_error(what);
    }
    return parse_entry(mine, local_rank, out) == 0 ? 1 : -1;
}
