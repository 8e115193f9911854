//! Linux's helper catalogue: every helper of Linux's UAPI by id, with its name and prototype in
//! Linux's own terms, and the program types that may call it.
//!
//! The catalogue lets a verifier check a call of a helper the host does not implement (or
//! implements under Linux's contract): the arguments as Linux types them ([`LinuxArg`], Linux's
//! `enum bpf_arg_type` and its flags), what `r0` holds after the call ([`LinuxRet`]), the map
//! types a map argument accepts, whether the call may move the packet, and which program types
//! Linux lets call it ([`Callers`]).
//!
//! # Sources
//!
//! The facts are Linux 6.6's, read (not copied) from:
//!
//! - ids and names: `___BPF_FUNC_MAPPER` in `include/uapi/linux/bpf.h`, ids 1 to 211 (the list
//!   is frozen there: newer kernel functions are kfuncs, not helpers);
//! - prototypes (`struct bpf_func_proto`): `kernel/bpf/helpers.c`, `core.c`, `ringbuf.c`,
//!   `stackmap.c`, `bpf_iter.c`, `task_iter.c`, `cgroup.c`, `syscall.c`, `btf.c`, `bpf_lsm.c`,
//!   `bpf_{task,inode,cgrp}_storage.c`, `kernel/trace/bpf_trace.c`, `net/core/filter.c`,
//!   `sock_map.c`, `bpf_sk_storage.c`, `net/ipv4/bpf_tcp_ca.c` and `drivers/media/rc/bpf-lirc.c`;
//! - callers: the `*_func_proto` tables of those files (`bpf_base_func_proto`,
//!   `bpf_tracing_func_proto`, `tc_cls_act_func_proto`, ...);
//! - the verifier's side: `check_map_func_compatibility` (both directions) for
//!   [`LinuxHelper::map_types`], `bpf_helper_changes_pkt_data` for
//!   [`LinuxHelper::changes_packet`], `is_acquire_function` and `OBJ_RELEASE` for
//!   [`LinuxHelper::acquires`] and [`LinuxHelper::releases`].
//!
//! Where a later kernel differs (a flag added, a helper opened to more program types), the row
//! says so in a comment.
//!
//! # Variants
//!
//! Linux gives some helpers several prototypes, one per program type (`perf_event_output` takes
//! an `__sk_buff`, an `xdp_md` or `pt_regs`; sockopt hooks get `bpf_sk_setsockopt`, whose first
//! argument is a socket rather than the context). A row holds the most common prototype and a
//! comment names the others; [`LinuxHelper::callers`] is the union over all of them.
//!
//! ```
//! use oxbpf_core::catalogue::{self, LinuxArg, LinuxRet};
//! use oxbpf_core::ProgramType;
//!
//! let lookup = catalogue::by_name("map_lookup_elem").unwrap();
//! assert_eq!(lookup.id, 1);
//! assert_eq!(lookup.args[..2], [LinuxArg::ConstMapPtr, LinuxArg::MapKey]);
//! assert_eq!(lookup.ret, LinuxRet::MapValueOrNull);
//! assert!(lookup.callable_from(ProgramType::Xdp));
//! assert!(catalogue::helper(44).unwrap().changes_packet); // xdp_adjust_head
//! ```

use core::fmt;

use crate::program_type::ProgramType;
use crate::proto::{Arg, MapArg, MapTypes, Proto, Ret};

mod base;
mod dsl;
mod hooks;
mod net;
mod trace;

