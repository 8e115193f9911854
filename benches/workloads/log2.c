/* Sum of floor(log2(v)) over the 1,024 little-endian u32 values in memory (v = 0 counts 0). */
#include "common.h"

u64 bench_log2(const u8 *mem, u64 len)
{
    u64 sum = 0;
    for (u64 i = 0; i + 4 <= len; i += 4) {
        u32 v = *(const u32 *)(mem + i);
        u32 r = 0;
        if (v >= 1u << 16) { v >>= 16; r += 16; }
        if (v >= 1u << 8) { v >>= 8; r += 8; }
        if (v >= 1u << 4) { v >>= 4; r += 4; }
        if (v >= 1u << 2) { v >>= 2; r += 2; }
        if (v >= 1u << 1) { r += 1; }
        sum += r;
    }
    return sum;
}
