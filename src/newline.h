/* newline.h — a text's line ends: counted always, and with --newline lf
 * folded to LF (CR LF and a lone CR each become one LF, as Python's text
 * mode reads a file, so the vocabulary has no '\r'). The text may arrive in
 * pieces: a CR at the end of one and the LF that starts the next are one
 * line end. */
#ifndef CHARNN_NEWLINE_H
#define CHARNN_NEWLINE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { NEWLINE_KEEP = 0, NEWLINE_LF = 1 } newline_mode;

#define NEWLINE_CHOICES "keep|lf"

typedef struct {
    newline_mode mode;
    int after_cr;   /* the last code point seen was a CR */
    uint64_t cr;    /* CRs seen in the text (folded or not) */
    uint64_t crlf;  /* of them, followed by an LF */
} newline_fold;

/* The one place line-end mode names are read. "keep" or "lf" into *m; -1
 * with an error naming `what` (an option, an attribute) otherwise. */
int newline_parse(const char *name, const char *what, newline_mode *m);
/* newline_parse, and "auto" too, which leaves *m as it is (the caller's
 * default: e.g. the mode the model was trained with; charnn-sample's
 * --newline, choices "auto|" NEWLINE_CHOICES). */
int newline_parse_auto(const char *name, const char *what, newline_mode *m);
const char *newline_name(newline_mode m);

/* Counts the line ends of the next piece cps[0..n) and, in NEWLINE_LF mode,
 * folds them in place; returns the new length (n in NEWLINE_KEEP mode). */
size_t newline_apply(newline_fold *f, uint32_t *cps, size_t n);

/* One line for the banner about the text's line ends, or "" when it has no
 * CR (e.g. "CRLF line ends folded to LF (--newline lf)"). */
const char *newline_describe(const newline_fold *f, char *buf, size_t len);

#endif
