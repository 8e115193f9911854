//! Each type's definition rules (Linux's `map_alloc_check` and `map_alloc`), and the bound on
//! what a definition may make the host allocate.

use super::errno;
use oxbpf_helpers::map::{
    BPF_F_INNER_MAP, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_STACK_BUILD_ID,
    BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED,
};
use oxbpf_helpers::{Map, MapDef, MapType};

fn def(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> MapDef {
    MapDef::new("m", t, key, value, max).with_flags(flags)
}

fn with_inner(d: MapDef, inner: MapDef) -> MapDef {
    MapDef {
        inner: Some(Box::new(inner)),
        ..d
    }
}

#[test]
fn bad_definitions_get_linux_errnos() {
    use MapType::*;
    let lpm = BPF_F_NO_PREALLOC;
    let cases: Vec<(MapDef, i32)> = vec![
        // LPM tries: BPF_F_NO_PREALLOC required, 1 to 256 data bytes after the prefix length.
        (def(LpmTrie, 8, 4, 16, 0), 22),
        (def(LpmTrie, 4, 4, 16, lpm), 22),
        (def(LpmTrie, 261, 4, 16, lpm), 22),
        (def(LpmTrie, 8, 0, 16, lpm), 22),
        (
            def(
                LpmTrie,
                8,
                4,
                16,
                lpm | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
            ),
            22,
        ),
        // Stack traces: 4-byte ids, whole frames, at most 127 of them; no build ids here.
        (def(StackTrace, 8, 64, 16, 0), 22),
        (def(StackTrace, 4, 12, 16, 0), 22),
        (def(StackTrace, 4, 8 * 128, 16, 0), 22),
        (def(StackTrace, 4, 64, 16, BPF_F_STACK_BUILD_ID), 22),
        (def(StackTrace, 4, 64, 16, BPF_F_RDONLY_PROG), 22),
        // Perf event and cgroup arrays hold 4-byte handles; no program access flags.
        (def(PerfEventArray, 4, 8, 4, 0), 22),
        (def(CgroupArray, 4, 4, 4, BPF_F_RDONLY_PROG), 22),
        // LRU per-CPU hashes are always preallocated (ENOTSUPP), values within a per-CPU unit.
        (def(LruPercpuHash, 4, 4, 4, BPF_F_NO_PREALLOC), 524),
        (def(LruPercpuHash, 4, 40 * 1024, 4, 0), 7),
        // Redirect maps.
        (def(DevMap, 4, 6, 4, 0), 22),
        (def(DevMapHash, 8, 4, 4, 0), 22),
        (def(CpuMap, 4, 4, 8193, 0), 7),
        (def(CpuMap, 4, 4, 4, BPF_F_RDONLY), 22),
        (def(XskMap, 4, 8, 4, 0), 22),
        // Socket maps.
        (def(SockMap, 4, 2, 4, 0), 22),
        (def(SockHash, 513, 8, 4, 0), 7),
        (def(SockHash, 0, 8, 4, 0), 22),
        // Cgroup storage: max_entries 0, 16-byte or 8-byte keys, bounded values.
        (def(CgroupStorage, 16, 8, 1, 0), 22),
        (def(CgroupStorage, 12, 8, 0, 0), 22),
        (def(CgroupStorage, 8, 0, 0, 0), 22),
        (def(PercpuCgroupStorage, 8, 40 * 1024, 0, 0), 7),
        // Bloom filters: no key, a value, max_entries.
        (def(BloomFilter, 4, 4, 16, 0), 22),
        (def(BloomFilter, 0, 0, 16, 0), 22),
        (def(BloomFilter, 0, 4, 0, 0), 22),
        (def(BloomFilter, 0, 4, 16, BPF_F_NO_PREALLOC), 22),
        // Maps of maps need a template; it may not be a map of maps, a prog array or cgroup
        // storage.
        (def(ArrayOfMaps, 4, 4, 4, 0), 22),
        (
            with_inner(def(Hash, 4, 4, 4, 0), def(Array, 4, 4, 1, 0)),
            22,
        ),
        (
            with_inner(
                def(ArrayOfMaps, 4, 4, 4, 0),
                with_inner(def(ArrayOfMaps, 4, 4, 1, 0), def(Array, 4, 4, 1, 0)),
            ),
            22,
        ),
        (
            with_inner(def(HashOfMaps, 4, 4, 4, 0), def(ProgArray, 4, 4, 1, 0)),
            524,
        ),
        (
            with_inner(def(ArrayOfMaps, 4, 8, 4, 0), def(Array, 4, 4, 1, 0)),
            22,
        ),
        (
            with_inner(def(ArrayOfMaps, 4, 4, 4, 0), def(Array, 8, 4, 1, 0)),
            22,
        ),
    ];
    for (d, want) in cases {
        assert_eq!(errno(Map::new(d.clone())), want, "{d:?}");
    }
}

#[test]
fn good_definitions_make_maps() {
    use MapType::*;
    let ok = [
        def(LpmTrie, 8, 4, 16, BPF_F_NO_PREALLOC),
        def(StackTrace, 4, 8 * 127, 16, 0),
        def(PerfEventArray, 4, 4, 4, 0),
        def(CgroupArray, 4, 4, 4, 0),
        def(LruPercpuHash, 4, 4, 4, 0),
        def(DevMap, 4, 8, 4, 0),
        def(DevMapHash, 4, 4, 4, 0),
        def(CpuMap, 4, 8, 64, 0),
        def(XskMap, 4, 4, 4, 0),
        def(SockMap, 4, 4, 4, 0),
        def(SockHash, 16, 8, 4, 0),
        def(CgroupStorage, 16, 8, 0, 0),
        def(PercpuCgroupStorage, 8, 8, 0, 0),
        def(BloomFilter, 0, 3, 16, BPF_F_ZERO_SEED),
        with_inner(
            def(ArrayOfMaps, 4, 4, 4, 0),
            def(Array, 4, 4, 1, BPF_F_INNER_MAP),
        ),
        with_inner(def(HashOfMaps, 8, 4, 4, 0), def(Hash, 4, 4, 1, 0)),
    ];
    for d in ok {
        assert!(Map::new(d.clone()).is_ok(), "{d:?}");
    }
}

#[test]
fn a_perf_event_array_of_no_entries_has_one_per_cpu() {
    let m = Map::new(def(MapType::PerfEventArray, 4, 4, 0, 0)).unwrap();
    assert_eq!(m.def().max_entries, oxbpf_helpers::cpu::count());
}

#[test]
fn hostile_sizes_allocate_nothing() {
    use MapType::*;
    // What would be preallocated (values, stacks) stays under MAX_MAP_BYTES: ENOMEM.
    for d in [
        def(LpmTrie, 8, 1 << 12, 1 << 20, BPF_F_NO_PREALLOC),
        def(StackTrace, 4, 8 * 127, u32::MAX, 0),
        def(DevMapHash, 4, 8, 1 << 31, 0),
    ] {
        assert_eq!(errno(Map::new(d.clone())), 12, "{d:?}");
    }
    // Maps that grow only as the host fills them are made at once, whatever max_entries says.
    for d in [
        def(SockHash, 4, 8, u32::MAX, 0),
        def(CgroupArray, 4, 4, u32::MAX, 0),
        def(PerfEventArray, 4, 4, u32::MAX, 0),
        with_inner(def(HashOfMaps, 4, 4, u32::MAX, 0), def(Hash, 4, 4, 1, 0)),
    ] {
        assert!(Map::new(d.clone()).is_ok(), "{d:?}");
    }
}

#[test]
fn device_maps_and_xskmaps_are_read_only_to_programs() {
    for t in [MapType::DevMap, MapType::DevMapHash, MapType::XskMap] {
        let d = def(t, 4, 4, 4, 0);
        assert!(d.read_only_to_programs(), "{t:?}");
        let m = Map::new(d).unwrap();
        assert!(!m.region().unwrap().writable);
    }
    assert!(!def(MapType::CpuMap, 4, 4, 4, 0).read_only_to_programs());
}
