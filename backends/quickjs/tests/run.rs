//! Programs on QuickJS: hooks, their ctx, return codes, defaults on failure, budgets.

use oxbpf_loader::mbpf::manifest::{Hook, Manifest};
use oxbpf_loader::mbpf::{Bundle, Payload};
use oxbpf_quickjs::{Failure, HookInput, Instance, JsError};

fn bundle(hook: Hook, js: &str) -> Bundle {
    Bundle {
        manifest: Manifest::new("t", "1", hook),
        payload: Payload::Source(js.into()),
        ebpf: None,
        signed: false,
    }
}

fn load(hook: Hook, js: &str) -> Result<Instance, JsError> {
    Instance::new(&bundle(hook, js))
}

#[test]
fn a_net_rx_filter_drops_what_it_says() {
    let mut p = load(
        Hook::NetRx,
        "function mbpf_prog(ctx) { return ctx.readU8(0) === 0xff ? 1 : 0; }",
    )
    .unwrap();
    assert_eq!(p.run(&HookInput::new(Hook::NetRx, vec![0xff, 1])).rc, 1);
    assert_eq!(p.run(&HookInput::new(Hook::NetRx, vec![0x00, 1])).rc, 0);
}

fn with_budget(hook: Hook, js: &str, max_steps: u32, heap: u32) -> Result<Instance, JsError> {
    let mut b = bundle(hook, js);
    b.manifest.budgets.max_steps = max_steps;
    b.manifest.heap_size = heap;
    Instance::new(&b)
}

#[test]
fn an_endless_loop_stops_at_the_step_budget_and_the_instance_lives_on() {
    let js = "function mbpf_prog(ctx) { if (ctx.readU8(0) === 1) { for (;;) {} } return 7; }";
    let mut p = with_budget(Hook::NetRx, js, 20, 8192).unwrap();
    let r = p.run(&HookInput::new(Hook::NetRx, vec![1]));
    assert_eq!(r.rc, 0, "NET_RX's default is PASS");
    match r.failure {
        Some(Failure::Steps(t)) => assert!(t.as_nanos() > 0),
        other => panic!("expected the step budget, got {other:?}"),
    }
    // The same instance runs again, with a fresh budget.
    let r = p.run(&HookInput::new(Hook::NetRx, vec![0]));
    assert_eq!((r.rc, r.failure), (7, None));
    // At the top level, the loop stops the load.
    let e = with_budget(
        Hook::NetRx,
        "for (;;) {}\nfunction mbpf_prog() { return 0; }",
        20,
        8192,
    )
    .unwrap_err();
    assert!(e.to_string().contains("step budget"), "{e}");
}

#[test]
fn an_allocation_bomb_stops_at_the_heap_limit() {
    let js = "function mbpf_prog(ctx) { const a = []; for (let i = 0; i < 1e7; i++) { a.push('x'.repeat(100) + i); } return 3; }";
    let mut p = with_budget(Hook::Security, js, 100_000, 64 * 1024).unwrap();
    let r = p.run(&HookInput::new(Hook::Security, vec![]));
    assert_eq!(r.rc, 1, "SECURITY's default is DENY");
    assert_eq!(r.failure, Some(Failure::OutOfMemory));
    // A small allocation still works afterwards.
    let mut q = with_budget(
        Hook::Security,
        "function mbpf_prog() { return [1, 2, 3].length; }",
        100,
        64 * 1024,
    )
    .unwrap();
    assert_eq!(q.run(&HookInput::new(Hook::Security, vec![])).rc, 3);
}

