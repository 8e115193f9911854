//! The standard helpers, under their Linux ids, over one object's maps and the host
//! environment.
//!
//! Pointer arguments are read and written through the run's [`MemoryMap`](oxbpf_core::MemoryMap),
//! so a helper reaches exactly what the program could: a bad key or value pointer stops the run
//! with a helper error naming the argument, while the `probe_read` family returns `-EFAULT` as in
//! Linux. Map value pointers that `map_lookup_elem` returns and ring-buffer records that
//! `ringbuf_reserve` returns are regions of the run; a submitted or discarded record stops being
//! one.
//!
//! # Map types each map helper takes
//!
//! The type sets below are Linux's `check_map_func_compatibility`, with these differences where
//! a verified program could otherwise be misled, each waiting on the verifier:
//!
//! - `map_lookup_elem` on a map of maps ([`MAP_OF_MAPS`]) returns the inner map (its handle),
//!   not a pointer to a value: the verifier types the result as a map of the outer map's
//!   template (`MapDef::inner`), or null. Every map helper takes the handle (the maps of a
//!   set's maps of maps are found by handle, and one a run looked up stays alive until that
//!   run ends).
//! - `map_peek_elem` on a bloom filter reads the value it is given, where on queues and stacks
//!   it writes it ([`Arg::MapValueOut`]); [`PEEK_MAPS`] leaves bloom filters out until the
//!   verifier can tell the two apart (Linux takes the buffer as written in both cases).
//! - SOCKMAP and SOCKHASH lookups and updates take and return sockets in Linux, which programs
//!   here have none of: only `map_delete_elem` takes them ([`DELETE_MAPS`]); a lookup finds
//!   nothing and an update is `-EINVAL`.
//!
//! XSKMAP lookups return a read-only pointer to the entry's value (Linux returns the AF_XDP
//! socket); device map lookups return a read-only pointer to the value, as Linux's do.
//!
//! At run time a map helper given a map of a type Linux's verifier would refuse for it returns
//! `-EINVAL` (a null pointer for `map_lookup_elem`), so unverified programs see what verified
//! ones could not do.
//!
//! # Redirects
//!
//! `redirect` (23) and `redirect_map` (51) record their target for the host in
//! [`redirect`](crate::redirect) (per thread, like Linux's per-CPU redirect info). `redirect`
//! follows the XDP variant: it returns `XDP_REDIRECT` (4), or `XDP_ABORTED` (0) for flags other
//! than 0. Linux's TC variant of the same helper id returns `TC_ACT_REDIRECT` (7) and accepts
//! `BPF_F_INGRESS`; a host running TC programs registers its own helper under id 23.
//!
//! # Packet helpers
//!
//! The helpers that read, write and reshape a packet (`xdp_adjust_head`, `skb_load_bytes`,
//! `l4_csum_replace`, ...) work on a program type's context layout, so they are registered per
//! type, apart from these: see [`register_packet`].

mod lock;
mod maps;
mod misc;
mod packet;
mod printk;
mod probe;
mod redirect;
mod ringbuf;
mod socket;
mod trace;

pub use packet::register_packet;

use crate::env::HostEnv;
use crate::map::MapSet;
use oxbpf_core::{
    Arg, HelperContext, HelperRegistry, HelperResult, HelperStop, MapArg, MapTypes, Proto, Ret,
};
use std::sync::Arc;

/// A standard helper's Linux id, name and prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelperId {
    /// The id (`call ID`).
    pub id: u32,
    /// The name, without the `bpf_` prefix.
    pub name: &'static str,
    /// What the verifier checks at its calls.
    pub proto: Proto,
}

