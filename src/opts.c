/* opts.c — table-driven options: typed, range-checked values from argv and INI files. */
#include "opts.h"

#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPTS_ORIGIN_MAX 1200 /* "config '<path>' line N: key" */

/* ---- lookup ---- */

/* name (NUL-terminated) equals key[0..len), '_' matching '-'. */
static int opts_name_eq(const char *name, const char *key, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char a = name[i] == '_' ? '-' : name[i];
        char b = key[i] == '_' ? '-' : key[i];
        if (a == '\0' || a != b)
            return 0;
    }
    return name[len] == '\0';
}

static const opt_spec *opts_find_n(const opt_table *t, const char *key, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (opts_name_eq(t->specs[i].name, key, len))
            return &t->specs[i];
    return NULL;
}

const opt_spec *opts_find(const opt_table *t, const char *key)
{
    return key ? opts_find_n(t, key, strlen(key)) : NULL;
}

static void *opts_field(const opt_table *t, const opt_spec *s)
{
    return (char *)t->base + s->offset;
}

/* ---- ranges ---- */

static int opts_below_min(const opt_spec *s, double v)
{
    return (s->flags & OPT_MIN_EXCL) ? !(v > s->min) : !(v >= s->min);
}

static int opts_above_max(const opt_spec *s, double v)
{
    return (s->flags & OPT_MAX_EXCL) ? !(v < s->max) : !(v <= s->max);
}

/* "in [0, 1)" for a bounded real; otherwise the violated side: ">= 1", "<= 64". */
static void opts_range_text(const opt_spec *s, double v, char *buf, size_t len)
{
    const int min_excl = (s->flags & OPT_MIN_EXCL) != 0;
    const int max_excl = (s->flags & OPT_MAX_EXCL) != 0;
    if (s->type == OPT_REAL && isfinite(s->min) && isfinite(s->max))
        snprintf(buf, len, "in %c%.15g, %.15g%c", min_excl ? '(' : '[', s->min, s->max,
                 max_excl ? ')' : ']');
    else if (opts_below_min(s, v))
        snprintf(buf, len, "%s %.15g", min_excl ? ">" : ">=", s->min);
    else
        snprintf(buf, len, "%s %.15g", max_excl ? "<" : "<=", s->max);
}

static int opts_check_range(const opt_spec *s, double v, const char *text, const char *origin)
{
    char range[96];
    if (!opts_below_min(s, v) && !opts_above_max(s, v))
        return 0;
    opts_range_text(s, v, range, sizeof range);
    return error_set("%s: %s is out of range (must be %s)", origin, text, range);
}

/* ---- typed parsers: validate fully, then store ---- */

static int opts_store_text(const opt_spec *s, void *field, const char *value, const char *origin)
{
    size_t len = strlen(value);
    if (len >= s->size)
        return error_set("%s: value is too long (%zu bytes; at most %zu)", origin, len,
                         s->size ? s->size - 1 : 0);
    memset(field, 0, s->size);
    memcpy(field, value, len);
    return 0;
}

static int opts_is_choice(const char *choices, const char *value)
{
    size_t len = strlen(value);
    const char *p = choices ? choices : "";
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0)
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

static int opts_store_choice(const opt_spec *s, void *field, const char *value,
                             const char *origin)
{
    if (!opts_is_choice(s->choices, value))
        return error_set("%s: '%s' is not one of %s", origin, value, s->choices);
    return opts_store_text(s, field, value, origin);
}

/* Digits only: no sign, no blanks, no junk; overflow detected. */
static int opts_store_size(const opt_spec *s, void *field, const char *value,
                           const char *origin)
{
    size_t v = 0;
    if (!*value)
        return error_set("%s: '%s' is not a whole number", origin, value);
    for (const char *p = value; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return error_set("%s: '%s' is not a whole number", origin, value);
        size_t d = (size_t)(*p - '0');
        if (v > (SIZE_MAX - d) / 10) {
            if (isfinite(s->max))
                return opts_check_range(s, HUGE_VAL, value, origin);
            return error_set("%s: %s is out of range (must be <= %zu)", origin, value,
                             (size_t)SIZE_MAX);
        }
        v = v * 10 + d;
    }
    if (opts_check_range(s, (double)v, value, origin) < 0)
        return -1;
    *(size_t *)field = v;
    return 0;
}

static int opts_store_real(const opt_spec *s, void *field, const char *value,
                           const char *origin)
{
    char *end = NULL;
    double v = 0;
    if (*value && !isspace((unsigned char)*value))
        v = strtod(value, &end);
    if (!end || end == value || *end || !isfinite(v))
        return error_set("%s: '%s' is not a finite number", origin, value);
    if (opts_check_range(s, v, value, origin) < 0)
        return -1;
    *(double *)field = v;
    return 0;
}

