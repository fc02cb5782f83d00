/* vocab.c — the vocabulary rule (see vocab.h). */
#include "vocab.h"

vocab_problem vocab_check(const uint32_t *v, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        *at = i;
        if (v[i] > 0x10FFFF || (v[i] >= 0xD800 && v[i] <= 0xDFFF))
            return VOCAB_NOT_SCALAR;
        if (i && v[i] <= v[i - 1])
            return VOCAB_NOT_INCREASING;
    }
    return VOCAB_OK;
}
