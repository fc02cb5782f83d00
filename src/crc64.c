/* crc64.c — CRC-64/XZ: tables, slicing by 8, four interleaved lanes joined by crc64_combine (see crc64.h). */
#include "crc64.h"

#include <pthread.h>
#include <string.h>

#define CRC64_POLY 0xC96C5795D7870F42ull /* reflected: bit 63 is x^0 */
#define CRC64_LANES_MIN 4096             /* shorter inputs take one lane */

/* crc64_table[k][b]: the register after byte b followed by k zero bytes. */
static uint64_t crc64_table[8][256];
/* crc64_x2n[k] = x^(2^k) mod P, for crc64_combine. */
static uint64_t crc64_x2n[64];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

/* a(x) b(x) mod P, both reflected. */
static uint64_t crc64_mulmod(uint64_t a, uint64_t b)
{
    uint64_t m = 1ull << 63, p = 0;
    for (; m; m >>= 1) {
        if (a & m)
            p ^= b;
        b = (b >> 1) ^ (CRC64_POLY & (0 - (b & 1)));
    }
    return p;
}

static void crc64_init(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint64_t r = b;
        for (int i = 0; i < 8; i++)
            r = (r >> 1) ^ (CRC64_POLY & (0 - (r & 1)));
        crc64_table[0][b] = r;
    }
    for (int k = 1; k < 8; k++)
        for (unsigned b = 0; b < 256; b++) {
            uint64_t r = crc64_table[k - 1][b];
            crc64_table[k][b] = (r >> 8) ^ crc64_table[0][r & 0xff];
        }
    crc64_x2n[0] = 1ull << 62; /* x^1 */
    for (int k = 1; k < 64; k++)
        crc64_x2n[k] = crc64_mulmod(crc64_x2n[k - 1], crc64_x2n[k - 1]);
}

/* 8 bytes as a little-endian integer, at any alignment. */
static inline uint64_t crc64_load_le(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The register r after 8 zero bytes: eight table lookups. */
static inline uint64_t crc64_step(uint64_t r)
{
    const uint64_t(*t)[256] = crc64_table;
    return t[7][r & 0xff] ^ t[6][(r >> 8) & 0xff] ^ t[5][(r >> 16) & 0xff] ^
           t[4][(r >> 24) & 0xff] ^ t[3][(r >> 32) & 0xff] ^ t[2][(r >> 40) & 0xff] ^
           t[1][(r >> 48) & 0xff] ^ t[0][r >> 56];
}

/* One lane on the register: 8 bytes per step, then byte by byte. */
static uint64_t crc64_serial(uint64_t r, const unsigned char *p, size_t len)
{
    for (; len >= 8; len -= 8, p += 8)
        r = crc64_step(r ^ crc64_load_le(p));
    for (; len; len--, p++)
        r = (r >> 8) ^ crc64_table[0][(r ^ *p) & 0xff];
    return r;
}

/* Four quarters of the input side by side (independent table lookups
 * overlap in the CPU), then joined: ~1.6x one lane. len >= 32. */
static uint64_t crc64_lanes(uint64_t crc, const unsigned char *p, size_t len)
{
    size_t q = (len / 4) & ~(size_t)7;
    const unsigned char *p1 = p + q, *p2 = p + 2 * q, *p3 = p + 3 * q;
    uint64_t r0 = ~crc, r1 = ~0ull, r2 = ~0ull, r3 = ~0ull;
    for (size_t i = 0; i < q; i += 8) {
        r0 = crc64_step(r0 ^ crc64_load_le(p + i));
        r1 = crc64_step(r1 ^ crc64_load_le(p1 + i));
        r2 = crc64_step(r2 ^ crc64_load_le(p2 + i));
        r3 = crc64_step(r3 ^ crc64_load_le(p3 + i));
    }
    r3 = crc64_serial(r3, p3 + q, len - 4 * q);
    uint64_t c = crc64_combine(~r0, ~r1, q);
    c = crc64_combine(c, ~r2, q);
    return crc64_combine(c, ~r3, len - 3 * q);
}

uint64_t crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    uint64_t shift = 1ull << 63; /* x^(8 len2) mod P, from the bits of len2 */
    pthread_once(&crc64_once, crc64_init);
    for (int k = 3; len2; len2 >>= 1, k++)
        if (len2 & 1)
            shift = crc64_mulmod(crc64_x2n[k & 63], shift);
    return crc64_mulmod(shift, crc1) ^ crc2;
}

uint64_t crc64_update(uint64_t crc, const void *data, size_t len)
{
    pthread_once(&crc64_once, crc64_init);
    if (len >= CRC64_LANES_MIN)
        return crc64_lanes(crc, data, len);
    return ~crc64_serial(~crc, data, len);
}
