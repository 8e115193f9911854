//! Maps and helpers from JavaScript: the examples that count and emit, every map type's
//! methods, capability gating, the helper budget, and the `mbpf` helpers.

use oxbpf_loader::mbpf::manifest::{Hook, Manifest, MapDecl, MapKind};
use oxbpf_loader::mbpf::{Bundle, Payload};
use oxbpf_quickjs::{Failure, HookInput, Instance, RunResult};

const ALL_CAPS: u32 = 0x7f;

fn decl(name: &str, kind: MapKind, key: u32, value: u32, max: u32) -> MapDecl {
    MapDecl {
        name: name.into(),
        kind,
        key_size: key,
        value_size: value,
        max_entries: max,
        flags: 0,
    }
}

fn instance(hook: Hook, js: &str, caps: u32, maps: Vec<MapDecl>) -> Instance {
    let mut m = Manifest::new("t", "1", hook);
    m.capabilities = caps;
    m.maps = maps;
    m.budgets.max_helpers = 1000;
    let b = Bundle {
        manifest: m,
        payload: Payload::Source(js.into()),
        ebpf: None,
        signed: false,
    };
    Instance::new(&b).unwrap()
}

fn ok(rc: i32) -> RunResult {
    RunResult { rc, failure: None }
}

#[test]
fn the_timer_example_counts_in_an_array_map() {
    let js = include_str!("../../../examples/mbpf/timer_count.js");
    let mut p = instance(
        Hook::Timer,
        js,
        2 | 4,
        vec![decl("ticks", MapKind::Array, 0, 4, 1)],
    );
    for _ in 0..5 {
        assert_eq!(p.run(&HookInput::new(Hook::Timer, vec![])), ok(0));
    }
    let ticks = p.maps().get("ticks").unwrap();
    assert_eq!(
        ticks.lookup(&0u32.to_le_bytes()).unwrap(),
        5u32.to_le_bytes()
    );
}

#[test]
fn the_events_example_sends_records_the_host_reads() {
    let js = include_str!("../../../examples/mbpf/net_rx_events.js");
    let mut p = instance(
        Hook::NetRx,
        js,
        4,
        vec![decl("events", MapKind::Ring, 0, 4, 64)],
    );
    for pkt in [vec![0xaa, 0xbb, 0xcc], vec![0x01], vec![]] {
        assert_eq!(p.run(&HookInput::new(Hook::NetRx, pkt)), ok(0));
    }
    let mut got = Vec::new();
    p.maps()
        .get("events")
        .unwrap()
        .drain(|r| got.push(r.to_vec()));
    assert_eq!(
        got,
        [vec![3, 0, 0xaa, 0xbb], vec![1, 0, 1, 0], vec![0, 0, 0, 0]]
    );
}

#[test]
fn hash_maps_update_look_up_delete_and_iterate() {
    let js = r#"
        const k = new Uint8Array(2), v = new Uint8Array(1), out = new Uint8Array(1), key = new Uint8Array(2);
        function mbpf_prog(ctx) {
            const r = [];
            for (let i = 0; i < 3; i++) { k[0] = i; k[1] = 7; v[0] = 10 * i; r.push(maps.h.update(k, v)); }
            k[0] = 1; r.push(maps.h.lookup(k, out), out[0]);
            r.push(maps.h.delete(k), maps.h.delete(k), maps.h.lookup(k, out));
            let prev = null, n = 0;
            while (maps.h.nextKey(prev, key)) { n++; prev = key.slice(); }
            r.push(n);
            k[0] = 9; r.push(maps.h.update(k, v)); // full (3 entries, 2 left + 1 new = 3)
            k[0] = 8; r.push(maps.h.update(k, v)); // now full
            globalThis.r = r;
            return 0;
        }
    "#;
    let mut p = instance(
        Hook::Custom,
        js,
        ALL_CAPS,
        vec![decl("h", MapKind::Hash, 2, 1, 3)],
    );
    assert_eq!(p.run(&HookInput::new(Hook::Custom, vec![])), ok(0));
    assert_eq!(
        p.eval_global_json("r").unwrap(),
        "[true,true,true,true,10,true,false,false,2,true,false]"
    );
    // The host sees what JavaScript wrote, under the same key bytes.
    let h = p.maps().get("h").unwrap();
    assert_eq!(h.lookup(&[2, 7]).unwrap(), [20]);
}

