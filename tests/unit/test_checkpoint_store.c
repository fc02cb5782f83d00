/* test_checkpoint_store.c — a directory of checkpoints (checkpoint_store.c):
 * nested directories created, latest.h5, --keep pruning, failed writes that leave
 * the newest checkpoint as it was, and the resume candidates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint_fixtures.h"

#include "checkpoint.h"
#include "error.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t tc_count_ckpts(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, "ckpt-", 5) == 0;
    closedir(d);
    return n;
}

static int tc_exists(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void test_creates_nested_dir(void **state)
{
    char dir[64], sub[128], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/a/b//c/", dir);
    tc_write(sub, 3, 5, path, sizeof path);
    assert_true(tc_exists(sub, "ckpt-00000003.h5"));
    assert_true(tc_exists(sub, "latest.h5"));
    tc_rmtree(dir);
}

/* ------------------------------------------------- latest and keep */

static void test_latest_points_to_newest(void **state)
{
    char dir[64], path[PATH_MAX], target[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 5, path, sizeof path);
    tc_write(dir, 200, 5, path, sizeof path);
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, "ckpt-00000200.h5");
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_int_equal(ck.step, 200);
    checkpoint_free(&ck);
    assert_int_equal(tc_count_ckpts(dir), 2);
    assert_int_equal(tc_count_hidden(dir), 0);
    tc_rmtree(dir);
}

static void test_keep_prunes(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    for (uint64_t s = 1; s <= 5; s++)
        tc_write(dir, s * 10, 2, path, sizeof path);
    assert_int_equal(tc_count_ckpts(dir), 2);
    assert_true(tc_exists(dir, "ckpt-00000040.h5"));
    assert_true(tc_exists(dir, "ckpt-00000050.h5"));
    tc_rmtree(dir);
}

/* Resumed from an older step: the new file is latest and must survive. */
static void test_keep_never_removes_latest(void **state)
{
    char dir[64], path[PATH_MAX], target[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 10, 5, path, sizeof path);
    tc_write(dir, 20, 5, path, sizeof path);
    tc_write(dir, 5, 1, path, sizeof path);
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, "ckpt-00000005.h5");
    assert_true(tc_exists(dir, "ckpt-00000005.h5"));
    assert_true(tc_exists(dir, "ckpt-00000020.h5"));
    assert_false(tc_exists(dir, "ckpt-00000010.h5"));
    tc_rmtree(dir);
}

/* Other files in the directory are never touched by pruning. */
static void test_keep_ignores_other_files(void **state)
{
    char dir[64], path[PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ckpt-notes.h5", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    fclose(fopen(path, "w"));
    tc_write(dir, 1, 1, path, sizeof path);
    tc_write(dir, 2, 1, path, sizeof path);
    assert_true(tc_exists(dir, "ckpt-notes.h5"));
    assert_true(tc_exists(dir, "metrics.jsonl"));
    assert_false(tc_exists(dir, "ckpt-00000001.h5"));
    tc_rmtree(dir);
}

/* --------------------------------------------------- failed writes */

static void tc_assert_latest_is(const char *dir, const char *name, uint64_t step)
{
    char target[PATH_MAX], path[PATH_MAX];
    checkpoint ck;
    tc_readlink(dir, target, sizeof target);
    assert_string_equal(target, name);
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    assert_int_equal(checkpoint_read(path, &ck), 0);
    assert_int_equal(ck.step, step);
    checkpoint_free(&ck);
}

static void test_write_fails_under_regular_file(void **state)
{
    char dir[64], bad[PATH_MAX], path[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 5, path, sizeof path);
    snprintf(bad, sizeof bad, "%s/ckpt-00000100.h5/sub", dir);
    tc_make(&ck, CELL_RNN, 7, 3, 2, 4, 200);
    path[0] = 0;
    assert_int_equal(checkpoint_write(bad, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), bad));
    assert_non_null(strstr(error_message(), "Not a directory"));
    assert_string_equal(path, "");
    tc_assert_latest_is(dir, "ckpt-00000100.h5", 100);
    assert_int_equal(tc_count_ckpts(dir), 1);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

static size_t tc_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A write that runs out of space (RLIMIT_FSIZE: EFBIG) mid-file. */
static void test_write_fails_file_too_large(void **state)
{
    char dir[64], path[PATH_MAX];
    struct rlimit old, small;
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_write(dir, 100, 1, path, sizeof path);
    tc_make(&ck, CELL_LSTM, 50, 64, 2, 8, 200);
    size_t fds = tc_open_fds();
    ssize_t ids = tc_h5_ids();
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    tc_capture_begin();
    int rc = checkpoint_write(dir, &ck, 1, path, sizeof path);
    long noise = tc_capture_end();
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_int_equal(noise, 0);
    assert_non_null(strstr(error_message(), "ckpt-00000200.h5"));
    assert_non_null(strstr(error_message(), "File too large"));
    assert_int_equal(tc_count_hidden(dir), 0);
    assert_int_equal(tc_count_ckpts(dir), 1);
    assert_int_equal(tc_open_fds(), fds);
    assert_int_equal(tc_h5_ids(), ids);
    tc_assert_latest_is(dir, "ckpt-00000100.h5", 100);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

static void test_write_rejects_inconsistent(void **state)
{
    char dir[64], path[PATH_MAX];
    checkpoint ck;
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_make(&ck, CELL_GRU, 7, 3, 2, 4, 1);
    ck.c = malloc(4 * 2 * 3 * sizeof(float));
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "cell state given for a non-LSTM model"));
    free(ck.c);
    ck.c = NULL;
    ck.epoch++;
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "epoch and window do not match"));
    ck.epoch--;
    ck.vocab[3] = ck.vocab[2];
    assert_int_equal(checkpoint_write(dir, &ck, 1, path, sizeof path), -1);
    assert_non_null(strstr(error_message(), "vocabulary"));
    assert_int_equal(tc_count_ckpts(dir), 0);
    assert_int_equal(tc_count_hidden(dir), 0);
    checkpoint_free(&ck);
    tc_rmtree(dir);
}