#[test]
fn code_loading_and_nondeterministic_globals_are_gone() {
    for expr in [
        "eval('1')",
        "Function('return 1')()",
        "(function(){}).constructor('return 1')()",
        "(function*(){}).constructor('yield 1')",
        "(async function(){}).constructor('return 1')",
        "Date.now()",
        "new Date()",
        "Math.random()",
    ] {
        let js = format!("function mbpf_prog(ctx) {{ {expr}; return 5; }}");
        let mut p = load(Hook::NetRx, &js).unwrap();
        let r = p.run(&HookInput::new(Hook::NetRx, vec![]));
        assert_eq!(r.rc, 0, "{expr} ran");
        assert!(
            matches!(r.failure, Some(Failure::Exception(_))),
            "{expr}: {:?}",
            r.failure
        );
    }
    // Math itself stays.
    let mut p = load(
        Hook::NetRx,
        "function mbpf_prog() { return Math.max(2, 9); }",
    )
    .unwrap();
    assert_eq!(p.run(&HookInput::new(Hook::NetRx, vec![])).rc, 9);
}

#[test]
fn read_methods_have_the_reference_edges() {
    let js = r#"
        function attempt(f) { try { return f(); } catch (e) { return e.name; } }
        function mbpf_prog(ctx) {
            const out = new Uint8Array(3);
            const got = [
                ctx.readU8(0), ctx.readU16LE(1), ctx.readU32LE(0),
                attempt(() => ctx.readU8(4)), attempt(() => ctx.readU8(-1)),
                attempt(() => ctx.readU16LE(3)), attempt(() => ctx.readU8("0")),
                ctx.readBytes(2, 10, out), out[0], out[1],
                attempt(() => ctx.readBytes(4, 0, out)), attempt(() => ctx.readBytes(0, 1, [])),
                ctx.pkt_len, ctx.data_len, ctx.ifindex,
            ];
            ctx.pkt_len = 99;
            got.push(ctx.pkt_len);
            globalThis.last = got;
            return got.length;
        }
        function mbpf_fini() {}
    "#;
    let mut p = load(Hook::NetRx, js).unwrap();
    let input = HookInput::new(Hook::NetRx, vec![0x01, 0x02, 0x03, 0xf4])
        .with("ifindex", 3.0)
        .with("pkt_len", 60.0);
    let r = p.run(&input);
    assert_eq!(
        r,
        oxbpf_quickjs::RunResult {
            rc: 16,
            failure: None
        }
    );
    let last = p.eval_global_json("last").unwrap();
    assert_eq!(
        last,
        r#"[1,770,4093837825,"RangeError","RangeError","RangeError","TypeError",2,3,244,"RangeError","TypeError",60,4,3,60]"#
    );
    assert_eq!(p.unload(), None);
}

#[test]
fn return_values_and_failures() {
    let cases: [(&str, Hook, i32, bool); 8] = [
        ("return 4294967301;", Hook::NetRx, 5, false),
        ("return -1.5;", Hook::Custom, -1, false),
        ("return 'drop';", Hook::NetRx, 0, false),
        ("return undefined;", Hook::Security, 0, false),
        ("throw new Error('no');", Hook::Security, 1, true),
        ("throw 7;", Hook::NetTx, 0, true),
        ("return ctx.nope.x;", Hook::Tracepoint, 0, true),
        ("return ctx.timer_id + 1;", Hook::Timer, 1, false),
    ];
    for (body, hook, rc, failed) in cases {
        let mut p = load(hook, &format!("function mbpf_prog(ctx) {{ {body} }}")).unwrap();
        let r = p.run(&HookInput::new(hook, vec![]));
        assert_eq!(
            (r.rc, r.failure.is_some()),
            (rc, failed),
            "{body}: {:?}",
            r.failure
        );
    }
    // A TIMER ctx has no read methods.
    let mut p = load(
        Hook::Timer,
        "function mbpf_prog(ctx) { return typeof ctx.readU8 === 'undefined' ? 1 : 2; }",
    )
    .unwrap();
    assert_eq!(p.run(&HookInput::new(Hook::Timer, vec![1])).rc, 1);
    // A run for another hook is refused with the default.
    let mut p = load(Hook::Security, "function mbpf_prog() { return 0; }").unwrap();
    let r = p.run(&HookInput::new(Hook::NetRx, vec![]));
    assert_eq!(r.rc, 1);
    assert!(r.failure.is_some());
}