type Body = fn(&Env, &mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult;

/// Declares each helper's id constant, [`ALL`], and the body serving it.
macro_rules! helpers {
    ($($konst:ident = $id:literal, $name:literal, $proto:expr => $body:path;)*) => {
        $(
            #[doc = concat!("`bpf_", $name, "`.")]
            pub const $konst: HelperId = HelperId { id: $id, name: $name, proto: $proto };
        )*
        /// Every standard helper, by id.
        pub const ALL: &[HelperId] = &[$($konst),*];
        /// Every standard helper with its body.
        const BODIES: &[(HelperId, Body)] = &[$(($konst, $body)),*];
    };
}

use Arg::{
    Address, Any, Ctx, MapKey, MapValue, MapValueOut, Mem, MemOut, Record, Scalar, Size, Unused,
};

/// Maps of keys and values, which `map_update_elem` takes: hash, array, per-CPU hash and
/// array, LRU hash and LRU per-CPU hash, LPM trie.
pub const KEYED_MAPS: MapTypes = MapTypes::of(&[1, 2, 5, 6, 9, 10, 11]);
/// What `map_lookup_elem` takes: [`KEYED_MAPS`], device maps (14, 25) and XSKMAPs (17), whose
/// values programs only read, and maps of maps ([`MAP_OF_MAPS`]), which give an inner map.
pub const LOOKUP_MAPS: MapTypes = MapTypes::of(&[1, 2, 5, 6, 9, 10, 11, 12, 13, 14, 17, 25]);
/// Maps of maps (12, 13): `map_lookup_elem` on them returns the inner map (see the module
/// documentation).
pub const MAP_OF_MAPS: MapTypes = MapTypes::of(&[12, 13]);
/// What `map_delete_elem` takes: [`KEYED_MAPS`] and socket maps (15, 18).
pub const DELETE_MAPS: MapTypes = MapTypes::of(&[1, 2, 5, 6, 9, 10, 11, 15, 18]);
/// What `map_push_elem` takes: queues, stacks and bloom filters.
pub const PUSH_MAPS: MapTypes = MapTypes::of(&[22, 23, 30]);
/// Queues and stacks, which `map_pop_elem` takes.
pub const QUEUE_MAPS: MapTypes = MapTypes::of(&[22, 23]);
/// What `map_peek_elem` takes in verified programs: queues and stacks. Linux also takes bloom
/// filters (30), whose peek reads the value rather than writing it (see the module
/// documentation).
pub const PEEK_MAPS: MapTypes = MapTypes::of(&[22, 23]);
/// Cgroup storage (shared and per-CPU), which `get_local_storage` takes.
pub const STORAGE_MAPS: MapTypes = MapTypes::of(&[19, 21]);
/// Ring buffers, which the `ringbuf_*` helpers take.
pub const RING_MAPS: MapTypes = MapTypes::of(&[27]);
/// Program arrays, which only `tail_call` takes (programs never change them).
pub const PROG_MAPS: MapTypes = MapTypes::of(&[3]);
/// Perf event arrays, which `perf_event_output` takes.
pub const PERF_MAPS: MapTypes = MapTypes::of(&[4]);
/// Stack trace maps, which `get_stackid` takes.
pub const STACK_TRACE_MAPS: MapTypes = MapTypes::of(&[7]);
/// Redirect maps, which `redirect_map` takes: device maps (14, 25), CPU maps (16) and XSKMAPs
/// (17).
pub const REDIRECT_MAPS: MapTypes = MapTypes::of(&[14, 16, 17, 25]);

/// A map argument the helper reads, of `types`.
const fn map(types: MapTypes) -> Arg {
    Arg::Map(MapArg::reads(types))
}

/// A map argument whose contents the helper changes, of `types`.
const fn map_w(types: MapTypes) -> Arg {
    Arg::Map(MapArg::writes(types))
}

/// A helper returning a scalar.
const fn s(args: [Arg; 5]) -> Proto {
    Proto::scalar(args)
}

/// `(dst, size, unsafe_ptr)`: the `probe_read` family, whose source the helper looks up in the
/// run's regions itself when it is a number.
const PROBE: Proto = s([MemOut, Size, Address, Unused, Unused]);
/// No arguments, a scalar result.
const NONE: Proto = s([Unused; 5]);

helpers! {
    MAP_LOOKUP_ELEM = 1, "map_lookup_elem",
        Proto { args: [map(LOOKUP_MAPS), MapKey, Unused, Unused, Unused], ret: Ret::MapValueOrNull }
        => maps::lookup;
    MAP_UPDATE_ELEM = 2, "map_update_elem", s([map_w(KEYED_MAPS), MapKey, MapValue, Scalar, Unused])
        => maps::update;
    MAP_DELETE_ELEM = 3, "map_delete_elem", s([map_w(DELETE_MAPS), MapKey, Unused, Unused, Unused])
        => maps::delete;
    PROBE_READ = 4, "probe_read", PROBE => probe::read;
    KTIME_GET_NS = 5, "ktime_get_ns", NONE => misc::ktime_get_ns;
    TRACE_PRINTK = 6, "trace_printk", s([Mem, Size, Unused, Unused, Unused]) => printk::trace_printk;
    GET_PRANDOM_U32 = 7, "get_prandom_u32", NONE => misc::prandom;
    GET_SMP_PROCESSOR_ID = 8, "get_smp_processor_id", NONE => misc::processor_id;
    TAIL_CALL = 12, "tail_call", s([Ctx, map(PROG_MAPS), Scalar, Unused, Unused]) => maps::tail_call;
    GET_CURRENT_PID_TGID = 14, "get_current_pid_tgid", NONE => misc::pid_tgid;
    GET_CURRENT_UID_GID = 15, "get_current_uid_gid", NONE => misc::uid_gid;
    GET_CURRENT_COMM = 16, "get_current_comm", s([MemOut, Size, Unused, Unused, Unused])
        => misc::comm;
    REDIRECT = 23, "redirect", s([Scalar, Scalar, Unused, Unused, Unused]) => redirect::redirect;
    PERF_EVENT_OUTPUT = 25, "perf_event_output", s([Ctx, map_w(PERF_MAPS), Scalar, Mem, Size])
        => trace::perf_event_output;
    GET_STACKID = 27, "get_stackid", s([Ctx, map_w(STACK_TRACE_MAPS), Scalar, Unused, Unused])
        => trace::get_stackid;
    PROBE_READ_STR = 45, "probe_read_str", PROBE => probe::read_str;
    REDIRECT_MAP = 51, "redirect_map", s([map(REDIRECT_MAPS), Scalar, Scalar, Unused, Unused])
        => redirect::redirect_map;
    GET_CURRENT_CGROUP_ID = 80, "get_current_cgroup_id", NONE => misc::cgroup_id;
    GET_LOCAL_STORAGE = 81, "get_local_storage",
        Proto { args: [map(STORAGE_MAPS), Scalar, Unused, Unused, Unused], ret: Ret::MapValue }
        => maps::local_storage;
    MAP_PUSH_ELEM = 87, "map_push_elem", s([map_w(PUSH_MAPS), MapValue, Scalar, Unused, Unused])
        => maps::push;
    MAP_POP_ELEM = 88, "map_pop_elem", s([map_w(QUEUE_MAPS), MapValueOut, Unused, Unused, Unused])
        => maps::pop;
    MAP_PEEK_ELEM = 89, "map_peek_elem", s([map(PEEK_MAPS), MapValueOut, Unused, Unused, Unused])
        => maps::peek;
    SPIN_LOCK = 93, "spin_lock", s([Arg::Lock, Unused, Unused, Unused, Unused]) => lock::take;
    SPIN_UNLOCK = 94, "spin_unlock", s([Arg::Unlock, Unused, Unused, Unused, Unused])
        => lock::release;
    PROBE_READ_USER = 112, "probe_read_user", PROBE => probe::read;
    PROBE_READ_KERNEL = 113, "probe_read_kernel", PROBE => probe::read;
    PROBE_READ_USER_STR = 114, "probe_read_user_str", PROBE => probe::read_str;
    PROBE_READ_KERNEL_STR = 115, "probe_read_kernel_str", PROBE => probe::read_str;
    RINGBUF_OUTPUT = 130, "ringbuf_output", s([map(RING_MAPS), Mem, Size, Scalar, Unused])
        => ringbuf::output;
    RINGBUF_RESERVE = 131, "ringbuf_reserve",
        Proto { args: [map(RING_MAPS), Scalar, Scalar, Unused, Unused], ret: Ret::RecordOrNull }
        => ringbuf::reserve;
    RINGBUF_SUBMIT = 132, "ringbuf_submit", s([Record, Scalar, Unused, Unused, Unused])
        => ringbuf::submit;
    RINGBUF_DISCARD = 133, "ringbuf_discard", s([Record, Scalar, Unused, Unused, Unused])
        => ringbuf::discard;
    RINGBUF_QUERY = 134, "ringbuf_query", s([map(RING_MAPS), Scalar, Unused, Unused, Unused])
        => ringbuf::query;
    LOOP = 181, "loop", s([Scalar, Any, Unused, Scalar, Unused]) => misc::bpf_loop;
}

/// `-errno` as a register value.
pub(crate) fn neg(errno: i64) -> u64 {
    (-errno) as u64
}

/// `EPERM`.
pub(crate) const EPERM: i64 = 1;
/// `EACCES`.
pub(crate) const EACCES: i64 = 13;
/// `EFAULT`.
pub(crate) const EFAULT: i64 = 14;
/// `E2BIG`.
pub(crate) const E2BIG: i64 = 7;
/// `EINVAL`.
pub(crate) const EINVAL: i64 = 22;

/// A helper error naming the argument at fault.
pub(crate) fn arg_error(what: &str, detail: impl std::fmt::Display) -> HelperStop {
    HelperStop::Error(format!("{what}: {detail}"))
}

/// What every standard helper reaches.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) maps: MapSet,
    pub(crate) host: HostEnv,
    /// Inner maps runs in progress looked up, kept alive until each run ends.
    pub(crate) pins: maps::Pins,
}

/// Registers every standard helper in `registry`, serving `maps` and `host`. Helpers the host
/// registered under the same ids or names are replaced.
pub fn register(registry: &mut HelperRegistry, maps: &MapSet, host: &HostEnv) {
    let env = Arc::new(Env {
        maps: maps.clone(),
        host: host.clone(),
        pins: maps::Pins::default(),
    });
    for &(id, f) in BODIES {
        let env = env.clone();
        registry.register_with_proto(
            id.id,
            id.name,
            Some(id.proto),
            Arc::new(move |hc, args| f(&env, hc, args)),
        );
    }
}