static int opts_store_flag(void *field, const char *value, const char *origin)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *(int *)field = strcasecmp(value, yes[i]) == 0;
            return 0;
        }
    }
    return error_set("%s: '%s' is not a boolean (true|false|yes|no|on|off|1|0)", origin, value);
}

static int opts_store(const opt_table *t, const opt_spec *s, const char *value,
                      const char *origin)
{
    void *field = opts_field(t, s);
    switch (s->type) {
    case OPT_STRING: return opts_store_text(s, field, value, origin);
    case OPT_CHOICE: return opts_store_choice(s, field, value, origin);
    case OPT_SIZE: return opts_store_size(s, field, value, origin);
    case OPT_REAL: return opts_store_real(s, field, value, origin);
    case OPT_FLAG: return opts_store_flag(field, value, origin);
    }
    return error_set("%s: bad option type %d", origin, (int)s->type);
}

/* ---- public: defaults, set, format ---- */

void opts_table_init(opt_table *t, const opt_spec *specs, size_t n, void *base,
                     unsigned char *set)
{
    t->specs = specs;
    t->n = n;
    t->base = base;
    t->set = set;
}

int opts_defaults(const opt_table *t)
{
    char origin[128];
    for (size_t i = 0; i < t->n; i++) {
        const opt_spec *s = &t->specs[i];
        snprintf(origin, sizeof origin, "default of --%s", s->name);
        if (opts_store(t, s, s->def ? s->def : "", origin) < 0)
            return -1;
    }
    if (t->set)
        memset(t->set, 0, t->n);
    return 0;
}

int opts_set(const opt_table *t, const char *key, const char *value, const char *origin)
{
    char who[128];
    const opt_spec *s = opts_find(t, key);
    if (!origin) {
        snprintf(who, sizeof who, "--%s", key ? key : "");
        origin = who;
    }
    if (!s)
        return error_set("%s: unknown option", origin);
    if (!value)
        return error_set("%s: needs a value", origin);
    if (opts_store(t, s, value, origin) < 0)
        return -1;
    if (t->set)
        t->set[s - t->specs] = 1;
    return 0;
}

/* Shortest %g text that reads back as exactly v. */
static void opts_format_real(double v, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void opts_format(const opt_table *t, const opt_spec *s, char *buf, size_t len)
{
    const void *field = opts_field(t, s);
    if (!buf || len == 0)
        return;
    switch (s->type) {
    case OPT_STRING:
    case OPT_CHOICE: snprintf(buf, len, "%.*s", (int)s->size, (const char *)field); break;
    case OPT_SIZE: snprintf(buf, len, "%zu", *(const size_t *)field); break;
    case OPT_REAL: opts_format_real(*(const double *)field, buf, len); break;
    case OPT_FLAG: snprintf(buf, len, "%s", *(const int *)field ? "true" : "false"); break;
    default: buf[0] = '\0';
    }
}

/* ---- INI files ----
 * The subset charnn's configs use, read line by line: blank lines, comments
 * (';' or '#' first on a line, or after a blank), "[section]" headers (the
 * section is ignored), "key = value" or "key: value" (key and value trimmed,
 * one pair of matching quotes around the value dropped). Leading blanks never
 * continue a value. A UTF-8 BOM before the first line is skipped. Lines are at
 * most OPTS_LINE_MAX - 1 characters after trimming. The first error stops the
 * file: nothing after it is applied. */

#define OPTS_LINE_MAX 200

typedef struct {
    const opt_table *t;
    const char *path;
    int lineno; /* the physical line being read */
} opts_file;

/* Drops leading blanks (so no line continues the previous value), a whole-line
 * comment, and an inline comment: ';' or '#' after a blank. */
static size_t opts_clean_line(char *s)
{
    size_t start = 0, len;
    while (s[start] && isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, strlen(s + start) + 1);
    if (s[0] == '\0' || s[0] == ';' || s[0] == '#') {
        s[0] = '\0';
        return 0;
    }
    for (size_t i = 1; s[i]; i++) {
        if ((s[i] == ';' || s[i] == '#') && isspace((unsigned char)s[i - 1])) {
            s[i] = '\0';
            break;
        }
    }
    len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    return len;
}

/* value without one pair of matching surrounding quotes, as a new string. */
static char *opts_unquote(const char *value)
{
    size_t len = strlen(value);
    char *out = xmalloc(len + 1, "config value");
    if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
        memcpy(out, value + 1, len - 2);
        out[len - 2] = '\0';
    } else {
        memcpy(out, value, len + 1);
    }
    return out;
}

