/* A 64-case switch over the 4,096 bytes of memory (each byte taken modulo 64). */
#include "common.h"

u64 bench_switch(const u8 *mem, u64 len)
{
    u64 acc = 1;
    for (u64 i = 0; i < len; i++) {
        u8 v = mem[i];
        switch (v & 63) {
        case 0: acc = acc * 1 + 3; break;
        case 1: acc ^= (acc >> 2) + 31; break;
        case 2: acc += (u64)v * 61 - 187; break;
        case 3: acc = (acc << 4) | 28; break;
        case 4: acc = acc * 121 + 120; break;
        case 5: acc ^= (acc >> 6) + 151; break;
        case 6: acc += (u64)v * 181 - 53; break;
        case 7: acc = (acc << 1) | 145; break;
        case 8: acc = acc * 241 + 237; break;
        case 9: acc ^= (acc >> 10) + 271; break;
        case 10: acc += (u64)v * 301 - 170; break;
        case 11: acc = (acc << 5) | 11; break;
        case 12: acc = acc * 361 + 103; break;
        case 13: acc ^= (acc >> 1) + 391; break;
        case 14: acc += (u64)v * 421 - 36; break;
        case 15: acc = (acc << 2) | 128; break;
        case 16: acc = acc * 481 + 220; break;
        case 17: acc ^= (acc >> 5) + 511; break;
        case 18: acc += (u64)v * 541 - 153; break;
        case 19: acc = (acc << 6) | 245; break;
        case 20: acc = acc * 601 + 86; break;
        case 21: acc ^= (acc >> 9) + 631; break;
        case 22: acc += (u64)v * 661 - 19; break;
        case 23: acc = (acc << 3) | 111; break;
        case 24: acc = acc * 721 + 203; break;
        case 25: acc ^= (acc >> 13) + 751; break;
        case 26: acc += (u64)v * 781 - 136; break;
        case 27: acc = (acc << 7) | 228; break;
        case 28: acc = acc * 841 + 69; break;
        case 29: acc ^= (acc >> 4) + 871; break;
        case 30: acc += (u64)v * 901 - 253; break;
        case 31: acc = (acc << 4) | 94; break;
        case 32: acc = acc * 961 + 186; break;
        case 33: acc ^= (acc >> 8) + 991; break;
        case 34: acc += (u64)v * 24 - 119; break;
        case 35: acc = (acc << 1) | 211; break;
        case 36: acc = acc * 84 + 52; break;
        case 37: acc ^= (acc >> 12) + 114; break;
        case 38: acc += (u64)v * 144 - 236; break;
        case 39: acc = (acc << 5) | 77; break;
        case 40: acc = acc * 204 + 169; break;
        case 41: acc ^= (acc >> 3) + 234; break;
        case 42: acc += (u64)v * 264 - 102; break;
        case 43: acc = (acc << 2) | 194; break;
        case 44: acc = acc * 324 + 35; break;
        case 45: acc ^= (acc >> 7) + 354; break;
        case 46: acc += (u64)v * 384 - 219; break;
        case 47: acc = (acc << 6) | 60; break;
        case 48: acc = acc * 444 + 152; break;
        case 49: acc ^= (acc >> 11) + 474; break;
        case 50: acc += (u64)v * 504 - 85; break;
        case 51: acc = (acc << 3) | 177; break;
        case 52: acc = acc * 564 + 18; break;
        case 53: acc ^= (acc >> 2) + 594; break;
        case 54: acc += (u64)v * 624 - 202; break;
        case 55: acc = (acc << 7) | 43; break;
        case 56: acc = acc * 684 + 135; break;
        case 57: acc ^= (acc >> 6) + 714; break;
        case 58: acc += (u64)v * 744 - 68; break;
        case 59: acc = (acc << 4) | 160; break;
        case 60: acc = acc * 804 + 252; break;
        case 61: acc ^= (acc >> 10) + 834; break;
        case 62: acc += (u64)v * 864 - 185; break;
        case 63: acc = (acc << 1) | 26; break;
        }
    }
    return acc;
}
