/* Byte-by-byte strcmp of the two NUL-terminated strings filling the halves of memory (1 MiB each). */
#include "common.h"

u64 bench_strcmp(const u8 *mem, u64 len)
{
    const u8 *a = mem;
    const u8 *b = mem + len / 2;
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (u64)(long long)((int)*a - (int)*b);
}