/// An argument as Linux types it (`enum bpf_arg_type` and its flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinuxArg {
    /// `ARG_DONTCARE`: not checked (an argument the helper does not declare, or the variadic
    /// tail of `trace_printk`).
    DontCare,
    /// `ARG_ANYTHING`: any initialised value; a pointer is a leak unless the program may leak
    /// pointers.
    Anything,
    /// `ARG_CONST_MAP_PTR`: a map, as an `lddw` of a map loads it; its types are
    /// [`LinuxHelper::map_types`].
    ConstMapPtr,
    /// `ARG_PTR_TO_MAP_KEY`: a whole key (`key_size` initialised bytes) of the map in the
    /// closest earlier [`LinuxArg::ConstMapPtr`].
    MapKey,
    /// `ARG_PTR_TO_MAP_VALUE`: a whole value (`value_size` initialised bytes) of that map.
    MapValue,
    /// `ARG_PTR_TO_MAP_VALUE_OR_NULL`: a whole value of that map, or 0 (the initial value of a
    /// local-storage `get`).
    MapValueOrNull,
    /// `ARG_PTR_TO_MAP_VALUE | MEM_UNINIT`: `value_size` writable bytes for that map's value,
    /// which the helper fills (`map_pop_elem`, `map_peek_elem`).
    MapValueUninit,
    /// `ARG_PTR_TO_MEM`, sized by the next argument ([`LinuxArg::ConstSize`]).
    Mem {
        /// `MEM_RDONLY`: the helper only reads the bytes. Otherwise it may write them, and the
        /// memory must be writable.
        read_only: bool,
        /// `MEM_UNINIT` (`ARG_PTR_TO_UNINIT_MEM`): the bytes may be uninitialised before the
        /// call; the helper writes all of them (zeroes where it has nothing).
        uninit: bool,
        /// `PTR_MAYBE_NULL`: 0 is accepted too (with a size of 0).
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_FIXED_SIZE_MEM` (once `ARG_PTR_TO_INT` for 4 bytes, `ARG_PTR_TO_LONG` for 8):
    /// memory of a size fixed by the prototype, not by a size argument.
    FixedMem {
        /// The size in bytes (`arg_size`).
        size: u32,
        /// `MEM_UNINIT`: the helper only writes the bytes. Every such argument is also
        /// `MEM_ALIGNED` (aligned to its size); the read ones are not.
        uninit: bool,
    },
    /// `ARG_CONST_SIZE` or `ARG_CONST_SIZE_OR_ZERO`: the size of the previous
    /// [`LinuxArg::Mem`], a scalar with a known upper bound.
    ConstSize {
        /// `ARG_CONST_SIZE_OR_ZERO`: 0 is a valid size.
        or_zero: bool,
    },
    /// `ARG_CONST_ALLOC_SIZE_OR_ZERO`: a known constant, the size of the memory the helper
    /// returns (`ringbuf_reserve`, `dynptr_data`).
    ConstAllocSizeOrZero,
    /// `ARG_PTR_TO_CTX`: the context pointer the program was given, unmodified.
    Ctx {
        /// `ARG_PTR_TO_CTX_OR_NULL`: 0 is accepted too.
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_SPIN_LOCK`: the `struct bpf_spin_lock` in a map value.
    SpinLock,
    /// `ARG_PTR_TO_SOCK_COMMON`: a socket pointer the program got from its context or a lookup.
    SockCommon,
    /// `ARG_PTR_TO_SOCKET` (`_OR_NULL`): a full socket.
    Socket {
        /// `ARG_PTR_TO_SOCKET_OR_NULL`: 0 is accepted too.
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`: any socket pointer, from the context, a lookup or BTF.
    BtfIdSockCommon {
        /// `PTR_MAYBE_NULL`: 0 is accepted too.
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_BTF_ID` (`_OR_NULL`): a pointer to a kernel object of BTF type `struct ty`
    /// (`arg_btf_id`); `ty` is empty where the verifier takes the type from elsewhere
    /// (`kptr_xchg`: the kptr field's type).
    BtfId {
        /// The struct's name (`"task_struct"`, `"file"`, ...).
        ty: &'static str,
        /// `ARG_PTR_TO_BTF_ID_OR_NULL`: 0 is accepted too.
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_PERCPU_BTF_ID`: a per-CPU kernel variable (`per_cpu_ptr`, `this_cpu_ptr`).
    PerCpuBtfId,
    /// `ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE` (once `ARG_PTR_TO_ALLOC_MEM`): a record from
    /// `ringbuf_reserve`, which the call releases.
    RingbufMem,
    /// `ARG_PTR_TO_FUNC`: a callback, a subprogram of the program (`loop`, `for_each_map_elem`,
    /// `timer_set_callback`, ...).
    Func,
    /// `ARG_PTR_TO_STACK` (`_OR_NULL`): the callback's context, on the stack.
    Stack {
        /// `ARG_PTR_TO_STACK_OR_NULL`: 0 is accepted too.
        maybe_null: bool,
    },
    /// `ARG_PTR_TO_CONST_STR`: a zero-terminated string in a read-only (frozen) map's value.
    ConstStr,
    /// `ARG_PTR_TO_TIMER`: the `struct bpf_timer` in a map value.
    Timer,
    /// `ARG_PTR_TO_KPTR`: a kptr field in a map value.
    Kptr,
    /// `ARG_PTR_TO_DYNPTR` with its flags: a `struct bpf_dynptr` on the stack.
    Dynptr(DynptrArg),
    /// An argument kind this catalogue does not model, by Linux's name.
    Other(&'static str),
}

/// How a helper uses a [`LinuxArg::Dynptr`] argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DynptrArg {
    /// `ARG_PTR_TO_DYNPTR | MEM_RDONLY`: an initialised dynptr of any kind, which the call does
    /// not change (it may read or write the data behind it).
    Init,
    /// `ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT`: stack slots the call initialises as
    /// a local dynptr (`dynptr_from_mem`).
    NewLocal,
    /// `ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT`: stack slots the call initialises
    /// as a ring-buffer dynptr, a reference the program must release
    /// (`ringbuf_reserve_dynptr`).
    NewRingbuf,
    /// `ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE`: a ring-buffer dynptr the call
    /// releases (`ringbuf_submit_dynptr`, `ringbuf_discard_dynptr`).
    ReleaseRingbuf,
}

/// What `r0` holds after the call (`enum bpf_return_type` and its flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinuxRet {
    /// `RET_INTEGER`: a scalar.
    Integer,
    /// `RET_VOID`: nothing; `r0` is unreadable after the call.
    Void,
    /// `RET_PTR_TO_MAP_VALUE`: a value of the map argument, never 0 (`get_local_storage`).
    MapValue,
    /// `RET_PTR_TO_MAP_VALUE_OR_NULL`: a value of the map argument, or 0.
    MapValueOrNull,
    /// `RET_PTR_TO_SOCKET_OR_NULL`: a full socket, or 0.
    SocketOrNull,
    /// `RET_PTR_TO_TCP_SOCK_OR_NULL`: a TCP socket, or 0.
    TcpSockOrNull,
    /// `RET_PTR_TO_SOCK_COMMON_OR_NULL`: a socket (maybe a request or time-wait one), or 0.
    SockCommonOrNull,
    /// `RET_PTR_TO_RINGBUF_MEM_OR_NULL` (once `RET_PTR_TO_ALLOC_MEM_OR_NULL`): a ring-buffer
    /// record of the size in the [`LinuxArg::ConstAllocSizeOrZero`] argument, or 0.
    AllocMemOrNull,
    /// `RET_PTR_TO_DYNPTR_MEM_OR_NULL`: the data behind a dynptr, of the size in the
    /// [`LinuxArg::ConstAllocSizeOrZero`] argument, or 0.
    DynptrMemOrNull,
    /// `RET_PTR_TO_BTF_ID`: a kernel object of BTF type `struct` (the name), never 0.
    BtfId(&'static str),
    /// `RET_PTR_TO_BTF_ID_TRUSTED`: a trusted kernel object of that type, never 0.
    BtfIdTrusted(&'static str),
    /// `RET_PTR_TO_BTF_ID_OR_NULL`: a kernel object of that type, or 0; an empty name means the
    /// verifier takes the type from an argument (`kptr_xchg`).
    BtfIdOrNull(&'static str),
    /// `RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY`: the per-CPU variable of the argument, read-only
    /// memory or a kernel object by its type.
    MemOrBtfId,
    /// `RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY | PTR_MAYBE_NULL`: the same, or 0.
    MemOrBtfIdOrNull,
    /// A return kind this catalogue does not model, by Linux's name.
    Other(&'static str),
}

/// The program types that may call a helper: a set of [`ProgramType`]s by their Linux id, the
/// union of Linux's `*_func_proto` tables that return the helper.
///
/// The named sets are those tables. [`Callers::ALL`] is `bpf_base_func_proto`, which every
/// program type falls back on (an `EXT` program takes its target's table). The base table
/// gives only its maps, clocks, ring buffers and string helpers to every loader: the rest (locks,
/// timers, callbacks, dynptrs, kptrs, per-CPU pointers, cgroup ids and storage, `jiffies64`)
/// needs `CAP_BPF`, and printing, `probe_read_*` and the current-task helpers `CAP_PERFMON`.
/// Some tables hand a helper out only to some attach types (noted in the rows).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Callers(pub u64);

impl Callers {
    /// No program type.
    pub const NONE: Callers = Callers(0);
    /// Every program type (`bpf_base_func_proto`).
    pub const ALL: Callers = Callers::of(ProgramType::ALL);
    /// `bpf_tracing_func_proto`: kprobes, tracepoints, perf events, raw tracepoints and the
    /// BTF-typed types that fall back on them (tracing, LSM, syscall).
    pub const TRACE: Callers = Callers::of(&[
        ProgramType::Kprobe,
        ProgramType::Tracepoint,
        ProgramType::PerfEvent,
        ProgramType::RawTracepoint,
        ProgramType::RawTracepointWritable,
        ProgramType::Tracing,
        ProgramType::Lsm,
        ProgramType::Syscall,
    ]);
    /// `tracing_prog_func_proto`: BTF-typed tracing and the types that fall back on it (LSM,
    /// syscall).
    pub const TRACING_PROG: Callers =
        Callers::of(&[ProgramType::Tracing, ProgramType::Lsm, ProgramType::Syscall]);
    /// `kprobe_prog_func_proto`.
    pub const KPROBE: Callers = Callers::of(&[ProgramType::Kprobe]);
    /// `tp_prog_func_proto`.
    pub const TRACEPOINT: Callers = Callers::of(&[ProgramType::Tracepoint]);
    /// `pe_prog_func_proto`.
    pub const PERF_EVENT: Callers = Callers::of(&[ProgramType::PerfEvent]);
    /// BTF-typed tracing alone (`fentry`, `fexit`, `fmod_ret`, `tp_btf`, iterators).
    pub const TRACING: Callers = Callers::of(&[ProgramType::Tracing]);
    /// `bpf_lsm_func_proto`.
    pub const LSM: Callers = Callers::of(&[ProgramType::Lsm]);
    /// `syscall_prog_func_proto`.
    pub const SYSCALL: Callers = Callers::of(&[ProgramType::Syscall]);
    /// `bpf_sk_base_func_proto`: the networking types whose tables fall back on it.
    pub const SK_BASE: Callers = Callers::of(&[
        ProgramType::SocketFilter,
        ProgramType::SchedCls,
        ProgramType::SchedAct,
        ProgramType::Xdp,
        ProgramType::CgroupSkb,
        ProgramType::LwtIn,
        ProgramType::LwtOut,
        ProgramType::LwtXmit,
        ProgramType::LwtSeg6local,
        ProgramType::SockOps,
        ProgramType::SkSkb,
        ProgramType::SkMsg,
        ProgramType::CgroupSockAddr,
        ProgramType::FlowDissector,
        ProgramType::SkLookup,
    ]);
    /// `sk_filter_func_proto`.
    pub const SOCKET_FILTER: Callers = Callers::of(&[ProgramType::SocketFilter]);
    /// `tc_cls_act_func_proto`: traffic-control classifiers and actions.
    pub const TC: Callers = Callers::of(&[ProgramType::SchedCls, ProgramType::SchedAct]);
    /// `xdp_func_proto`.
    pub const XDP: Callers = Callers::of(&[ProgramType::Xdp]);
    /// `cg_skb_func_proto`.
    pub const CGROUP_SKB: Callers = Callers::of(&[ProgramType::CgroupSkb]);
    /// `sock_filter_func_proto`.
    pub const CGROUP_SOCK: Callers = Callers::of(&[ProgramType::CgroupSock]);
    /// `sock_addr_func_proto`.
    pub const CGROUP_SOCK_ADDR: Callers = Callers::of(&[ProgramType::CgroupSockAddr]);
    /// `cgroup_dev_func_proto`.
    pub const CGROUP_DEVICE: Callers = Callers::of(&[ProgramType::CgroupDevice]);
    /// `sysctl_func_proto`.
    pub const CGROUP_SYSCTL: Callers = Callers::of(&[ProgramType::CgroupSysctl]);
    /// `cg_sockopt_func_proto`.
    pub const CGROUP_SOCKOPT: Callers = Callers::of(&[ProgramType::CgroupSockopt]);
    /// `cgroup_common_func_proto`: every cgroup hook (some helpers only for some attach types).
    pub const CGROUP_COMMON: Callers = Callers::of(&[
        ProgramType::CgroupSkb,
        ProgramType::CgroupSock,
        ProgramType::CgroupSockAddr,
        ProgramType::SockOps,
        ProgramType::CgroupDevice,
        ProgramType::CgroupSysctl,
        ProgramType::CgroupSockopt,
    ]);
    /// `cgroup_current_func_proto`: the cgroup hooks that run in process context.
    pub const CGROUP_CURRENT: Callers = Callers::of(&[
        ProgramType::CgroupSock,
        ProgramType::CgroupSockAddr,
        ProgramType::CgroupDevice,
        ProgramType::CgroupSysctl,
        ProgramType::CgroupSockopt,
    ]);
    /// `lwt_out_func_proto`, which the other lightweight-tunnel tables fall back on.
    pub const LWT: Callers = Callers::of(&[
        ProgramType::LwtIn,
        ProgramType::LwtOut,
        ProgramType::LwtXmit,
        ProgramType::LwtSeg6local,
    ]);
    /// `lwt_in_func_proto`.
    pub const LWT_IN: Callers = Callers::of(&[ProgramType::LwtIn]);
    /// `lwt_xmit_func_proto`.
    pub const LWT_XMIT: Callers = Callers::of(&[ProgramType::LwtXmit]);
    /// `lwt_seg6local_func_proto`.
    pub const LWT_SEG6LOCAL: Callers = Callers::of(&[ProgramType::LwtSeg6local]);
    /// `sock_ops_func_proto`.
    pub const SOCK_OPS: Callers = Callers::of(&[ProgramType::SockOps]);
    /// `sk_skb_func_proto`.
    pub const SK_SKB: Callers = Callers::of(&[ProgramType::SkSkb]);
    /// `sk_msg_func_proto`.
    pub const SK_MSG: Callers = Callers::of(&[ProgramType::SkMsg]);
    /// `sk_reuseport_func_proto`.
    pub const SK_REUSEPORT: Callers = Callers::of(&[ProgramType::SkReuseport]);
    /// `sk_lookup_func_proto`.
    pub const SK_LOOKUP: Callers = Callers::of(&[ProgramType::SkLookup]);
    /// `flow_dissector_func_proto`.
    pub const FLOW_DISSECTOR: Callers = Callers::of(&[ProgramType::FlowDissector]);
    /// `lirc_mode2_func_proto`.
    pub const LIRC_MODE2: Callers = Callers::of(&[ProgramType::LircMode2]);
    /// `bpf_tcp_ca_get_func_proto`: TCP congestion control in `struct_ops`.
    pub const STRUCT_OPS: Callers = Callers::of(&[ProgramType::StructOps]);

    /// The set of these program types.
    pub const fn of(types: &[ProgramType]) -> Callers {
        let mut bits = 0u64;
        let mut i = 0;
        while i < types.len() {
            let id = types[i] as u32;
            if id < 64 {
                bits |= 1 << id;
            }
            i += 1;
        }
        Callers(bits)
    }

    /// The union of these sets.
    pub const fn union(sets: &[Callers]) -> Callers {
        let mut bits = 0u64;
        let mut i = 0;
        while i < sets.len() {
            bits |= sets[i].0;
            i += 1;
        }
        Callers(bits)
    }

    /// Whether programs of type `t` may call the helper.
    pub const fn contains(self, t: ProgramType) -> bool {
        let id = t as u32;
        id < 64 && self.0 & (1 << id) != 0
    }

    /// The program types in the set, by id.
    pub fn iter(self) -> impl Iterator<Item = ProgramType> {
        ProgramType::ALL
            .iter()
            .copied()
            .filter(move |&t| self.contains(t))
    }
}

impl fmt::Debug for Callers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Callers::ALL {
            return f.write_str("all");
        }
        f.debug_set()
            .entries(self.iter().map(ProgramType::name))
            .finish()
    }
}

/// One helper of Linux's catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinuxHelper {
    /// The id, the `imm` of a `call` (`BPF_FUNC_*`).
    pub id: u32,
    /// The name without `bpf_` (`"map_lookup_elem"`).
    pub name: &'static str,
    /// `r1` to `r5`; unused ones are [`LinuxArg::DontCare`].
    pub args: [LinuxArg; 5],
    /// `r0` after the call.
    pub ret: LinuxRet,
    /// For a [`LinuxArg::ConstMapPtr`] argument: the Linux map types (`enum bpf_map_type`) it
    /// accepts, as `check_map_func_compatibility` allows them both ways (the map type's helpers
    /// and the helper's map types), sorted; empty if the helper takes no map. A map's own
    /// operations may still refuse (not every map implements `map_for_each_callback`, and only
    /// hash, LRU hash and array maps hold timers); `map_update_elem` and `map_delete_elem` on a
    /// sockmap or sockhash are allowed only in some program types (`may_update_sockmap`).
    pub map_types: &'static [u32],
    /// `.pkt_access`: pointers into the packet may be passed for memory arguments.
    pub pkt_access: bool,
    /// `bpf_helper_changes_pkt_data`: the helper may move or resize the packet, so every
    /// packet pointer is invalid after the call.
    pub changes_packet: bool,
    /// `.gpl_only`: only programs under a GPL-compatible license may call it.
    pub gpl_only: bool,
    /// `is_acquire_function`: `r0` is a new reference the program must release before it
    /// exits (the socket lookups, `ringbuf_reserve`, `kptr_xchg`). `map_lookup_elem` acquires
    /// too when its map is a sockmap or sockhash, which only the map tells; its row says false.
    pub acquires: bool,
    /// `OBJ_RELEASE`: the register (1 to 5) whose reference the call releases.
    pub releases: Option<u8>,
    /// The program types that may call it.
    pub callers: Callers,
}

impl LinuxHelper {
    /// The prototype oxbpf's verifier checks calls of the helper with, when every argument and
    /// the result are of kinds it models: numbers, maps of the helper's types (changed by it
    /// unless it only looks up or peeks), keys and values, memory the helper only reads or
    /// wholly writes with its size, the context. `None` otherwise (memory it both reads and
    /// writes, memory that may be null, sockets, kernel objects, callbacks, ...): a call is
    /// then refused unless the host gives a prototype of its own.
    pub fn proto(&self) -> Option<Proto> {
        let writes = !(self.name.contains("lookup") || self.name.contains("peek"));
        let mut args = [Arg::Unused; 5];
        for (slot, a) in args.iter_mut().zip(&self.args) {
            *slot = match *a {
                LinuxArg::DontCare => Arg::Unused,
                LinuxArg::Anything => Arg::Any,
                LinuxArg::ConstMapPtr => Arg::Map(MapArg {
                    types: MapTypes::of(self.map_types),
                    writes,
                }),
                LinuxArg::MapKey => Arg::MapKey,
                LinuxArg::MapValue => Arg::MapValue,
                LinuxArg::MapValueUninit => Arg::MapValueOut,
                LinuxArg::Mem {
                    read_only: true,
                    uninit: false,
                    maybe_null: false,
                } => Arg::Mem,
                LinuxArg::Mem {
                    uninit: true,
                    maybe_null: false,
                    ..
                } => Arg::MemOut,
                LinuxArg::Mem {
                    read_only: false,
                    uninit: false,
                    maybe_null: false,
                } => Arg::MemInOut,
                LinuxArg::Mem {
                    read_only: true,
                    uninit: false,
                    maybe_null: true,
                } => Arg::MemOrNull,
                LinuxArg::ConstSize { .. } => Arg::Size,
                LinuxArg::Ctx { maybe_null: false } => Arg::Ctx,
                LinuxArg::SockCommon => Arg::Sock,
                LinuxArg::SpinLock if self.name == "spin_lock" => Arg::Lock,
                LinuxArg::SpinLock => Arg::Unlock,
                _ => return None,
            };
        }
        let ret = match self.ret {
            LinuxRet::Integer | LinuxRet::Void => Ret::Scalar,
            LinuxRet::MapValueOrNull => Ret::MapValueOrNull,
            LinuxRet::MapValue => Ret::MapValue,
            // `ringbuf_reserve(map, size, flags)`: a record of that size.
            LinuxRet::AllocMemOrNull if self.args[1] == LinuxArg::ConstAllocSizeOrZero => {
                Ret::RecordOrNull
            }
            // What a socket argument leads to (`sk_fullsock`, `tcp_sock`, `get_listener_sock`);
            // a lookup's new reference is another matter.
            LinuxRet::SocketOrNull if self.args[0] == LinuxArg::SockCommon => Ret::SocketOrNull,
            LinuxRet::TcpSockOrNull if self.args[0] == LinuxArg::SockCommon => Ret::TcpSockOrNull,
            _ => return None,
        };
        Some(Proto { args, ret })
    }

    /// Whether programs of type `t` may call the helper.
    pub const fn callable_from(&self, t: ProgramType) -> bool {
        self.callers.contains(t)
    }

    /// Whether the helper's map argument accepts maps of the Linux type `map_type`.
    pub fn accepts_map_type(&self, map_type: u32) -> bool {
        self.map_types.contains(&map_type)
    }

    /// The number of arguments Linux declares (the index after the last one not
    /// [`LinuxArg::DontCare`]).
    pub fn arity(&self) -> usize {
        self.args
            .iter()
            .rposition(|a| *a != LinuxArg::DontCare)
            .map_or(0, |i| i + 1)
    }

    /// A row of the table: the prototype, with every flag off and no map types.
    const fn new(
        id: u32,
        name: &'static str,
        args: &[LinuxArg],
        ret: LinuxRet,
        callers: Callers,
    ) -> LinuxHelper {
        assert!(args.len() <= 5, "a helper takes at most five arguments");
        let mut all = [LinuxArg::DontCare; 5];
        let mut i = 0;
        while i < args.len() {
            all[i] = args[i];
            i += 1;
        }
        LinuxHelper {
            id,
            name,
            args: all,
            ret,
            map_types: &[],
            pkt_access: false,
            changes_packet: false,
            gpl_only: false,
            acquires: false,
            releases: None,
            callers,
        }
    }

    const fn maps(mut self, types: &'static [u32]) -> LinuxHelper {
        self.map_types = types;
        self
    }

    const fn pkt(mut self) -> LinuxHelper {
        self.pkt_access = true;
        self
    }

    const fn changes(mut self) -> LinuxHelper {
        self.changes_packet = true;
        self
    }

    const fn gpl(mut self) -> LinuxHelper {
        self.gpl_only = true;
        self
    }

    const fn acquire(mut self) -> LinuxHelper {
        self.acquires = true;
        self
    }

    const fn release(mut self, register: u8) -> LinuxHelper {
        self.releases = Some(register);
        self
    }
}

/// Declares rows: `id "name"(args) -> ret, [callers], flags;`, where the return kind is a
/// [`LinuxRet`] variant, the callers are [`Callers`] sets and the flags are `maps(types)`, `pkt`,
/// `changes`, `gpl`, `acquire` and `release(register)`.
macro_rules! helpers {
    ($(
        $id:literal $name:literal ($($arg:expr),* $(,)?) -> $ret:ident $(($retty:expr))?,
        [$($caller:ident),* $(,)?] $(, $flag:ident $(($value:expr))?)* ;
    )*) => {
        &[$(
            $crate::catalogue::LinuxHelper::new(
                $id,
                $name,
                &[$($arg),*],
                $crate::catalogue::LinuxRet::$ret $(($retty))?,
                $crate::catalogue::Callers::union(&[$($crate::catalogue::Callers::$caller),*]),
            )
            $(.$flag($($value)?))*
        ),*]
    };
}
use helpers;

/// The highest helper id in the catalogue (`cgrp_storage_delete`).
pub const MAX_ID: u32 = 211;

/// A slot no row has filled.
const EMPTY: LinuxHelper = LinuxHelper::new(0, "", &[], LinuxRet::Void, Callers::NONE);

/// Places every row at index `id - 1`, refusing (at compile time) a missing or repeated id.
const fn by_id(families: &[&[LinuxHelper]]) -> [LinuxHelper; MAX_ID as usize] {
    let mut table = [EMPTY; MAX_ID as usize];
    let mut f = 0;
    while f < families.len() {
        let mut i = 0;
        while i < families[f].len() {
            let row = families[f][i];
            assert!(row.id >= 1 && row.id <= MAX_ID, "helper id out of range");
            let slot = (row.id - 1) as usize;
            assert!(table[slot].id == 0, "helper id listed twice");
            table[slot] = row;
            i += 1;
        }
        f += 1;
    }
    let mut slot = 0;
    while slot < table.len() {
        assert!(table[slot].id != 0, "helper id missing");
        slot += 1;
    }
    table
}

static TABLE: [LinuxHelper; MAX_ID as usize] =
    by_id(&[base::HELPERS, trace::HELPERS, net::HELPERS, hooks::HELPERS]);

/// Every helper by id: `HELPERS[i].id == i + 1` (id 0, `unspec`, is no helper).
pub const HELPERS: &[LinuxHelper] = &TABLE;

/// The helper with id `id`.
pub fn helper(id: u32) -> Option<&'static LinuxHelper> {
    let index = usize::try_from(id.checked_sub(1)?).ok()?;
    HELPERS.get(index)
}

/// The helper named `name`, without `bpf_` (`"map_lookup_elem"`); a `bpf_` prefix is ignored.
pub fn by_name(name: &str) -> Option<&'static LinuxHelper> {
    let name = name.strip_prefix("bpf_").unwrap_or(name);
    HELPERS.iter().find(|h| h.name == name)
}

#[cfg(test)]
mod tests;
