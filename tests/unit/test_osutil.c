/* test_osutil.c — mkdir -p (nested, existing, a file in the way, "") and the monotonic clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "osutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char root[64]; /* a fresh directory under /tmp */
} tc_dirs;

static int tc_setup(void **state)
{
    tc_dirs *d = calloc(1, sizeof *d);
    snprintf(d->root, sizeof d->root, "/tmp/charnn-test-osutil-XXXXXX");
    if (!d || !mkdtemp(d->root))
        return -1;
    *state = d;
    return 0;
}

static int tc_teardown(void **state)
{
    tc_dirs *d = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
    int rc = system(cmd);
    free(d);
    return rc == 0 ? 0 : -1;
}

static int tc_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Three missing levels at once, then the same again (already there). */
static void test_mkdirs_nested(void **state)
{
    tc_dirs *d = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/a/b/c", d->root);
    assert_int_equal(os_mkdirs(path), 0);
    assert_true(tc_is_dir(path));
    assert_int_equal(os_mkdirs(path), 0);
    snprintf(path, sizeof path, "%s/a//b/c2/", d->root); /* doubled and trailing slashes */
    assert_int_equal(os_mkdirs(path), 0);
    assert_true(tc_is_dir(path));
    assert_int_equal(os_mkdirs(""), 0);
}

/* A regular file where a directory must go: ENOTDIR, at the end or on the way. */
static void test_mkdirs_file_in_the_way(void **state)
{
    tc_dirs *d = *state;
    char file[PATH_MAX], below[PATH_MAX + 8];
    snprintf(file, sizeof file, "%s/plain", d->root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    errno = 0;
    assert_int_equal(os_mkdirs(file), -1);
    assert_int_equal(errno, ENOTDIR);
    snprintf(below, sizeof below, "%s/x/y", file);
    errno = 0;
    assert_int_equal(os_mkdirs(below), -1);
    assert_int_equal(errno, ENOTDIR);
}

/* Never goes backwards, and measures a sleep of 20 ms as about that. */
static void test_now_monotonic(void **state)
{
    (void)state;
    double t0 = os_now();
    usleep(20000);
    double t1 = os_now();
    assert_true(t1 >= t0 + 0.015);
    assert_true(t1 < t0 + 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdirs_nested, tc_setup, tc_teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs_file_in_the_way, tc_setup, tc_teardown),
        cmocka_unit_test(test_now_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
