/* iconv_fixtures.c — UTF-8 text converted to other encodings (see
 * iconv_fixtures.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iconv_fixtures.h"

#include <iconv.h>
#include <stdlib.h>

char *fx_iconv(const char *text, size_t len, const char *enc, size_t *outlen)
{
    iconv_t cd = iconv_open(enc, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t cap = len * 4 + 16, left = cap;
    char *out = malloc(cap), *op = out, *ip = (char *)text;
    size_t inleft = len;
    assert_true(iconv(cd, &ip, &inleft, &op, &left) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &op, &left) != (size_t)-1);
    iconv_close(cd);
    *outlen = cap - left;
    return out;
}
