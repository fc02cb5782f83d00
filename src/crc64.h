/* crc64.h — CRC-64/XZ (ECMA-182 polynomial, reflected): table-driven, slicing by 8, four lanes. */
#ifndef CHARNN_CRC64_H
#define CHARNN_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* CRC-64/XZ: polynomial 0x42F0E1EBA9EA3693 (reflected 0xC96C5795D7870F42),
 * initial value and final XOR all ones; the check value of "123456789" is
 * 0x995DC9BBDF1939FA. Chainable like zlib's crc32: start with 0, and
 * crc64_update(crc64_update(0, a), b) is the CRC of a followed by b.
 * Thread-safe; the tables are built on first use. */
uint64_t crc64_update(uint64_t crc, const void *data, size_t len);

/* The CRC of A followed by B from crc1 = CRC(A), crc2 = CRC(B) and B's length. */
uint64_t crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

#endif
