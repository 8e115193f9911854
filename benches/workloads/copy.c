/* Byte-by-byte copy of the first half of memory (1 MiB) into the second; returns the last byte. */
#include "common.h"

u64 bench_copy(u8 *mem, u64 len)
{
    u64 half = len / 2;
    u8 *dst = mem + half;
    for (u64 i = 0; i < half; i++)
        dst[i] = mem[i];
    return half ? dst[half - 1] : 0;
}
