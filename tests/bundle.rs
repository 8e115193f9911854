//! `.mbpf` bundles through `Vm::load_bundle`: the same entry and the same `Executable` trait as
//! every program, on every backend.
#![cfg(feature = "mbpf")]

use oxbpf::mbpf::container::{self, section};
use oxbpf::mbpf::manifest::{self, Hook, MapDecl, MapKind};
use oxbpf::mbpf::{LoadPolicy, MbpfError, sign};
use oxbpf::{BACKENDS, Error, Vm};
use oxbpf_quickjs::HookInput;

/// The context blob of `hook` with every field 0 and `data`.
fn blob(hook: Hook, data: &[u8]) -> Vec<u8> {
    HookInput::new(hook, data.to_vec()).to_blob()
}

fn bundle(js: &str, hook: Hook, maps: Vec<MapDecl>, caps: u32) -> Vec<u8> {
    let mut m = manifest::Manifest::new("t", "1.0", hook);
    m.maps = maps;
    m.capabilities = caps;
    container::write(
        &[
            (section::MANIFEST, &manifest::encode(&m)),
            (section::JS_SOURCE, js.as_bytes()),
        ],
        0,
        true,
    )
    .unwrap()
}

const UNSIGNED: LoadPolicy = LoadPolicy {
    trusted: Vec::new(),
    allow_unsigned: true,
};

#[test]
fn a_bundle_runs_on_every_backend_with_its_maps() {
    let js = include_str!("../examples/mbpf/net_rx_events.js");
    let maps = vec![MapDecl {
        name: "events".into(),
        kind: MapKind::Ring,
        key_size: 0,
        value_size: 4,
        max_entries: 64,
        flags: 0,
    }];
    let filter = include_str!("../examples/mbpf/net_rx_drop_ff.js");
    for backend in BACKENDS {
        let vm = Vm::new(backend).unwrap();
        let drop = vm
            .load_bundle(&bundle(filter, Hook::NetRx, vec![], 0), &UNSIGNED)
            .unwrap();
        let net = |d: &[u8]| blob(Hook::NetRx, d);
        assert_eq!(drop.execute(&mut net(&[0xff, 1])), Ok(1), "{backend}");
        assert_eq!(drop.execute(&mut net(&[0x00, 1])), Ok(0), "{backend}");
        assert_eq!(drop.execute(&mut net(&[])), Ok(0), "{backend}");
        // Shorter than the hook's fields: the hook's default.
        assert_eq!(drop.execute(&mut [0xff]), Ok(0), "{backend}");
        // Behind the same trait: a shared executable, counted like any program.
        let exe = drop.shared_executable();
        assert_eq!(exe.run(&mut net(&[0xff])), Ok(1));
        assert_eq!(drop.execute_counted(&mut net(&[0xff])).instructions, 2);

        let events = vm
            .load_bundle(&bundle(js, Hook::NetRx, maps.clone(), 4), &UNSIGNED)
            .unwrap();
        assert_eq!(events.execute(&mut net(&[7, 8, 9])), Ok(0));
        let mut got = Vec::new();
        events
            .maps()
            .get("events")
            .unwrap()
            .drain(|r| got.push(r.to_vec()));
        assert_eq!(got, [vec![3, 0, 7, 8]], "{backend}");
    }
}

#[test]
fn a_failing_run_returns_the_hooks_default_as_r0() {
    let vm = Vm::new("jit").unwrap();
    let deny = vm
        .load_bundle(
            &bundle(
                "function mbpf_prog(ctx) { throw new Error('x'); }",
                Hook::Security,
                vec![],
                0,
            ),
            &UNSIGNED,
        )
        .unwrap();
    assert_eq!(deny.execute(&mut blob(Hook::Security, &[])), Ok(1));
    let negative = vm
        .load_bundle(
            &bundle(
                "function mbpf_prog(ctx) { return -2; }",
                Hook::Custom,
                vec![],
                0,
            ),
            &UNSIGNED,
        )
        .unwrap();
    assert_eq!(
        negative.execute(&mut blob(Hook::Custom, &[])),
        Ok(0xffff_fffe)
    );
}