#[test]
fn loading_reports_what_is_wrong() {
    let e = load(Hook::NetRx, "function mbpf_prog(ctx) { return (; }").unwrap_err();
    assert!(
        matches!(e, JsError::Compile(_)) && e.to_string().contains("SyntaxError"),
        "{e}"
    );
    let e = load(Hook::NetRx, "function other() {}").unwrap_err();
    assert!(
        e.to_string()
            .contains("entry `mbpf_prog` is not a function"),
        "{e}"
    );
    let e = load(
        Hook::NetRx,
        "throw new TypeError('top');\nfunction mbpf_prog() {}",
    )
    .unwrap_err();
    assert!(e.to_string().contains("top"), "{e}");
    let e = load(
        Hook::NetRx,
        "function mbpf_init() { throw new Error('init failed'); }\nfunction mbpf_prog() {}",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("mbpf_init threw") && e.to_string().contains("init failed"),
        "{e}"
    );
    // The top level runs before mbpf exists.
    let e = load(Hook::NetRx, "mbpf.apiVersion;\nfunction mbpf_prog() {}").unwrap_err();
    assert!(e.to_string().contains("ReferenceError"), "{e}");
}

#[test]
fn bytecode_and_source_run_alike() {
    let js = "let n = 0; function mbpf_init() { n = 40; } function mbpf_prog(ctx) { n += 1; return n + ctx.readU8(0); }";
    let bytecode = oxbpf_quickjs::compile(js, "mbpf_prog").unwrap();
    let mut b = bundle(Hook::Tracepoint, js);
    b.payload = Payload::Bytecode(bytecode);
    let mut from_bytes = Instance::new(&b).unwrap();
    let mut from_source = load(Hook::Tracepoint, js).unwrap();
    for i in 0..3u8 {
        let input = HookInput::new(Hook::Tracepoint, vec![i]);
        let a = from_bytes.run(&input);
        assert_eq!(a, from_source.run(&input));
        assert_eq!(a.rc, 41 + 2 * i32::from(i));
    }
}

#[test]
fn mbpf_log_needs_its_capability() {
    let js = "function mbpf_prog(ctx) { mbpf.log(2, 'len ' + ctx.data_len); mbpf.log('x', 'y'); mbpf.log(9, 'z'); return mbpf.apiVersion; }";
    let mut p = load(Hook::NetRx, js).unwrap();
    let r = p.run(&HookInput::new(Hook::NetRx, vec![1, 2]));
    assert!(
        matches!(&r.failure, Some(Failure::Exception(e)) if e.contains("TypeError") && e.contains("not a function")),
        "{r:?}"
    );
    let mut b = bundle(Hook::NetRx, js);
    b.manifest.capabilities = 1;
    let mut p = Instance::new(&b).unwrap();
    assert_eq!(
        p.run(&HookInput::new(Hook::NetRx, vec![1, 2])),
        oxbpf_quickjs::RunResult {
            rc: 1,
            failure: None
        }
    );
    assert_eq!(p.take_logs(), ["[WARN] len 2", "[INFO] y", "[ERROR] z"]);
    assert!(p.take_logs().is_empty());
}

#[test]
fn custom_hooks_see_their_named_fields() {
    use oxbpf_quickjs::CustomField;
    let js = r#"
        function mbpf_prog(ctx) {
            globalThis.r = [ctx.field_count, ctx.level, ctx.big[0], ctx.big[1], ctx.blob.length, ctx.blob[1], ctx.custom_hook_id];
            return ctx.level;
        }
    "#;
    let mut p = load(Hook::Custom, js).unwrap();
    let input = HookInput::new(Hook::Custom, vec![])
        .with("custom_hook_id", 9.0)
        .with_custom("level", CustomField::Number(3.0))
        .with_custom("big", CustomField::Wide(0x1_0000_0002))
        .with_custom("blob", CustomField::Bytes(vec![5, 6, 7]));
    assert_eq!(p.run(&input).rc, 3);
    assert_eq!(p.eval_global_json("r").unwrap(), "[3,3,2,1,3,6,9]");
}