#[test]
fn map_methods_need_their_capability_and_helpers_are_absent_without_theirs() {
    let js = r#"
        function attempt(f) { try { f(); return "ok"; } catch (e) { return e.message; } }
        function mbpf_prog(ctx) {
            const b = new Uint8Array(4);
            globalThis.r = [
                attempt(() => maps.a.lookup(0, b)), attempt(() => maps.a.update(0, b)),
                attempt(() => maps.h.nextKey(null, b)),
                typeof mbpf.log, typeof mbpf.emit, typeof mbpf.nowNs, typeof mbpf.stats,
                typeof mbpf.mapLookup, typeof mbpf.u64LoadLE,
            ];
            return 0;
        }
    "#;
    let maps = vec![
        decl("a", MapKind::Array, 0, 4, 2),
        decl("h", MapKind::Hash, 4, 4, 2),
    ];
    let mut p = instance(Hook::Custom, js, 0, maps.clone());
    assert_eq!(p.run(&HookInput::new(Hook::Custom, vec![])), ok(0));
    assert_eq!(
        p.eval_global_json("r").unwrap(),
        r#"["CAP_MAP_READ required","CAP_MAP_WRITE required","CAP_MAP_ITERATE required","undefined","undefined","undefined","undefined","undefined","function"]"#
    );
    let mut p = instance(Hook::Custom, js, ALL_CAPS, maps);
    assert_eq!(p.run(&HookInput::new(Hook::Custom, vec![])), ok(0));
    assert_eq!(
        p.eval_global_json("r").unwrap(),
        r#"["ok","ok","ok","function","function","function","function","function","function"]"#
    );
}

#[test]
fn the_helper_budget_forces_the_default_even_when_caught() {
    let js = r#"
        function mbpf_prog(ctx) {
            let n = 0;
            try { for (;;) { mbpf.u64StoreLE(new Uint8Array(8), 0, [1, 0]); n++; } } catch (e) { globalThis.msg = e.message; }
            globalThis.n = n;
            return 7;
        }
    "#;
    let mut m = Manifest::new("t", "1", Hook::Security);
    m.budgets.max_helpers = 5;
    let b = Bundle {
        manifest: m,
        payload: Payload::Source(js.into()),
        ebpf: None,
        signed: false,
    };
    let mut p = Instance::new(&b).unwrap();
    let r = p.run(&HookInput::new(Hook::Security, vec![]));
    assert_eq!(
        r,
        RunResult {
            rc: 1,
            failure: Some(Failure::HelperBudget)
        }
    );
    assert_eq!(p.eval_global_json("n").unwrap(), "5");
    assert_eq!(
        p.eval_global_json("msg").unwrap(),
        "\"helper budget exceeded\""
    );
}

#[test]
fn counters_rings_and_the_mbpf_helpers() {
    let js = r#"
        const b8 = new Uint8Array(8), pair = [0, 0], t1 = [0, 0], t2 = [0, 0], st = {};
        function mbpf_prog(ctx) {
            const r = [];
            maps.c.add(1, 5); maps.c.add(1, -2); maps.c.set(0, 1e6); r.push(maps.c.get(1), maps.c.get(0));
            for (let i = 0; i < 5; i++) { r.push(maps.q.submit(new Uint8Array([i, i]))); }
            r.push(maps.q.submit(new Uint8Array(9)), maps.q.count());
            const out = new Uint8Array(8);
            r.push(maps.q.peek(out), out[0], maps.q.consume(), maps.q.count());
            mbpf.u64StoreLE(b8, 0, [0xdeadbeef, 0x12]); mbpf.u64LoadLE(b8, 0, pair); r.push(pair[0], pair[1], b8[7], b8[4]);
            mbpf.nowNs(t1); for (let i = 0; i < 1000; i++) {} mbpf.nowNs(t2); r.push(t1[0] === t2[0] && t1[1] === t2[1]);
            r.push(mbpf.emit(3, new Uint8Array([1, 2])), mbpf.emit(4, new Uint8Array(300)));
            mbpf.stats(st); r.push(st.invocations[0], st.successes[0]);
            const k = new Uint8Array(4); k[0] = 1;
            r.push(mbpf.mapUpdate(1, k, new Uint8Array([9, 9, 9, 9]), 1), mbpf.mapUpdate(1, k, new Uint8Array(4), 1), mbpf.mapLookup(1, k, out), out[0]);
            r.push(mbpf.mapDelete(1, k), mbpf.mapLookup(1, k, out));
            try { mbpf.mapLookup(0, 0, out); } catch (e) { r.push(e.name); }
            globalThis.r = r;
            return 0;
        }
    "#;
    let maps = vec![
        decl("c", MapKind::Counter, 0, 8, 2),
        decl("h", MapKind::Hash, 4, 4, 4),
        decl("q", MapKind::Ring, 0, 8, 2),
    ];
    let mut p = instance(Hook::Custom, js, ALL_CAPS, maps);
    assert_eq!(p.run(&HookInput::new(Hook::Custom, vec![])), ok(0));
    assert_eq!(
        p.eval_global_json("r").unwrap(),
        "[3,1000000,true,true,true,true,true,false,5,2,0,true,4,3735928559,18,0,18,true,true,false,1,0,true,false,true,9,true,false,\"TypeError\"]"
    );
    assert_eq!(p.take_emitted(), [vec![3, 0, 0, 0, 2, 0, 0, 0, 1, 2]]);
    // The counter through the map, as the host (and an eBPF program) sees it.
    let c = p.maps().get("c").unwrap();
    assert_eq!(c.lookup(&1u32.to_le_bytes()).unwrap(), 3u64.to_le_bytes());
}
