/* The sum of two u64 loads from memory. */
#include "common.h"

u64 bench_sum2(const u8 *mem, u64 len)
{
    (void)len;
    return *(const u64 *)mem + *(const u64 *)(mem + 8);
}
