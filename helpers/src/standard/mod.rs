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

type Body = fn(&Env, &mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult;

/// Declares each helper's id constant, [`ALL`], and the body serving it.
macro_rules! helpers {
    ($($konst:ident = $id:literal, $name:literal => $body:path;)*) => {
        $(
            #[doc = concat!("`bpf_", $name, "`.")]
            pub const $konst: HelperId = HelperId { id: $id, name: $name };
        )*
        /// Every standard helper, by id.
        pub const ALL: &[HelperId] = &[$($konst),*];
        /// Every standard helper with its body.
        const BODIES: &[(HelperId, Body)] = &[$(($konst, $body)),*];
    };
}

helpers! {
    MAP_LOOKUP_ELEM = 1, "map_lookup_elem" => maps::lookup;
    MAP_UPDATE_ELEM = 2, "map_update_elem" => maps::update;
    MAP_DELETE_ELEM = 3, "map_delete_elem" => maps::delete;
    PROBE_READ = 4, "probe_read" => probe::read;
    KTIME_GET_NS = 5, "ktime_get_ns" => misc::ktime_get_ns;
    TRACE_PRINTK = 6, "trace_printk" => printk::trace_printk;
    GET_PRANDOM_U32 = 7, "get_prandom_u32" => misc::prandom;
    GET_SMP_PROCESSOR_ID = 8, "get_smp_processor_id" => misc::processor_id;
    TAIL_CALL = 12, "tail_call" => maps::tail_call;
    GET_CURRENT_PID_TGID = 14, "get_current_pid_tgid" => misc::pid_tgid;
    GET_CURRENT_UID_GID = 15, "get_current_uid_gid" => misc::uid_gid;
    GET_CURRENT_COMM = 16, "get_current_comm" => misc::comm;
    PROBE_READ_STR = 45, "probe_read_str" => probe::read_str;
    MAP_PUSH_ELEM = 87, "map_push_elem" => maps::push;
    MAP_POP_ELEM = 88, "map_pop_elem" => maps::pop;
    MAP_PEEK_ELEM = 89, "map_peek_elem" => maps::peek;
    PROBE_READ_USER = 112, "probe_read_user" => probe::read;
    PROBE_READ_KERNEL = 113, "probe_read_kernel" => probe::read;
    PROBE_READ_USER_STR = 114, "probe_read_user_str" => probe::read_str;
    PROBE_READ_KERNEL_STR = 115, "probe_read_kernel_str" => probe::read_str;
    RINGBUF_OUTPUT = 130, "ringbuf_output" => ringbuf::output;
    RINGBUF_RESERVE = 131, "ringbuf_reserve" => ringbuf::reserve;
    RINGBUF_SUBMIT = 132, "ringbuf_submit" => ringbuf::submit;
    RINGBUF_DISCARD = 133, "ringbuf_discard" => ringbuf::discard;
    RINGBUF_QUERY = 134, "ringbuf_query" => ringbuf::query;
    LOOP = 181, "loop" => misc::bpf_loop;
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

/// Registers every standard helper in `registry`, serving `maps` and `host`. Helpers the host
/// registered under the same ids or names are replaced.
pub fn register(registry: &mut HelperRegistry, maps: &MapSet, host: &HostEnv) {
    let env = Arc::new(Env {
        maps: maps.clone(),
        host: host.clone(),
    });
    for &(id, f) in BODIES {
        let env = env.clone();
        registry.register(id.id, id.name, move |hc, args| f(&env, hc, args));
    }
}
