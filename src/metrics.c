/* metrics.c — JSON-lines metrics, flushed line by line so a crash loses none. */
#include "metrics.h"

#include "error.h"
#include "osutil.h"

#include <errno.h>
#include <string.h>

/* mkdir -p for the directory part of `path`. */
static int metrics_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return error_set("path too long: '%s'", path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    if (os_mkdirs(buf) != 0)
        return error_set("cannot create directory '%s': %s", buf, strerror(errno));
    return 0;
}

int metrics_open(metrics *mt, const char *path, int append)
{
    mt->f = NULL;
    if (metrics_mkdirs(path) != 0)
        return -1;
    mt->f = fopen(path, append ? "a" : "w");
    if (!mt->f)
        return error_set("cannot open metrics file '%s': %s", path, strerror(errno));
    return 0;
}

void metrics_train(metrics *mt, uint64_t step, double epoch, double loss, double grad_norm,
                   double chars_per_s, double time_s)
{
    if (!mt->f)
        return;
    fprintf(mt->f,
            "{\"type\":\"train\",\"step\":%llu,\"epoch\":%.6f,\"loss\":%.9g,"
            "\"grad_norm\":%.9g,\"chars_per_s\":%.1f,\"time_s\":%.3f}\n",
            (unsigned long long)step, epoch, loss, grad_norm, chars_per_s, time_s);
    fflush(mt->f);
}

void metrics_eval(metrics *mt, uint64_t step, double epoch, double val_loss, double time_s)
{
    if (!mt->f)
        return;
    fprintf(mt->f,
            "{\"type\":\"eval\",\"step\":%llu,\"epoch\":%.6f,\"val_loss\":%.9g,"
            "\"time_s\":%.3f}\n",
            (unsigned long long)step, epoch, val_loss, time_s);
    fflush(mt->f);
}

void metrics_close(metrics *mt)
{
    if (mt->f)
        fclose(mt->f);
    mt->f = NULL;
}