static int opts_file_key(const opts_file *pf, const char *name, const char *value)
{
    char origin[OPTS_ORIGIN_MAX];
    const opt_spec *s = opts_find(pf->t, name);
    if (!s)
        return error_set("config '%s' line %d: unknown key '%s'", pf->path, pf->lineno, name);
    if (s->flags & OPT_NO_FILE)
        return error_set("config '%s' line %d: '%s' is only allowed on the command line", pf->path,
                         pf->lineno, name);
    snprintf(origin, sizeof origin, "config '%s' line %d: %s", pf->path, pf->lineno, name);
    char *v = opts_unquote(value);
    int rc = opts_set(pf->t, s->name, v, origin);
    free(v);
    return rc;
}

/* One cleaned, non-empty line: a section header or a key and its value. */
static int opts_file_line(const opts_file *pf, char *line)
{
    if (line[0] == '[') {
        if (!strchr(line, ']'))
            return error_set("config '%s' line %d: syntax error", pf->path, pf->lineno);
        return 0;
    }
    char *sep = strpbrk(line, "=:");
    if (!sep)
        return error_set("config '%s' line %d: syntax error", pf->path, pf->lineno);
    char *value = sep + 1;
    for (*sep = '\0'; sep > line && isspace((unsigned char)sep[-1]);)
        *--sep = '\0';
    while (isspace((unsigned char)*value))
        value++;
    return opts_file_key(pf, line, value);
}

static int opts_file_lines(opts_file *pf, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        if (getline(&line, &cap, f) < 0) {
            if (ferror(f))
                rc = error_set("config '%s': cannot read: %s", pf->path,
                               strerror(errno ? errno : EIO));
            break;
        }
        pf->lineno++;
        char *s = line;
        if (pf->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        size_t len = opts_clean_line(s);
        if (len >= OPTS_LINE_MAX) {
            rc = error_set("config '%s' line %d: line too long (at most %d characters)", pf->path,
                           pf->lineno, OPTS_LINE_MAX - 1);
            break;
        }
        if (len > 0 && (rc = opts_file_line(pf, s)) < 0)
            break;
    }
    free(line);
    return rc;
}

int opts_parse_file(const opt_table *t, const char *path)
{
    opts_file pf = {.t = t, .path = path};
    FILE *f = fopen(path, "r");
    if (!f)
        return error_set("config '%s': cannot open: %s", path, strerror(errno));
    int rc = opts_file_lines(&pf, f);
    fclose(f);
    return rc < 0 ? -1 : 0;
}

/* ---- the command line ---- */

typedef enum { OPTS_ARG_POS, OPTS_ARG_HELP, OPTS_ARG_OPT, OPTS_ARG_BAD } opts_arg_kind;

typedef struct {
    int argc;
    char **argv;
    int next;            /* index of the next token */
    int only_pos;        /* after "--" */
    opts_arg_kind kind;  /* the current token: */
    const char *arg;     /* as given */
    const char *name;    /* after "--", name_len chars (up to '=') */
    size_t name_len;
    const char *value;   /* after '=', or the next token; NULL if none */
    const opt_spec *spec;
} opts_args;

/* "--name=V", "--name V" (V not starting with "--"; flags take no V), "--flag". */
static void opts_args_option(const opt_table *t, opts_args *a)
{
    const char *eq = strchr(a->arg + 2, '=');
    a->kind = OPTS_ARG_OPT;
    a->name = a->arg + 2;
    a->name_len = eq ? (size_t)(eq - a->name) : strlen(a->name);
    a->spec = opts_find_n(t, a->name, a->name_len);
    if (eq)
        a->value = eq + 1;
    else if (a->spec && a->spec->type != OPT_FLAG && a->next < a->argc &&
             strncmp(a->argv[a->next], "--", 2) != 0)
        a->value = a->argv[a->next++];
}

/* Reads the next token; 0 at the end. */
static int opts_args_next(const opt_table *t, opts_args *a)
{
    for (;;) {
        if (a->next >= a->argc)
            return 0;
        a->arg = a->argv[a->next++];
        a->value = NULL;
        a->spec = NULL;
        a->name = NULL;
        a->name_len = 0;
        if (a->only_pos || a->arg[0] != '-' || a->arg[1] == '\0')
            a->kind = OPTS_ARG_POS;
        else if (strcmp(a->arg, "--") == 0) {
            a->only_pos = 1;
            continue;
        } else if (strcmp(a->arg, "--help") == 0 || strcmp(a->arg, "-h") == 0)
            a->kind = OPTS_ARG_HELP;
        else if (a->arg[1] != '-')
            a->kind = OPTS_ARG_BAD;
        else
            opts_args_option(t, a);
        return 1;
    }
}

static void opts_args_start(opts_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->argc = argc;
    a->argv = argv;
    a->next = argc > 0 ? 1 : 0;
}

