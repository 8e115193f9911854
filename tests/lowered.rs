//! Lowered `.mbpf` JavaScript against QuickJS: the bundle examples in the subset and randomly
//! generated programs run on QuickJS and, lowered to eBPF, on the interpreter, the JIT and AOT,
//! over random contexts; every run must give the same return code and leave the same map
//! contents.
#![cfg(feature = "mbpf")]

use oxbpf::lower;
use oxbpf::mbpf::container::{self, section};
use oxbpf::mbpf::manifest::{
    self, CAP_EMIT, CAP_LOG, CAP_MAP_READ, CAP_MAP_WRITE, CAP_TIME, Hook, Manifest, MapDecl,
    MapKind,
};
use oxbpf::mbpf::{Bundle, LoadPolicy, Payload};
use oxbpf::quickjs::{HookInput, Instance};
use oxbpf::{BACKENDS, Loaded, MapSet, Vm};
use std::sync::{Arc, Mutex};

use oxbpf_test_support::rng::Rng;

fn array_map(name: &str, entries: u32) -> MapDecl {
    MapDecl {
        name: name.into(),
        kind: MapKind::Array,
        key_size: 4,
        value_size: 4,
        max_entries: entries,
        flags: 0,
    }
}

fn counter_map(name: &str, entries: u32) -> MapDecl {
    MapDecl {
        name: name.into(),
        kind: MapKind::Counter,
        key_size: 4,
        value_size: 8,
        max_entries: entries,
        flags: 0,
    }
}

/// The lowering of `js` for `m`, verified (as `oxbpf mbpf build --lower` makes it).
fn lower_verified(js: &str, m: &Manifest) -> Result<Vec<oxbpf::Insn>, String> {
    let bytecode = oxbpf::quickjs::compile(js, &m.entry).map_err(|e| e.to_string())?;
    let vm = Vm::new("interp").map_err(|e| e.to_string())?;
    vm.lower_bundle(&bytecode, m).map_err(|e| e.to_string())
}

/// A bundle of `js` with its lowering in `EBPF_TEXT` (unsigned: the loader lowers it again).
fn lowered_bundle(js: &str, m: &Manifest) -> Result<Bundle, String> {
    let insns = lower_verified(js, m)?;
    let bytes = container::write(
        &[
            (section::MANIFEST, &manifest::encode(m)),
            (section::JS_SOURCE, js.as_bytes()),
            (section::EBPF_TEXT, &oxbpf::isa::encode(&insns)),
        ],
        0,
        true,
    )
    .map_err(|e| e.to_string())?;
    let policy = LoadPolicy {
        trusted: Vec::new(),
        allow_unsigned: true,
    };
    Bundle::open(&bytes, &policy).map_err(|e| e.to_string())
}

/// A map's name, its entries (key, value) or ring records (empty key), and records a ring
/// dropped.
type Contents = Vec<(String, Vec<(Vec<u8>, Vec<u8>)>, u64)>;

/// The contents of the maps both paths share: the manifest's and the runtime's own (written
/// flags, emit ring), not the lowered code's globals.
fn contents(maps: &MapSet) -> Contents {
    maps.iter()
        .filter(|m| m.name() != lower::GLOBALS)
        .map(|m| {
            let entries = if m.def().map_type == oxbpf::MapType::RingBuf {
                m.pending_records()
                    .into_iter()
                    .map(|r| (Vec::new(), r))
                    .collect()
            } else {
                m.entries()
            };
            (m.name().to_owned(), entries, m.ring_dropped())
        })
        .collect()
}

/// Runs `inputs` on QuickJS and on every backend's lowering; panics on the first difference.
/// Returns the number of runs compared.
fn compare(what: &str, js: &str, m: &Manifest, inputs: &[HookInput]) -> usize {
    let bundle = lowered_bundle(js, m).unwrap_or_else(|e| panic!("{what}: {e}\n{js}"));
    let mut reference = Instance::new(&Bundle {
        ebpf: None,
        ..bundle.clone()
    })
    .unwrap();
    let lowered: Vec<(&str, Loaded, Logs)> = BACKENDS
        .iter()
        .map(|&b| {
            let (vm, logs) = logging_vm(b);
            let l = vm
                .load_opened_bundle(&bundle)
                .unwrap_or_else(|e| panic!("{what} on {b}: {e}\n{js}"));
            // The lowered text, not the two-instruction QuickJS runner.
            assert!(l.program().insns().len() > 2, "{what} on {b}: not lowered");
            (b, l, logs)
        })
        .collect();
    let mut runs = 0;
    for input in inputs {
        let want = reference.run(input).rc as u32;
        let want_maps = contents(reference.maps());
        let want_logs = reference.take_logs();
        for (b, l, logs) in &lowered {
            let got = l.execute(&mut input.to_blob());
            assert_eq!(
                got,
                Ok(u64::from(want)),
                "{what} on {b}: return code for {input:?}\n{js}"
            );
            assert_eq!(
                contents(l.maps()),
                want_maps,
                "{what} on {b}: maps after {input:?}\n{js}"
            );
            assert_eq!(
                std::mem::take(&mut *logs.lock().unwrap()),
                want_logs,
                "{what} on {b}: log lines for {input:?}\n{js}"
            );
            runs += 1;
        }
    }
    runs
}