#[test]
fn refused_bundles_are_errors_of_the_vm() {
    let vm = Vm::new("interp").unwrap();
    let b = bundle(
        "function mbpf_prog(ctx) { return 0; }",
        Hook::NetRx,
        vec![],
        0,
    );
    let strict = LoadPolicy::default();
    assert_eq!(
        vm.load_bundle(&b, &strict).unwrap_err(),
        Error::Bundle(MbpfError::Unsigned)
    );
    let key = sign::key_from_seed(&[1; 32]);
    let other = sign::key_from_seed(&[2; 32]);
    let signed = sign::sign(&b, &other).unwrap();
    let trust_key = LoadPolicy {
        trusted: vec![key.verifying_key()],
        allow_unsigned: false,
    };
    assert_eq!(
        vm.load_bundle(&signed, &trust_key).unwrap_err(),
        Error::Bundle(MbpfError::Untrusted(1))
    );
    let broken = bundle("function mbpf_prog( {", Hook::NetRx, vec![], 0);
    assert!(matches!(
        vm.load_bundle(&broken, &UNSIGNED),
        Err(Error::Js(_))
    ));
}

#[test]
fn a_javascript_program_and_an_ebpf_program_share_a_map() {
    // JavaScript counts packets in counter map `seen` (index 0) and reads what eBPF adds.
    let js = "function mbpf_prog(ctx) { maps.seen.add(0, 1); return maps.seen.get(0); }";
    let seen = MapDecl {
        name: "seen".into(),
        kind: MapKind::Counter,
        key_size: 0,
        value_size: 8,
        max_entries: 1,
        flags: 0,
    };
    let vm = Vm::new("jit").unwrap();
    let counter = vm
        .load_bundle(&bundle(js, Hook::NetRx, vec![seen], 2 | 4), &UNSIGNED)
        .unwrap();
    // eBPF: *map_lookup_elem(map 0, &0) += 100 (atomically), the same map by position.
    let ebpf = oxbpf::asm::assemble(
        "stw [%r10-4], 0
         lddw %r1, map_fd 0
         mov %r2, %r10
         add %r2, -4
         call 1
         jeq %r0, 0, out
         mov %r1, 100
         lock add [%r0], %r1
         out:
         mov %r0, 0
         exit",
    )
    .unwrap();
    let adder = vm.load_with_maps(ebpf, counter.maps()).unwrap();
    let mut ctx = blob(Hook::NetRx, &[]);
    assert_eq!(counter.execute(&mut ctx), Ok(1));
    assert_eq!(adder.execute(&mut []), Ok(0));
    assert_eq!(counter.execute(&mut ctx), Ok(102));
    assert_eq!(adder.execute(&mut []), Ok(0));
    let host = counter
        .maps()
        .get("seen")
        .unwrap()
        .lookup(&0u32.to_le_bytes())
        .unwrap();
    assert_eq!(host, 202u64.to_le_bytes());
}

#[test]
fn log_lines_reach_the_vms_trace_sink_lowered_or_not() {
    use std::sync::{Arc, Mutex};
    let js = include_str!("../examples/mbpf/tracepoint_log.js");
    let mut m = manifest::Manifest::new("t", "1.0", Hook::Tracepoint);
    m.capabilities = manifest::CAP_LOG;
    let bytecode = oxbpf::quickjs::compile(js, "mbpf_prog").unwrap();
    let lowered = Vm::new("interp")
        .unwrap()
        .lower_bundle(&bytecode, &m)
        .unwrap();
    let quickjs_only = bundle(js, Hook::Tracepoint, Vec::new(), manifest::CAP_LOG);
    let with_lowering = container::write(
        &[
            (section::MANIFEST, &manifest::encode(&m)),
            (section::JS_SOURCE, js.as_bytes()),
            (section::EBPF_TEXT, &oxbpf::isa::encode(&lowered)),
        ],
        0,
        true,
    )
    .unwrap();
    for (what, bytes) in [("QuickJS", quickjs_only), ("lowered", with_lowering)] {
        let mut vm = Vm::new("jit").unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        vm.host_env_mut().trace = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()));
        let loaded = vm.load_bundle(&bytes, &UNSIGNED).unwrap();
        // Lowered or not: the lowered text is longer than the two-instruction runner.
        assert_eq!(loaded.program().insns().len() > 2, what == "lowered");
        let mut ctx = blob(Hook::Tracepoint, &[0x78, 0x56, 0x34, 0x12]);
        assert_eq!(loaded.execute(&mut ctx), Ok(0), "{what}");
        assert_eq!(
            *lines.lock().unwrap(),
            ["[INFO] tracepoint 0: 4 bytes, first word 0x12345678"],
            "{what}"
        );
    }
}
