/* newline.c — line ends counted and folded (newline.h). */
#include "newline.h"

#include "error.h"

#include <stdio.h>
#include <string.h>

int newline_parse(const char *name, const char *what, newline_mode *m)
{
    if (name && strcmp(name, "keep") == 0)
        *m = NEWLINE_KEEP;
    else if (name && strcmp(name, "lf") == 0)
        *m = NEWLINE_LF;
    else
        return error_set("%s: '%s' is not a line-end mode (keep or lf)", what, name ? name : "");
    return 0;
}

int newline_parse_auto(const char *name, const char *what, newline_mode *m)
{
    if (name && strcmp(name, "auto") == 0)
        return 0;
    return newline_parse(name, what, m);
}

const char *newline_name(newline_mode m) { return m == NEWLINE_LF ? "lf" : "keep"; }

size_t newline_apply(newline_fold *f, uint32_t *cps, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        int lf_after_cr = c == '\n' && f->after_cr;
        f->after_cr = c == '\r';
        f->cr += c == '\r';
        f->crlf += (uint64_t)lf_after_cr;
        if (f->mode == NEWLINE_KEEP)
            continue;
        if (lf_after_cr)
            continue; /* its CR became the LF already */
        cps[k++] = c == '\r' ? '\n' : c;
    }
    return f->mode == NEWLINE_KEEP ? n : k;
}

const char *newline_describe(const newline_fold *f, char *buf, size_t len)
{
    buf[0] = '\0';
    if (f->cr == 0)
        return buf;
    const char *kind = f->crlf == f->cr ? "CRLF" : f->crlf ? "CRLF and lone CR" : "CR";
    if (f->mode == NEWLINE_LF)
        snprintf(buf, len, "%s line ends folded to LF (--newline lf; --newline keep keeps them)",
                 kind);
    else
        snprintf(buf, len, "%s line ends kept: '\\r' is a character of the vocabulary "
                 "(--newline keep; --newline lf folds them to LF)", kind);
    return buf;
}