static int opts_args_have_help(const opt_table *t, int argc, char **argv)
{
    opts_args a;
    opts_args_start(&a, argc, argv);
    while (opts_args_next(t, &a))
        if (a.kind == OPTS_ARG_HELP)
            return 1;
    return 0;
}

static int opts_args_missing(const opts_args *a)
{
    return error_set("option --%.*s needs a value", (int)a->name_len, a->name);
}

/* Every --config FILE, in order, before anything else. */
static int opts_args_configs(const opt_table *t, int argc, char **argv)
{
    const opt_spec *config = opts_find(t, "config");
    opts_args a;
    if (!config)
        return 0;
    opts_args_start(&a, argc, argv);
    while (opts_args_next(t, &a)) {
        if (a.kind != OPTS_ARG_OPT || a.spec != config)
            continue;
        if (!a.value)
            return opts_args_missing(&a);
        if (opts_set(t, config->name, a.value, "--config") < 0 ||
            opts_parse_file(t, a.value) < 0)
            return -1;
    }
    return 0;
}

static int opts_args_apply(const opt_table *t, const opts_args *a)
{
    char origin[256];
    const char *value = a->value;
    if (!a->spec)
        return error_set("unknown option --%.*s (see --help)", (int)a->name_len, a->name);
    if (!value && a->spec->type != OPT_FLAG)
        return opts_args_missing(a);
    if (!value)
        value = "true";
    snprintf(origin, sizeof origin, "--%.*s", (int)a->name_len, a->name);
    return opts_set(t, a->spec->name, value, origin);
}

/* Everything but --config, in order. */
static int opts_args_rest(const opt_table *t, int argc, char **argv, char **pos,
                          size_t max_pos, size_t *n_pos)
{
    const opt_spec *config = opts_find(t, "config");
    size_t n = 0;
    opts_args a;
    opts_args_start(&a, argc, argv);
    while (opts_args_next(t, &a)) {
        if (a.kind == OPTS_ARG_BAD)
            return error_set("unknown option %s (see --help)", a.arg);
        if (a.kind == OPTS_ARG_POS) {
            if (n >= max_pos)
                return error_set("unexpected argument '%s'", a.arg);
            pos[n++] = (char *)a.arg;
            if (n_pos)
                *n_pos = n;
        } else if (a.kind == OPTS_ARG_OPT && !(config && a.spec == config)) {
            if (opts_args_apply(t, &a) < 0)
                return -1;
        }
    }
    return 0;
}

int opts_parse_argv(const opt_table *t, int argc, char **argv, char **pos, size_t max_pos,
                    size_t *n_pos, int *help)
{
    if (n_pos)
        *n_pos = 0;
    if (help)
        *help = 0;
    if (opts_args_have_help(t, argc, argv)) {
        if (help)
            *help = 1;
        return 0;
    }
    if (opts_args_configs(t, argc, argv) < 0)
        return -1;
    return opts_args_rest(t, argc, argv, pos, max_pos, n_pos);
}

/* ---- --help ---- */

/* "--name METAVAR" (flags: "--name"; no metavar: by type, choices listed). */
static void opts_usage_left(const opt_spec *s, char *buf, size_t len)
{
    const char *meta = s->metavar;
    if (!meta) {
        switch (s->type) {
        case OPT_CHOICE: meta = s->choices; break;
        case OPT_SIZE: meta = "N"; break;
        case OPT_REAL: meta = "X"; break;
        case OPT_STRING: meta = "TEXT"; break;
        default: meta = NULL;
        }
    }
    if (s->type == OPT_FLAG || !meta)
        snprintf(buf, len, "--%s", s->name);
    else
        snprintf(buf, len, "--%s %s", s->name, meta);
}

void opts_usage(const opt_table *t, FILE *f, const char *synopsis)
{
    static const char help_left[] = "-h, --help";
    char left[256];
    int width = (int)strlen(help_left);
    for (size_t i = 0; i < t->n; i++) {
        opts_usage_left(&t->specs[i], left, sizeof left);
        if ((int)strlen(left) > width)
            width = (int)strlen(left);
    }
    fprintf(f, "usage: %s\n\noptions:\n", synopsis ? synopsis : "");
    for (size_t i = 0; i < t->n; i++) {
        const opt_spec *s = &t->specs[i];
        opts_usage_left(s, left, sizeof left);
        fprintf(f, "  %-*s   %s", width, left, s->help ? s->help : "");
        if (s->type != OPT_FLAG && s->def && s->def[0])
            fprintf(f, " (default: %s)", s->def);
        fputc('\n', f);
    }
    fprintf(f, "  %-*s   %s\n", width, help_left, "show this help and exit");
}