/// The lines a VM's programs log.
type Logs = Arc<Mutex<Vec<String>>>;

/// A VM on backend `b` whose `trace_printk` lines are kept.
fn logging_vm(b: &str) -> (Vm, Logs) {
    let mut vm = Vm::new(b).unwrap();
    let logs = Logs::default();
    let sink = logs.clone();
    vm.host_env_mut().trace = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()));
    (vm, logs)
}

/// Random inputs of `hook`: every field random (small or full-width), data of 0 to 15 bytes.
fn inputs(rng: &mut Rng, hook: Hook, n: usize) -> Vec<HookInput> {
    (0..n)
        .map(|_| {
            let len = rng.below(16) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let mut input = HookInput::new(hook, data);
            for f in oxbpf::quickjs::blob_fields(hook) {
                let v = match rng.below(3) {
                    0 => rng.below(4) as f64,
                    1 => 1000.0 + rng.below(8) as f64,
                    _ => f64::from(rng.next_u64() as u32),
                };
                input = input.with(f, v);
            }
            input
        })
        .collect()
}

#[test]
fn the_bundle_examples_in_the_subset_lower_and_agree_with_quickjs() {
    let mut rng = Rng(0x5eed);
    let drop = include_str!("../examples/mbpf/net_rx_drop_ff.js");
    let m = Manifest::new("drop_ff", "1.0", Hook::NetRx);
    let mut cases = inputs(&mut rng, Hook::NetRx, 200);
    for c in cases.iter_mut().step_by(3) {
        if let Some(d) = c.data.as_mut().filter(|d| !d.is_empty()) {
            d[0] = 0xff;
        }
    }
    assert_eq!(compare("net_rx_drop_ff", drop, &m, &cases), 600);

    let deny = include_str!("../examples/mbpf/security_deny.js");
    let m = Manifest::new("deny", "1.0", Hook::Security);
    let mut cases = inputs(&mut rng, Hook::Security, 200);
    for (i, c) in cases.iter_mut().enumerate() {
        if i % 2 == 0 {
            *c = c
                .clone()
                .with("subject_id", 1000.0)
                .with("action", (i % 5) as f64);
        }
    }
    compare("security_deny", deny, &m, &cases);

    let ticks = include_str!("../examples/mbpf/timer_count.js");
    let mut m = Manifest::new("ticks", "1.0", Hook::Timer);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE;
    m.maps = vec![array_map("ticks", 1)];
    compare(
        "timer_count",
        ticks,
        &m,
        &inputs(&mut rng, Hook::Timer, 100),
    );
}

#[test]
fn remainders_lower_and_agree_with_quickjs() {
    let mut rng = Rng(0x2ed);
    // A NET_RX filter summing the packet's bytes and keeping the even sums, as a user writes
    // it: no `| 0`, the sum bounded by the loop's iteration count (at most 255 per byte), and
    // one bucketing a signed value: `%` takes the dividend's sign.
    let parity = "function mbpf_prog(ctx) {
        if (ctx.data_len < 1) return 1;
        let sum = 0;
        for (let i = 0; i < ctx.data_len; i++) sum += ctx.readU8(i);
        return sum % 2 === 0 ? 0 : 1;
    }";
    let m = Manifest::new("parity", "1.0", Hook::NetRx);
    assert_eq!(
        compare("parity", parity, &m, &inputs(&mut rng, Hook::NetRx, 200)),
        600
    );
    let buckets = "function mbpf_prog(ctx) {
        if (ctx.data_len < 2) return 0;
        const v = (ctx.readU8(0) - ctx.readU8(1)) * 3;
        const d = (ctx.readU8(1) & 7) + 1;
        return (v % 7) * 100 + (v % -4) * 10 + v % d + 1000;
    }";
    compare("buckets", buckets, &m, &inputs(&mut rng, Hook::NetRx, 200));
}

