//! The map types beyond arrays, hashes, queues and ring buffers, against Linux's documented
//! behaviour: errnos and flags per type, LPM longest match, stack ids, perf records, maps of
//! maps, redirect fallbacks, socket maps, cgroup storage and bloom filters. One binary.

mod bloom;
mod definitions;
mod lpm;
mod of_maps;
mod perf;
mod sockets;
mod stacks;
mod storage;
mod targets;

use oxbpf_core::{Backend, Config, HelperContext, HelperRegistry, HelperResult, Program, Trap};
use oxbpf_helpers::{HostEnv, Map, MapDef, MapError, MapSet, MapType};
use std::sync::Arc;

/// A map of `t` with these sizes and flags.
pub(crate) fn map(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> Map {
    Map::new(MapDef::new("m", t, key, value, max).with_flags(flags)).expect("map definition")
}

/// The errno of a map operation's result.
pub(crate) fn errno<T>(r: Result<T, MapError>) -> i32 {
    r.err().map_or(0, |e| e.errno())
}

/// `-errno` as a register value.
pub(crate) fn neg(errno: i64) -> u64 {
    (-errno) as u64
}

/// A host helper a test registers beside the standard ones.
pub(crate) type Extra = (
    u32,
    Arc<dyn Fn(&mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult + Send + Sync>,
);

/// Runs `src` on the interpreter with the standard helpers over `maps` and `host`, and `extra`.
pub(crate) fn run_with(
    maps: &MapSet,
    host: &HostEnv,
    extra: Option<Extra>,
    src: &str,
) -> Result<u64, Trap> {
    let mut helpers = HelperRegistry::new();
    oxbpf_helpers::standard::register(&mut helpers, maps, host);
    if let Some((id, f)) = extra {
        helpers.register_arc(id, "extra", f);
    }
    let p = Program::from_asm(src, &Config::default(), &helpers).expect("assembly");
    let exe = oxbpf_interp::Interpreter
        .prepare(Arc::new(p), Arc::new(helpers))
        .expect("prepare");
    exe.run(&mut [0u8; 16])
}

/// [`run_with`] the default host environment and no extra helper.
pub(crate) fn run(maps: &MapSet, src: &str) -> Result<u64, Trap> {
    run_with(maps, &HostEnv::default(), None, src)
}

#[test]
fn the_new_helpers_have_linux_ids_and_prototypes() {
    use oxbpf_helpers::standard::*;
    for (h, id, name) in [
        (REDIRECT, 23, "redirect"),
        (PERF_EVENT_OUTPUT, 25, "perf_event_output"),
        (GET_STACKID, 27, "get_stackid"),
        (REDIRECT_MAP, 51, "redirect_map"),
    ] {
        assert_eq!((h.id, h.name), (id, name));
        assert!(ALL.contains(&h));
    }
    assert!(ALL.windows(2).all(|w| w[0].id < w[1].id), "ALL is by id");
    // Linux's check_map_func_compatibility, less what the verifier cannot model yet (maps of
    // maps give an inner map, which it types as one).
    for t in [1, 2, 5, 6, 9, 10, 11, 12, 13, 14, 17, 25] {
        assert!(LOOKUP_MAPS.contains(t), "lookup {t}");
    }
    for t in [3, 4, 7, 8, 15, 16, 18, 19, 21, 22, 23, 27, 30] {
        assert!(!LOOKUP_MAPS.contains(t), "no lookup {t}");
    }
    assert!(MAP_OF_MAPS.contains(12) && MAP_OF_MAPS.contains(13));
    assert!(DELETE_MAPS.contains(15) && DELETE_MAPS.contains(18) && !DELETE_MAPS.contains(14));
    assert!(!KEYED_MAPS.contains(15) && !KEYED_MAPS.contains(14) && KEYED_MAPS.contains(10));
    assert!(PUSH_MAPS.contains(30) && !QUEUE_MAPS.contains(30) && !PEEK_MAPS.contains(30));
    for t in [14, 16, 17, 25] {
        assert!(REDIRECT_MAPS.contains(t));
    }
    assert!(!REDIRECT_MAPS.contains(15));
    assert!(PERF_MAPS.contains(4) && STACK_TRACE_MAPS.contains(7));
}

#[test]
fn new_map_types_by_id_and_name() {
    for (id, name) in [
        (4, "perf_event_array"),
        (7, "stack_trace"),
        (8, "cgroup_array"),
        (10, "lru_percpu_hash"),
        (11, "lpm_trie"),
        (12, "array_of_maps"),
        (13, "hash_of_maps"),
        (14, "devmap"),
        (15, "sockmap"),
        (16, "cpumap"),
        (17, "xskmap"),
        (18, "sockhash"),
        (19, "cgroup_storage"),
        (21, "percpu_cgroup_storage"),
        (25, "devmap_hash"),
        (30, "bloom_filter"),
    ] {
        let t = MapType::from_id(id).expect("known id");
        assert_eq!(t.name(), name);
        assert_eq!(MapType::from_name(name), Some(t));
    }
    assert!(
        MapType::ALL
            .windows(2)
            .all(|w| (w[0] as u32) < (w[1] as u32))
    );
}

#[test]
fn lru_per_cpu_hashes_evict_and_keep_a_value_per_cpu() {
    let h = map(MapType::LruPercpuHash, 4, 4, 2, 0);
    let n = oxbpf_helpers::cpu::count() as usize;
    let v = |b: u8| -> Vec<u8> { (0..n).flat_map(|_| [b, b, b, b, 0, 0, 0, 0]).collect() };
    h.update(&1u32.to_le_bytes(), &v(1), 0).unwrap();
    h.update(&2u32.to_le_bytes(), &v(2), 0).unwrap();
    h.lookup(&1u32.to_le_bytes()).unwrap();
    h.update(&3u32.to_le_bytes(), &v(3), 0).unwrap();
    assert_eq!(errno(h.lookup(&2u32.to_le_bytes())), 2);
    assert_eq!(h.lookup(&1u32.to_le_bytes()), Ok(v(1)));
    assert_eq!(h.lookup_len(), 8 * n);
    assert_eq!(h.lookup_on_cpu(&3u32.to_le_bytes(), 0), Ok(vec![3; 4]));
}
