/* Shared by every workload: the eBPF entry takes r1 = memory, r2 = its length. */
#ifndef OXBPF_BENCH_COMMON_H
#define OXBPF_BENCH_COMMON_H
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
#endif