#[test]
fn loop_accumulators_are_bounded_by_the_iteration_count_and_agree_with_quickjs() {
    let mut rng = Rng(0x10c);
    // Sums carried around loops without `| 0`: each stays below 2^53 because its loop's counter
    // moves by at least 1 (or 2) an iteration within a range the comparisons give.
    let m = Manifest::new("acc", "1.0", Hook::NetRx);
    for (what, body) in [
        (
            "sum",
            "let s = 0; for (let i = 0; i < ctx.data_len; i++) s += ctx.readU8(i); return s;",
        ),
        (
            "checksum",
            "let s = 0;
             for (let i = 0; i + 1 < ctx.data_len; i += 2) s += ctx.readU16LE(i);
             while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
             return s;",
        ),
        (
            "down",
            "let d = 0, i = ctx.data_len;
             while (i > 0) { i--; d += ctx.readU8(i) - 128; }
             return d < 0 ? 1 : d % 7;",
        ),
        (
            "split",
            "let hi = 0, lo = 0;
             for (let i = 0; i < ctx.data_len; i++) {
                 const b = ctx.readU8(i);
                 if (b > 127) hi += b * 1000; else lo -= b;
             }
             return (lo < 0 ? 1000 : 0) + (hi + lo) % 1000;",
        ),
        (
            "break",
            "let s = 7;
             for (let i = 0; i < ctx.data_len; i++) {
                 if (ctx.readU8(i) === 0) break;
                 if (ctx.readU8(i) & 1) continue;
                 s -= 2 * ctx.readU8(i);
             }
             return s;",
        ),
        (
            "do_while",
            "let s = 1, i = 0;
             do { s += ctx.readU8(i) * 3 + (i & 7); i += 3; } while (i < ctx.data_len && i < 1000);
             return s === 1 ? 0 : s;",
        ),
        (
            // `a && b && c` ends the loop where any is false: only what every way out tells
            // holds after it (here nothing about `x`).
            "exits",
            "let x = ctx.readU8(0), n = 0;
             do { n++; } while (x < 10 && ctx.readU8(1) > 3 && n < 5);
             return (x < 10 ? 1 : 2) + n * 10;",
        ),
    ] {
        let js = format!("function mbpf_prog(ctx) {{ if (ctx.data_len < 1) return 9; {body} }}");
        compare(what, &js, &m, &inputs(&mut rng, Hook::NetRx, 300));
    }
}

#[test]
fn math_functions_of_integers_lower_and_agree_with_quickjs() {
    let mut rng = Rng(0x3a7);
    let js = "function mbpf_prog(ctx) {
        if (ctx.data_len < 3) return Math.max();
        const a = ctx.readU8(0) - 128, b = ctx.readU8(1) - ctx.readU8(2);
        const lo = Math.min(a, b, 40), hi = Math.max(a, b);
        return Math.abs(lo) * 1000 + (hi - lo) * 10 + Math.sign(b) + 1
            + (Math.imul(a * 65599, b * 31) & 0xff) * 1000000 + Math.trunc(Math.floor(a));
    }";
    let m = Manifest::new("math", "1.0", Hook::NetRx);
    let bytecode = oxbpf::quickjs::compile(js, "mbpf_prog").unwrap();
    // `Math.max()` is -Infinity: refused, naming it.
    let e = lower::lower(&bytecode, &m).unwrap_err().to_string();
    assert!(e.contains("without arguments"), "{e}");
    let js = js.replace("Math.max()", "Math.max(7)");
    assert_eq!(
        compare("math", &js, &m, &inputs(&mut rng, Hook::NetRx, 200)),
        600
    );
}

