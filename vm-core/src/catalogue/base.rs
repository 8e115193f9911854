//! The helpers every program type may call: `bpf_base_func_proto` (`kernel/bpf/helpers.c`,
//! `core.c`, `ringbuf.c`, `bpf_iter.c`, `bpf_cgrp_storage.c`).

use super::LinuxHelper;
use super::dsl::*;
use super::helpers;

pub(super) const HELPERS: &[LinuxHelper] = helpers! {
    // Maps. map_update_elem and map_delete_elem reach a sockmap or sockhash only from some
    // program types (may_update_sockmap).
    1 "map_lookup_elem"(MAP, KEY) -> MapValueOrNull, [ALL], maps(LOOKUP), pkt;
    2 "map_update_elem"(MAP, KEY, VALUE, ANY) -> Integer, [ALL], maps(UPDATE), pkt;
    3 "map_delete_elem"(MAP, KEY) -> Integer, [ALL], maps(UPDATE), pkt;
    87 "map_push_elem"(MAP, VALUE, ANY) -> Integer, [ALL], maps(QUEUE_STACK_BLOOM), pkt;
    88 "map_pop_elem"(MAP, MapValueUninit) -> Integer, [ALL], maps(QUEUE_STACK);
    89 "map_peek_elem"(MAP, MapValueUninit) -> Integer, [ALL], maps(QUEUE_STACK_BLOOM);
    195 "map_lookup_percpu_elem"(MAP, KEY, ANY) -> MapValueOrNull, [ALL], maps(PERCPU), pkt;
    // The map must implement map_for_each_callback (hash, array and their per-CPU and LRU
    // kinds).
    164 "for_each_map_elem"(MAP, Func, STACK_OR_NULL, ANY) -> Integer, [ALL], maps(PLAIN);

    // Time, CPU, randomness.
    5 "ktime_get_ns"() -> Integer, [ALL];
    7 "get_prandom_u32"() -> Integer, [ALL];
    // Networking and tracing tables give the plain variant, the base table the raw one; same
    // prototype.
    8 "get_smp_processor_id"() -> Integer, [ALL];
    42 "get_numa_node_id"() -> Integer, [ALL];
    118 "jiffies64"() -> Integer, [ALL];
    125 "ktime_get_boot_ns"() -> Integer, [ALL];
    208 "ktime_get_tai_ns"() -> Integer, [ALL];

    // Tail calls (kernel/bpf/core.c). A tail call never returns to the caller; since Linux
    // 6.13 a sub-program that tail-calls counts as one that changes the packet
    // (changes_pkt_data), the helper itself does not.
    12 "tail_call"(CTX, MAP, ANY) -> Void, [ALL], maps(PROG_ARRAY);

    // The current cgroup.
    80 "get_current_cgroup_id"() -> Integer, [ALL];
    123 "get_current_ancestor_cgroup_id"(ANY) -> Integer, [ALL];

    // Strings.
    105 "strtol"(RO, SIZE, ANY, LONG_OUT) -> Integer, [ALL];
    106 "strtoul"(RO, SIZE, ANY, LONG_OUT) -> Integer, [ALL];
    182 "strncmp"(RO, SIZE, ConstStr) -> Integer, [ALL];
    // Later kernels mark r1 MEM_WRITE; it was always written.
    165 "snprintf"(RW_OR_NULL, SIZE0, ConstStr, RO_OR_NULL, SIZE0) -> Integer, [ALL], gpl;

    // Locks, timers, callbacks, per-CPU variables, kptrs.
    93 "spin_lock"(SpinLock) -> Void, [ALL];
    94 "spin_unlock"(SpinLock) -> Void, [ALL];
    // The map is the timer's own (hash, LRU hash or array).
    169 "timer_init"(Timer, MAP, ANY) -> Integer, [ALL], maps(PLAIN), gpl;
    170 "timer_set_callback"(Timer, Func) -> Integer, [ALL], gpl;
    171 "timer_start"(Timer, ANY, ANY) -> Integer, [ALL], gpl;
    172 "timer_cancel"(Timer) -> Integer, [ALL], gpl;
    181 "loop"(ANY, Func, STACK_OR_NULL, ANY) -> Integer, [ALL];
    153 "per_cpu_ptr"(PerCpuBtfId, ANY) -> MemOrBtfIdOrNull, [ALL];
    154 "this_cpu_ptr"(PerCpuBtfId) -> MemOrBtfId, [ALL];
    // r2 and r0 have the kptr field's type.
    194 "kptr_xchg"(Kptr, btf_or_null("")) -> BtfIdOrNull(""), [ALL], acquire, release(2);

    // Ring buffers (kernel/bpf/ringbuf.c).
    130 "ringbuf_output"(MAP, RO, SIZE0, ANY) -> Integer, [ALL], maps(RINGBUF);
    131 "ringbuf_reserve"(MAP, ConstAllocSizeOrZero, ANY) -> AllocMemOrNull, [ALL],
        maps(RINGBUF), acquire;
    132 "ringbuf_submit"(RingbufMem, ANY) -> Void, [ALL], release(1);
    133 "ringbuf_discard"(RingbufMem, ANY) -> Void, [ALL], release(1);
    134 "ringbuf_query"(MAP, ANY) -> Integer, [ALL], maps(RINGBUF);
    // The dynptr it initialises is a reference the program must submit or discard.
    198 "ringbuf_reserve_dynptr"(MAP, ANY, ANY, Dynptr(DynptrArg::NewRingbuf)) -> Integer, [ALL],
        maps(RINGBUF);
    199 "ringbuf_submit_dynptr"(Dynptr(DynptrArg::ReleaseRingbuf), ANY) -> Void, [ALL],
        release(1);
    200 "ringbuf_discard_dynptr"(Dynptr(DynptrArg::ReleaseRingbuf), ANY) -> Void, [ALL],
        release(1);
    209 "user_ringbuf_drain"(MAP, Func, STACK_OR_NULL, ANY) -> Integer, [ALL],
        maps(USER_RINGBUF);

    // Dynptrs. The verifier also wants dynptr_from_mem's r1 to be a map value; writing through
    // an skb dynptr changes the packet.
    197 "dynptr_from_mem"(UNINIT, SIZE0, ANY, Dynptr(DynptrArg::NewLocal)) -> Integer, [ALL];
    201 "dynptr_read"(UNINIT, SIZE0, DYNPTR, ANY, ANY) -> Integer, [ALL];
    202 "dynptr_write"(DYNPTR, ANY, RO, SIZE0, ANY) -> Integer, [ALL];
    203 "dynptr_data"(DYNPTR, ANY, ConstAllocSizeOrZero) -> DynptrMemOrNull, [ALL];

    // Cgroup local storage (kernel/bpf/bpf_cgrp_storage.c).
    210 "cgrp_storage_get"(MAP, btf_or_null("cgroup"), MapValueOrNull, ANY) -> MapValueOrNull,
        [ALL], maps(CGRP_STORAGE);
    211 "cgrp_storage_delete"(MAP, btf_or_null("cgroup")) -> Integer, [ALL],
        maps(CGRP_STORAGE);
};
