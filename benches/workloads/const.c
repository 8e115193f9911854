/* Returns a constant: the cost of a call. */
#include "common.h"

u64 bench_const(const u8 *mem, u64 len)
{
    (void)mem;
    (void)len;
    return 42;
}
