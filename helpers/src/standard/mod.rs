//! The standard helpers, under their Linux ids, over one object's maps and the host
//! environment.
//!
//! Pointer arguments are read and written through the run's [`MemoryMap`](oxbpf_core::MemoryMap),
//! so a helper reaches exactly what the program could: a bad key or value pointer stops the run
//! with a helper error naming the argument, while the `probe_read` family returns `-EFAULT` as in
//! Linux. Map value pointers that `map_lookup_elem` returns and ring-buffer records that
//! `ringbuf_reserve` returns are regions of the run; a submitted or discarded record stops being
//! one.

mod maps;
mod misc;
mod printk;
mod probe;
mod ringbuf;

use crate::env::HostEnv;
use crate::map::MapSet;
use oxbpf_core::{HelperContext, HelperRegistry, HelperResult, HelperStop};
use std::sync::Arc;

/// A standard helper's Linux id and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelperId {
    /// The id (`call ID`).
    pub id: u32,
    /// The name, without the `bpf_` prefix.
    pub name: &'static str,
}

macro_rules! ids {
    ($($konst:ident = $id:literal, $name:literal;)*) => {
        $(
            #[doc = concat!("`bpf_", $name, "`.")]
            pub const $konst: HelperId = HelperId { id: $id, name: $name };
        )*
        /// Every standard helper, by id.
        pub const ALL: &[HelperId] = &[$($konst),*];
    };
}

ids! {
    MAP_LOOKUP_ELEM = 1, "map_lookup_elem";
    MAP_UPDATE_ELEM = 2, "map_update_elem";
    MAP_DELETE_ELEM = 3, "map_delete_elem";
    PROBE_READ = 4, "probe_read";
    KTIME_GET_NS = 5, "ktime_get_ns";
    TRACE_PRINTK = 6, "trace_printk";
    GET_PRANDOM_U32 = 7, "get_prandom_u32";
    GET_SMP_PROCESSOR_ID = 8, "get_smp_processor_id";
    TAIL_CALL = 12, "tail_call";
    GET_CURRENT_PID_TGID = 14, "get_current_pid_tgid";
    GET_CURRENT_UID_GID = 15, "get_current_uid_gid";
    GET_CURRENT_COMM = 16, "get_current_comm";
    PROBE_READ_STR = 45, "probe_read_str";
    MAP_PUSH_ELEM = 87, "map_push_elem";
    MAP_POP_ELEM = 88, "map_pop_elem";
    MAP_PEEK_ELEM = 89, "map_peek_elem";
    PROBE_READ_USER = 112, "probe_read_user";
    PROBE_READ_KERNEL = 113, "probe_read_kernel";
    PROBE_READ_USER_STR = 114, "probe_read_user_str";
    PROBE_READ_KERNEL_STR = 115, "probe_read_kernel_str";
    RINGBUF_OUTPUT = 130, "ringbuf_output";
    RINGBUF_RESERVE = 131, "ringbuf_reserve";
    RINGBUF_SUBMIT = 132, "ringbuf_submit";
    RINGBUF_DISCARD = 133, "ringbuf_discard";
    RINGBUF_QUERY = 134, "ringbuf_query";
    LOOP = 181, "loop";
}

/// `-errno` as a register value.
pub(crate) fn neg(errno: i64) -> u64 {
    (-errno) as u64
}

/// `EFAULT`.
pub(crate) const EFAULT: i64 = 14;
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
}

type Body = fn(&Env, &mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult;

fn body(id: HelperId) -> Body {
    match id.id {
        1 => maps::lookup,
        2 => maps::update,
        3 => maps::delete,
        87 => maps::push,
        88 => maps::pop,
        89 => maps::peek,
        12 => maps::tail_call,
        4 | 112 | 113 => probe::read,
        45 | 114 | 115 => probe::read_str,
        5 => misc::ktime_get_ns,
        6 => printk::trace_printk,
        7 => misc::prandom,
        8 => misc::processor_id,
        14 => misc::pid_tgid,
        15 => misc::uid_gid,
        16 => misc::comm,
        130 => ringbuf::output,
        131 => ringbuf::reserve,
        132 => ringbuf::submit,
        133 => ringbuf::discard,
        134 => ringbuf::query,
        _ => misc::bpf_loop,
    }
}

/// Registers every standard helper in `registry`, serving `maps` and `host`. Helpers the host
/// registered under the same ids or names are replaced.
pub fn register(registry: &mut HelperRegistry, maps: &MapSet, host: &HostEnv) {
    let env = Arc::new(Env {
        maps: maps.clone(),
        host: host.clone(),
    });
    for &id in ALL {
        let f = body(id);
        let env = env.clone();
        registry.register(id.id, id.name, move |hc, args| f(&env, hc, args));
    }
}
