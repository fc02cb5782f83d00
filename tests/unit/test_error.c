/* test_error.c — the error path (error.h): a message set where the failure
 * is found, context added on the way up, and the one fatal exit, which ends
 * the job through the hook comm_init installs (here a stand-in that jumps
 * back) and prints one line naming the program. */
#include "error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_context_on_the_way_up(void **state)
{
    (void)state;
    assert_int_equal(error_set("truncated at byte %d", 512), -1);
    assert_int_equal(error_context("checkpoint '%s'", "c.h5"), -1);
    assert_int_equal(error_context("resuming"), -1);
    assert_string_equal(error_message(), "resuming: checkpoint 'c.h5': truncated at byte 512");
}

static jmp_buf back;
static int ended_with = -1;
static void end_job(int status)
{
    ended_with = status;
    longjmp(back, 1);
}

static void test_fatal_ends_the_job_through_the_hook(void **state)
{
    (void)state;
    char path[] = "/tmp/charnn-error-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    error_program("charnn-test");
    error_on_fatal(end_job);
    if (setjmp(back) == 0) {
        void *p = xmalloc((size_t)1 << 62, "a huge buffer"); /* fails */
        (void)p;
        fail_msg("xmalloc returned");
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    error_on_fatal(NULL);
    assert_int_equal(ended_with, 1);
    char buf[1024] = {0};
    assert_true(pread(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    unlink(path);
    /* the one error line (a sanitizer build may add its own warning) */
    const char *line = "charnn-test: error: out of memory allocating 4611686018427387904 bytes "
                       "for a huge buffer\n";
    assert_non_null(strstr(buf, line));
    assert_null(strstr(strstr(buf, line) + strlen(line), "error:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_on_the_way_up),
        cmocka_unit_test(test_fatal_ends_the_job_through_the_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