#[test]
fn mbpf_helpers_and_counters_lower_and_agree_with_quickjs() {
    let mut rng = Rng(0x106);
    // The tracepoint logger example: a message of three numbers, one in hexadecimal.
    let log = include_str!("../examples/mbpf/tracepoint_log.js");
    let mut m = Manifest::new("tp_log", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_LOG;
    let cases = inputs(&mut rng, Hook::Tracepoint, 100);
    compare("tracepoint_log", log, &m, &cases);
    // Without CAP_LOG, `mbpf.log` is absent: calling it is a TypeError, the hook's default.
    m.capabilities = 0;
    compare("tracepoint_log without CAP_LOG", log, &m, &cases);

    // Levels clamped at run time, `%` in the text, template literals, `undefined` and booleans.
    let js = "function mbpf_prog(ctx) {\n\
        const lv = ctx.cpu - 2;\n\
        mbpf.log(lv, `cpu ${ctx.cpu}: 100% of ${ctx.data_len > 3 ? 1 : 0} ${false}`);\n\
        mbpf.log(true, 'u ' + undefined + ' ' + (ctx.pid >>> 0).toString(16) + ' ' + null);\n\
        return mbpf.apiVersion;\n}\n";
    let mut m = Manifest::new("levels", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_LOG;
    let mut cases = inputs(&mut rng, Hook::Tracepoint, 60);
    for (i, c) in cases.iter_mut().enumerate() {
        *c = c.clone().with("cpu", (i % 8) as f64);
    }
    compare("log levels", js, &m, &cases);

    // COUNTER add/set/get, an index outside the counter, and a missing capability.
    let js = "function mbpf_prog(ctx) {\n\
        const i = ctx.cpu & 7;\n\
        const added = maps.hits.add(i, ctx.data_len + 1);\n\
        if (ctx.flags & 1) { maps.hits.set(0, -5); }\n\
        const v = maps.hits.get(i & 3);\n\
        return (added ? 16 : 0) + (v > 20 ? 2 : 0) + (v < 0 ? 1 : 0);\n}\n";
    let mut m = Manifest::new("hits", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE;
    m.maps = vec![counter_map("hits", 4)];
    let cases = inputs(&mut rng, Hook::Tracepoint, 100);
    compare("counter", js, &m, &cases);
    m.capabilities = CAP_MAP_WRITE;
    compare("counter without CAP_MAP_READ", js, &m, &cases);
}

#[test]
fn rings_emit_and_per_cpu_maps_lower_and_agree_with_quickjs() {
    let mut rng = Rng(0x41b6);
    // The ring example: 300 records of 4 bytes overflow the 4096-byte ring, which drops its
    // oldest on both paths.
    let events = include_str!("../examples/mbpf/net_rx_events.js");
    let mut m = Manifest::new("events", "1.0", Hook::NetRx);
    m.capabilities = CAP_MAP_WRITE;
    m.maps = vec![MapDecl {
        name: "events".into(),
        kind: MapKind::Ring,
        key_size: 0,
        value_size: 4,
        max_entries: 64,
        flags: 0,
    }];
    compare(
        "net_rx_events",
        events,
        &m,
        &inputs(&mut rng, Hook::NetRx, 300),
    );
    m.capabilities = 0;
    compare(
        "net_rx_events without CAP_MAP_WRITE",
        events,
        &m,
        &inputs(&mut rng, Hook::NetRx, 20),
    );

    // mbpf.emit: ids cut to 32 bits, a record too long, a full emit ring dropping its oldest.
    let js = "const rec = new Uint8Array(12);\nconst big = new Uint8Array(300);\n\
        function mbpf_prog(ctx) {\n\
          rec[0] = ctx.data_len & 0xff;\n\
          rec[11] = ctx.ifindex & 0xff;\n\
          const a = mbpf.emit(ctx.ifindex - 3, rec);\n\
          const b = mbpf.emit(ctx.pkt_len * 4, big);\n\
          const c = ctx.data_len > 3 ? mbpf.emit(7, rec) : mbpf.emit(8, 5);\n\
          return (a ? 1 : 0) + (b ? 2 : 0) + (c ? 4 : 0);\n\
        }\n";
    let mut m = Manifest::new("emit", "1.0", Hook::NetRx);
    m.capabilities = CAP_EMIT;
    compare("emit", js, &m, &inputs(&mut rng, Hook::NetRx, 200));

    // Per-CPU maps: the calling CPU's values, and cpuId().
    let js = "const k = new Uint8Array(4);\nconst v = new Uint8Array(8);\n\
        function mbpf_prog(ctx) {\n\
          const c = maps.pa.cpuId();\n\
          k[0] = ctx.data_len & 3;\n\
          v[0] = c;\n\
          v[1] = ctx.ifindex & 0xff;\n\
          if (ctx.flags & 1) { maps.ph.update(k, v); }\n\
          maps.pa.update(ctx.data_len & 3, v);\n\
          const found = maps.pa.lookup(1, v) ? 1 : 0;\n\
          const del = ctx.flags & 2 ? (maps.ph.delete(k) ? 2 : 0) : 0;\n\
          return found + del + (v[1] & 0xf0) + (maps.ph.lookup(k, v) ? 4 : 0);\n\
        }\n";
    let mut m = Manifest::new("percpu", "1.0", Hook::NetRx);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE;
    m.maps = vec![
        MapDecl {
            kind: MapKind::PercpuArray,
            value_size: 8,
            ..array_map("pa", 4)
        },
        MapDecl {
            name: "ph".into(),
            kind: MapKind::PercpuHash,
            key_size: 4,
            value_size: 8,
            max_entries: 8,
            flags: 0,
        },
    ];
    compare("per-CPU maps", js, &m, &inputs(&mut rng, Hook::NetRx, 100));

    // mbpf.mapLookup/mapUpdate/mapDelete: maps by manifest index, update flags (create only,
    // update only, out of range), array indices cut to 32 bits, no written flags.
    let js = "const k = new Uint8Array(4);\nconst v = new Uint8Array(4);\n\
        function mbpf_prog(ctx) {\n\
          k[0] = ctx.data_len & 3;\n\
          v[0] = ctx.ifindex & 0xff;\n\
          const f = (ctx.flags & 7) - 2;\n\
          const u = mbpf.mapUpdate(1, k, v, f) ? 1 : 0;\n\
          const a = mbpf.mapUpdate(0, ctx.pkt_len * 3, v, 0) ? 2 : 0;\n\
          const l = mbpf.mapLookup(0, ctx.data_len & 3, v) ? 4 : 0;\n\
          const d = ctx.ifindex & 1 ? (mbpf.mapDelete(1, k) ? 8 : 0) : 0;\n\
          const h = mbpf.mapLookup(1, k, v) ? 16 : 0;\n\
          return u + a + l + d + h + (v[0] & 0xe0) + (ctx.l2_proto === 7 ? mbpf.mapLookup(2, k, v) : 0);\n\
        }\n";
    let mut m = Manifest::new("by_id", "1.0", Hook::NetRx);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE;
    m.maps = vec![
        array_map("arr", 4),
        MapDecl {
            name: "h".into(),
            kind: MapKind::Hash,
            key_size: 4,
            value_size: 4,
            max_entries: 3,
            flags: 0,
        },
    ];
    let mut cases = inputs(&mut rng, Hook::NetRx, 150);
    for (i, c) in cases.iter_mut().enumerate() {
        if i % 5 == 0 {
            *c = c
                .clone()
                .with("l2_proto", 7.0)
                .with("pkt_len", (i % 3) as f64);
        }
    }
    compare("maps by id", js, &m, &cases);
    m.capabilities = CAP_MAP_WRITE;
    compare("maps by id without CAP_MAP_READ", js, &m, &cases);
}

#[test]
fn module_functions_are_inlined_and_agree_with_quickjs() {
    // Early returns, a missing argument (`undefined`), `ctx` passed down with a read that may
    // fail inside the callee, tail calls, a call in a loop, and a module constant in a callee.
    let js = "const LIMIT = 40;\n\
        function clamp(x, lo, hi) { if (x < lo) return lo; if (x > hi) return hi; return x; }\n\
        function opt(x, y) { return y === undefined ? x * 2 : x + y; }\n\
        function hdr(ctx, off) { return ctx.readU8(off) | (ctx.readU8(off + 1) << 8); }\n\
        function classify(ctx) {\n\
          return ctx.data_len < 2 ? 0 : clamp(hdr(ctx, ctx.ifindex & 1), 0, LIMIT);\n\
        }\n\
        function mbpf_prog(ctx) {\n\
          const c = classify(ctx);\n\
          let t = 0;\n\
          for (let i = 0; i < 4; i++) { t = (t + opt(i, c)) | 0; }\n\
          return opt(c) + opt(c, 1) + t + (c > 10 ? 100 : 0);\n\
        }\n";
    let m = Manifest::new("calls", "1.0", Hook::NetRx);
    let mut rng = Rng(0xca11);
    let mut cases = inputs(&mut rng, Hook::NetRx, 150);
    for (i, c) in cases.iter_mut().enumerate() {
        if i % 4 == 0 {
            c.data = Some(vec![(i % 50) as u8, 0, 0]);
        }
    }
    assert_eq!(compare("inlined calls", js, &m, &cases), 450);
    // Calling something that is not a function is a TypeError: the hook's default.
    let js = "const K = 3;\nfunction mbpf_prog(ctx) { return ctx.data_len > 2 ? K(1) : 7; }\n";
    compare("call of a number", js, &m, &cases);
}

#[test]
fn now_ns_reads_the_clock_once_per_run_on_both_paths() {
    let js = "const b = new Uint8Array(8);\n\
        function mbpf_prog(ctx) {\n\
        const t = [0, 0];\n\
        const u = [0, 0];\n\
        mbpf.nowNs(t);\n\
        let x = 0;\n\
        for (let i = 0; i < 200; i++) { x = (x + ctx.cpu) | 0; }\n\
        mbpf.nowNs(u);\n\
        mbpf.u64StoreLE(b, 0, t);\n\
        maps.last.update(0, b);\n\
        return t[0] === u[0] && t[1] === u[1] ? 1 : 0;\n}\n";
    let mut m = Manifest::new("now", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_TIME | CAP_MAP_WRITE;
    m.maps = vec![MapDecl {
        value_size: 8,
        ..array_map("last", 1)
    }];
    let bundle = lowered_bundle(js, &m).unwrap();
    let input = HookInput::new(Hook::Tracepoint, vec![1, 2]).with("cpu", 3.0);
    let stored = |maps: &MapSet| {
        let v = maps
            .get("last")
            .unwrap()
            .lookup(&0u32.to_le_bytes())
            .unwrap();
        u64::from_le_bytes(v[..8].try_into().unwrap())
    };
    let mut quickjs = Instance::new(&Bundle {
        ebpf: None,
        ..bundle.clone()
    })
    .unwrap();
    let before = oxbpf_helpers::env::ktime_ns();
    assert_eq!(quickjs.run(&input).rc, 1);
    let after = oxbpf_helpers::env::ktime_ns();
    assert!((before..=after).contains(&stored(quickjs.maps())));
    for b in BACKENDS {
        let l = Vm::new(b).unwrap().load_opened_bundle(&bundle).unwrap();
        let before = oxbpf_helpers::env::ktime_ns();
        assert_eq!(l.execute(&mut input.to_blob()), Ok(1), "{b}");
        let after = oxbpf_helpers::env::ktime_ns();
        let t = stored(l.maps());
        assert!(before <= t && t <= after, "{b}: {before} <= {t} <= {after}");
    }
}

#[test]
fn programs_outside_the_subset_are_refused_with_the_reason_and_run_on_quickjs() {
    let mut m = Manifest::new("t", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_LOG | manifest::CAP_STATS;
    for (js, reason) in [
        (
            "function mbpf_prog(ctx) { return ctx.readU8(0) / 3; }",
            "opcode outside the lowered subset",
        ),
        (
            "function mbpf_prog(ctx) { const s = 'a' + ctx.data_len; return s.length; }",
            "`.length` of a string",
        ),
        (
            "const b = new Uint8Array(2);\nfunction mbpf_prog(ctx) { mbpf.stats(b); return 0; }",
            "`mbpf.stats` is not lowered",
        ),
        (
            "function mbpf_prog(ctx) { mbpf.log(1, 'a' + ctx.cpu + ctx.pid + 'b' + ctx.flags + ctx.data_len); return 0; }",
            "more than 3 numbers",
        ),
        (
            "function mbpf_prog(ctx) { mbpf.log(1, 'big ' + (ctx.cpu > 2)); return 0; }",
            "a string made from a boolean",
        ),
        (
            "function mbpf_prog(ctx) { try { return ctx.readU8(0); } catch (e) { return 7; } }",
            "catch",
        ),
        (
            "function f(x) { return x > 0 ? f(x - 1) + 1 : 0; }\nfunction mbpf_prog(ctx) { return f(ctx.data_len); }",
            "`f` calls itself (recursion is not lowered)",
        ),
        (
            "function mbpf_prog(ctx) { let x = 1; while (ctx.data_len > 0) { x = x * 3; } return x; }",
            "2^53",
        ),
        // A counter reset inside its loop, or one that may not move, bounds no sum.
        (
            "function mbpf_prog(ctx) { let s = 0, i = 0; while (i < ctx.data_len) { s += 255; if (ctx.readU8(i) !== 7) { i++; continue; } i = 0; } return s; }",
            "2^53",
        ),
        (
            "function mbpf_prog(ctx) { let s = 0, i = 0; while (i < ctx.data_len) { s += 255; i += ctx.readU8(0) & 1; } return s; }",
            "2^53",
        ),
        (
            "function mbpf_prog(ctx) { return ctx.timestamp | 0; }",
            "which a double rounds",
        ),
        (
            "function mbpf_prog(ctx) { return ctx.readU8(0) % ctx.readU8(1); }",
            "`%` by a number that may be 0",
        ),
    ] {
        let bytecode = oxbpf::quickjs::compile(js, "mbpf_prog").unwrap();
        let e = lower::lower(&bytecode, &m).unwrap_err().to_string();
        // The error names the function at fault.
        let function = e.split([',', ':']).next().unwrap();
        assert!(js.contains(&format!("function {function}(")), "{e}");
        assert!(e.contains(reason), "{js}: {e}");
        // The bundle without a lowering runs on QuickJS, through the same VM entry.
        let vm = Vm::new("jit").unwrap();
        let b = Bundle {
            manifest: m.clone(),
            payload: Payload::Source(js.into()),
            ebpf: None,
            signed: false,
        };
        let l = vm.load_opened_bundle(&b).unwrap();
        let input = HookInput::new(Hook::Tracepoint, vec![5]).with("timestamp", 1e17);
        let mut ctx = input.to_blob();
        let want = Instance::new(&b).unwrap().run(&input).rc;
        assert_eq!(l.execute(&mut ctx), Ok(u64::from(want as u32)), "{js}");
    }
}

/// A random integer expression of depth `d` over `ctx` and the locals `vars`.
fn expr(rng: &mut Rng, d: u32, vars: &[String]) -> String {
    if d == 0 || rng.below(4) == 0 {
        return match rng.below(7) {
            0 => rng.below(300).to_string(),
            1 => format!("-{}", rng.below(5)),
            2 => {
                format!("ctx.{}", rng.pick(&["readU8", "readU16LE", "readU32LE"]))
                    + &format!("({})", rng.below(10))
            }
            3 => "ctx.data_len".into(),
            4 => format!(
                "ctx.{}",
                rng.pick(&["ifindex", "pkt_len", "l2_proto", "flags"])
            ),
            _ if !vars.is_empty() => vars[rng.below(vars.len() as u64) as usize].clone(),
            _ => rng.below(70_000).to_string(),
        };
    }
    let a = expr(rng, d - 1, vars);
    let b = expr(rng, d - 1, vars);
    // Calls of the module's functions (inlined), now and then.
    match rng.below(40) {
        0 => return format!("mix({a}, {b})"),
        1 => return format!("pick({a})"),
        2 => return format!("sum(({a}) & 7, ({b}) & 0xff)"),
        _ => {}
    }
    match rng.below(22) {
        14 => format!(
            "({a} % {})",
            rng.pick(&["1", "2", "3", "7", "10", "256", "-5"])
        ),
        15 => format!("({a} % (({b} & 15) + 1))"),
        16 => format!("Math.min({a}, {b})"),
        17 => format!("Math.max({a}, {b}, -3)"),
        18 => format!("Math.abs({a})"),
        19 => format!("Math.imul({a}, {b})"),
        20 => format!("Math.sign({a})"),
        21 => format!(
            "Math.{}({a})",
            rng.pick(&["floor", "ceil", "round", "trunc"])
        ),
        0 => format!("(({a} + {b}) | 0)"),
        1 => format!("(({a} - {b}) | 0)"),
        2 => format!("(({a} & 0xffff) * ({b} & 0x7fff))"),
        3 => format!("({a} & {b})"),
        4 => format!("({a} | {b})"),
        5 => format!("({a} ^ {b})"),
        6 => format!("({a} << ({b} & 7))"),
        7 => format!("({a} >> {})", rng.below(32)),
        8 => format!("({a} >>> {})", rng.below(32)),
        9 => format!("(~{a})"),
        10 => format!("({} ? {a} : {b})", cond(rng, d - 1, vars)),
        11 => format!("(-({a} & 0xfff))"),
        12 => format!("({a} >>> 0)"),
        _ => format!("(({a} + 1) | 0)"),
    }
}

/// A random condition.
fn cond(rng: &mut Rng, d: u32, vars: &[String]) -> String {
    let a = expr(rng, d, vars);
    let b = expr(rng, d, vars);
    match rng.below(9) {
        0 => format!("{a} < {b}"),
        1 => format!("{a} <= {b}"),
        2 => format!("{a} > {b}"),
        3 => format!("{a} >= {b}"),
        4 => format!("{a} === {b}"),
        5 => format!("{a} !== {b}"),
        6 => format!("({a} & 1)"),
        7 => format!("!({a})"),
        _ => format!("({a} == {b}) || ({b} > 3)"),
    }
}

/// The module functions random programs call: branches, a loop, nested calls, side effects.
const FUNCTIONS: &str = "function mix(a, b) {
  let t = (a ^ b) | 0;
  if (t < 0) { t = (-t) | 0; }
  return t & 0xffff;
}
function pick(x) { return x > 100 ? mix(x, 3) : x; }
function sum(n, k) {
  let s = 0;
  for (let i = 0; i < n; i++) { s = (s + k + i) | 0; }
  return s;
}
function store(k, v) { buf[1] = v; maps.arr.update(k, buf); return v & 7; }
";

/// A loop over the packet's bytes accumulating into a fresh local without `| 0` (bounded by the
/// iteration count alone), in one of several shapes, then assigned to `v`.
fn accumulating_loop(rng: &mut Rng, v: &str, vars: &[String], n: usize) -> String {
    let a = format!("acc{n}");
    let s = 1 + rng.below(3);
    let x = match rng.below(5) {
        0 => "ctx.readU8(i)".to_owned(),
        1 => format!("(ctx.readU8(i) * {})", 1 + rng.below(1000)),
        2 => "(ctx.readU8(i) - (i & 0xff))".to_owned(),
        3 => "ctx.readU16LE(i)".to_owned(),
        _ => format!("(({}) & 0xffff)", expr(rng, 1, vars)),
    };
    let init = rng.below(2000) as i64 - 1000;
    let lp = match rng.below(4) {
        0 => format!("for (let i = 0; i < ctx.data_len; i += {s}) {{ {a} += {x}; }}"),
        1 => format!("for (let i = ctx.data_len - 1; i >= 0; i -= {s}) {{ {a} -= {x}; }}"),
        2 => format!(
            "{{ let i = 0; while (i < ctx.data_len) {{ if ({}) {{ {a} += {x}; }} else {{ {a} -= {x} + 1; }} i++; }} }}",
            cond(rng, 1, vars)
        ),
        _ => format!("{{ let i = 0; do {{ {a} += {x}; i += {s}; }} while (i < ctx.data_len); }}"),
    };
    let out = match rng.below(3) {
        0 => format!("{v} = {a};"),
        1 => format!("{v} = {a} % {};", 2 + rng.below(9)),
        _ => format!("{v} = {a} > {} ? 1 : {a} & 0xff;", rng.below(5000)),
    };
    format!("  let {a} = {init};\n  {lp}\n  {out}\n")
}

/// A random program: locals, assignments, branches, bounded loops, loops accumulating over the
/// packet, an array map and a module buffer, and returns.
fn program(rng: &mut Rng) -> String {
    let mut body = String::new();
    let mut vars: Vec<String> = Vec::new();
    for i in 0..1 + rng.below(4) {
        let e = expr(rng, 2, &vars);
        body.push_str(&format!("  let v{i} = {e};\n"));
        vars.push(format!("v{i}"));
    }
    for n in 0..1 + rng.below(4) {
        let v = vars[rng.below(vars.len() as u64) as usize].clone();
        match rng.below(11) {
            10 => body.push_str(&accumulating_loop(rng, &v, &vars, n as usize)),
            6 => {
                let level = match rng.below(3) {
                    0 => (rng.below(6) as i64 - 1).to_string(),
                    1 => "(ctx.l2_proto & 7)".into(),
                    _ => v.clone(),
                };
                let e = expr(rng, 1, &vars);
                let msg = match rng.below(3) {
                    0 => format!("\"v \" + {v} + \" h \" + (({e}) >>> 0).toString(16)"),
                    1 => format!("`t ${{{v}}} 100%`"),
                    _ => "\"plain\"".into(),
                };
                body.push_str(&format!("  mbpf.log({level}, {msg});\n"));
            }
            7 => {
                let k = rng.below(5);
                let e = expr(rng, 1, &vars);
                body.push_str(&match rng.below(3) {
                    0 => format!("  {v} = maps.cnt.add({k}, ({e}) & 0xffff) ? 1 : 0;\n"),
                    1 => format!("  maps.cnt.set({k}, {e});\n"),
                    _ => format!(
                        "  if (maps.cnt.get({k}) > {}) {{ {v} = {e}; }}\n",
                        rng.below(200) as i64 - 50
                    ),
                });
            }
            8 => {
                let e = expr(rng, 1, &vars);
                let off = rng.below(3);
                body.push_str(&format!(
                    "  {{ const p = [({e}) >>> 0, {}]; p[1] = {v} & 0xff; \
                     mbpf.u64StoreLE(b8, {off}, p); maps.arr.update(1, b8); \
                     mbpf.u64LoadLE(b8, 0, p); {v} = (p[0] ^ p[1]) + p.length + mbpf.apiVersion; }}\n",
                    rng.below(9)
                ));
            }
            9 => {
                let e = expr(rng, 1, &vars);
                body.push_str(&format!(
                    "  {{ const q = [{e}, 1]; mbpf.u64LoadLE(b8, 0, q); {v} = q[1] - q[0]; }}\n"
                ));
            }
            0 => {
                let c = cond(rng, 1, &vars);
                let a = expr(rng, 2, &vars);
                let b = expr(rng, 2, &vars);
                body.push_str(&format!(
                    "  if ({c}) {{ {v} = {a}; }} else {{ {v} = {b}; }}\n"
                ));
            }
            1 => {
                let n = 1 + rng.below(6);
                let e = expr(rng, 1, &vars);
                body.push_str(&format!(
                    "  for (let i = 0; i < {n}; i++) {{ {v} = (({v} ^ {e}) + i) | 0; }}\n"
                ));
            }
            2 => {
                let k = rng.below(5);
                let e = expr(rng, 1, &vars);
                body.push_str(&format!(
                    "  buf[{}] = {e}; buf[3] = {v}; maps.arr.update({k}, buf);\n",
                    rng.below(3)
                ));
            }
            3 => {
                let k = rng.below(5);
                body.push_str(&format!(
                    "  if (maps.arr.lookup({k}, buf)) {{ {v} = (buf[0] | (buf[1] << 8)) + buf[3]; }}\n"
                ));
            }
            4 => {
                let c = cond(rng, 1, &vars);
                let e = expr(rng, 1, &vars);
                if rng.below(3) == 0 {
                    // A tail call.
                    body.push_str(&format!("  if ({c}) {{ return pick({e}); }}\n"));
                } else {
                    body.push_str(&format!("  if ({c}) {{ return {e}; }}\n"));
                }
            }
            5 if rng.below(2) == 0 => {
                let e = expr(rng, 1, &vars);
                body.push_str(&format!("  {v} = store({}, {e});\n", rng.below(5)));
            }
            _ => {
                let e = expr(rng, 2, &vars);
                body.push_str(&format!("  {v} = {e};\n"));
            }
        }
    }
    // The result: a value, or the outcome of comparisons (which see every bit of the values
    // compared, where a returned value is cut to its low 32 bits).
    let e = expr(rng, 2, &vars);
    let ret = match rng.below(3) {
        0 => format!("({e}) + K"),
        1 => format!("({}) ? 1 : 2", cond(rng, 2, &vars)),
        _ => format!(
            "(({e}) > 0 ? 4 : 0) + (({e}) < -5 ? 2 : 0) + (({e}) === {} ? 1 : 0)",
            rng.below(3)
        ),
    };
    format!(
        "const buf = new Uint8Array(4);\nconst b8 = new Uint8Array(8);\nconst K = {};\n{FUNCTIONS}\
         function mbpf_prog(ctx) {{\n{body}  return {ret};\n}}\n",
        rng.below(100)
    )
}

#[test]
fn random_programs_in_the_subset_give_the_same_results_lowered_and_on_quickjs() {
    let mut rng = Rng(0xdead_beef);
    let mut m = Manifest::new("random", "1.0", Hook::NetRx);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE | CAP_LOG;
    m.maps = vec![array_map("arr", 4), counter_map("cnt", 4)];
    let mut runs = 0;
    let mut programs = 0;
    let mut refused = Vec::new();
    while runs < 10_500 {
        let js = program(&mut rng);
        if let Err(e) = lower_verified(&js, &m) {
            refused.push(format!("{e}\n{js}"));
            assert!(refused.len() < 50, "too many refusals: {refused:#?}");
            continue;
        }
        let cases = inputs(&mut rng, Hook::NetRx, 25);
        runs += compare(&format!("program {programs}"), &js, &m, &cases);
        programs += 1;
    }
    assert!(programs >= 100, "{programs} programs");
    eprintln!(
        "{programs} programs, {runs} runs compared, {} refused",
        refused.len()
    );
}