/* ------------------------------------------------------------ resolve */

/* The candidates' paths, one per line, for comparing in one assert. */
static void tc_candidates(const char *spec, const char *dir, int want_rc, const char *want)
{
    char **paths = NULL, got[4 * PATH_MAX] = "";
    size_t n = 99;
    assert_int_equal(checkpoint_candidates(spec, dir, &paths, &n), want_rc);
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s\n", paths[i]);
    assert_string_equal(got, want);
    checkpoint_candidates_free(paths, n);
}

static void test_candidates(void **state)
{
    char dir[64], path[PATH_MAX], p7[PATH_MAX], want[4 * PATH_MAX], list[9 * PATH_MAX];
    (void)state;
    tc_mkdtemp(dir, sizeof dir);
    tc_candidates("auto", dir, 0, ""); /* nothing: a fresh start */
    tc_write(dir, 7, 5, p7, sizeof p7);
    snprintf(want, sizeof want, "%s\n", p7);
    tc_candidates("auto", dir, 0, want);
    tc_write(dir, 9, 5, path, sizeof path); /* latest.h5 -> 9, then 7 */
    snprintf(want, sizeof want, "%s\n%s\n", path, p7);
    tc_candidates("auto", dir, 0, want);
    snprintf(want, sizeof want, "%s\n", p7); /* an explicit path: only that one */
    tc_candidates(p7, dir, 0, want);
    snprintf(want, sizeof want, "%s/nope.h5", dir);
    tc_candidates(want, dir, -1, "");
    assert_non_null(strstr(error_message(), want));
    unlink(path); /* latest.h5 dangles: it comes first (reading it names it), then 7 */
    snprintf(want, sizeof want, "%s\n%s\n", path, p7);
    tc_candidates("auto", dir, 0, want);
    snprintf(path, sizeof path, "%s/latest.h5", dir);
    unlink(path); /* no latest.h5: every ckpt-*.h5, newest first */
    tc_write(dir, 3, 5, want, sizeof want);
    unlink(path);
    snprintf(list, sizeof list, "%s\n%s\n", p7, want);
    tc_candidates("auto", dir, 0, list);
    snprintf(path, sizeof path, "%s/.ckpt-5.h5.tmp-1", dir); /* a killed writer's file */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    tc_write(dir, 11, 5, want, sizeof want); /* a write removes it */
    assert_int_equal(access(path, F_OK), -1);
    tc_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_nested_dir),
        cmocka_unit_test(test_latest_points_to_newest),
        cmocka_unit_test(test_keep_prunes),
        cmocka_unit_test(test_keep_never_removes_latest),
        cmocka_unit_test(test_keep_ignores_other_files),
        cmocka_unit_test(test_write_fails_under_regular_file),
        cmocka_unit_test(test_write_fails_file_too_large),
        cmocka_unit_test(test_write_rejects_inconsistent),
        cmocka_unit_test(test_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
