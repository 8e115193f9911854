//! The short names the data files write their rows in.

pub(super) use super::DynptrArg;
pub(super) use super::LinuxArg::{self, *};

pub(super) const ANY: LinuxArg = Anything;
pub(super) const CTX: LinuxArg = Ctx { maybe_null: false };
pub(super) const CTX_OR_NULL: LinuxArg = Ctx { maybe_null: true };
pub(super) const MAP: LinuxArg = ConstMapPtr;
pub(super) const KEY: LinuxArg = MapKey;
pub(super) const VALUE: LinuxArg = MapValue;
/// `ARG_PTR_TO_MEM | MEM_RDONLY`.
pub(super) const RO: LinuxArg = mem(true, false, false);
/// `ARG_PTR_TO_MEM`.
pub(super) const RW: LinuxArg = mem(false, false, false);
/// `ARG_PTR_TO_UNINIT_MEM`.
pub(super) const UNINIT: LinuxArg = mem(false, true, false);
/// `ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY`.
pub(super) const RO_OR_NULL: LinuxArg = mem(true, false, true);
/// `ARG_PTR_TO_MEM_OR_NULL`.
pub(super) const RW_OR_NULL: LinuxArg = mem(false, false, true);
pub(super) const SIZE: LinuxArg = ConstSize { or_zero: false };
pub(super) const SIZE0: LinuxArg = ConstSize { or_zero: true };
/// `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_ALIGNED` of 4 bytes (`ARG_PTR_TO_INT`).
pub(super) const INT_OUT: LinuxArg = FixedMem {
    size: 4,
    uninit: true,
};
/// The same of 8 bytes (`ARG_PTR_TO_LONG`).
pub(super) const LONG_OUT: LinuxArg = FixedMem {
    size: 8,
    uninit: true,
};
pub(super) const BTF_SOCK: LinuxArg = BtfIdSockCommon { maybe_null: false };
pub(super) const STACK_OR_NULL: LinuxArg = Stack { maybe_null: true };
pub(super) const DYNPTR: LinuxArg = Dynptr(DynptrArg::Init);

const fn mem(read_only: bool, uninit: bool, maybe_null: bool) -> LinuxArg {
    Mem {
        read_only,
        uninit,
        maybe_null,
    }
}

/// `ARG_PTR_TO_FIXED_SIZE_MEM` of `size` bytes, read.
pub(super) const fn fixed(size: u32) -> LinuxArg {
    FixedMem {
        size,
        uninit: false,
    }
}

/// `ARG_PTR_TO_BTF_ID` of `struct ty`.
pub(super) const fn btf(ty: &'static str) -> LinuxArg {
    BtfId {
        ty,
        maybe_null: false,
    }
}

/// `ARG_PTR_TO_BTF_ID_OR_NULL` of `struct ty`.
pub(super) const fn btf_or_null(ty: &'static str) -> LinuxArg {
    BtfId {
        ty,
        maybe_null: true,
    }
}

// Map types (`enum bpf_map_type`) accepted by map arguments, as check_map_func_compatibility
// allows them both ways. Maps with no helper list of their own: hash 1, array 2, percpu
// hash 5, percpu array 6, LRU hash 9, LRU percpu hash 10, LPM trie 11, struct_ops 26.
pub(super) const PLAIN: &[u32] = &[1, 2, 5, 6, 9, 10, 11, 26];
/// `map_lookup_elem`: plain maps, map-in-maps 12 and 13, devmap 14, sockmap 15, xskmap 17,
/// sockhash 18, devmap hash 25.
pub(super) const LOOKUP: &[u32] = &[1, 2, 5, 6, 9, 10, 11, 12, 13, 14, 15, 17, 18, 25, 26];
/// `map_update_elem`, `map_delete_elem`: plain maps, sockmap 15 and sockhash 18.
pub(super) const UPDATE: &[u32] = &[1, 2, 5, 6, 9, 10, 11, 15, 18, 26];
pub(super) const PROG_ARRAY: &[u32] = &[3];
pub(super) const PERF_EVENT_ARRAY: &[u32] = &[4];
pub(super) const STACK_TRACE: &[u32] = &[7];
pub(super) const CGROUP_ARRAY: &[u32] = &[8];
pub(super) const SOCKMAP: &[u32] = &[15];
pub(super) const SOCKHASH: &[u32] = &[18];
/// Devmap 14, cpumap 16, xskmap 17, devmap hash 25.
pub(super) const REDIRECT: &[u32] = &[14, 16, 17, 25];
/// Cgroup storage 19 and its per-CPU variant 21.
pub(super) const CGROUP_STORAGE: &[u32] = &[19, 21];
/// Sockmap 15, sockhash 18, reuseport sockarray 20.
pub(super) const REUSEPORT: &[u32] = &[15, 18, 20];
/// Queue 22, stack 23.
pub(super) const QUEUE_STACK: &[u32] = &[22, 23];
/// Queue 22, stack 23, bloom filter 30.
pub(super) const QUEUE_STACK_BLOOM: &[u32] = &[22, 23, 30];
/// Percpu hash 5, percpu array 6, LRU percpu hash 10.
pub(super) const PERCPU: &[u32] = &[5, 6, 10];
pub(super) const SK_STORAGE: &[u32] = &[24];
pub(super) const RINGBUF: &[u32] = &[27];
pub(super) const INODE_STORAGE: &[u32] = &[28];
pub(super) const TASK_STORAGE: &[u32] = &[29];
pub(super) const USER_RINGBUF: &[u32] = &[31];
pub(super) const CGRP_STORAGE: &[u32] = &[32];
