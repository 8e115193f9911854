//! The QuickJS bytecode reader on what `compile` writes: the module, the entry function's
//! arguments, constants and instructions; the version, checksum and bounds checks; no panic on
//! mutated or random input.

use oxbpf_lower::bytecode::{self, Atom, Constant, Function, Operand};
use oxbpf_quickjs::compile;

fn functions(f: &Function, out: &mut Vec<Function>) {
    out.push(f.clone());
    for c in &f.constants {
        if let Constant::Function(g) = c {
            functions(g, out);
        }
    }
}

fn named(module: &bytecode::Module, name: &str) -> Function {
    let mut all = Vec::new();
    functions(&module.function, &mut all);
    all.into_iter()
        .find(|f| f.name == Atom::Text(name.into()))
        .unwrap_or_else(|| panic!("no function {name}"))
}

#[test]
fn the_filter_example_reads_back_to_its_functions_and_instructions() {
    let js = include_str!("../../examples/mbpf/net_rx_drop_ff.js");
    let bc = compile(js, "mbpf_prog").unwrap();
    assert_eq!(
        bc[0],
        bytecode::BC_VERSION,
        "the engine writes another bytecode version: update the reader's tables"
    );
    let m = bytecode::read(&bc).unwrap();
    assert_eq!(m.name, Atom::Text("mbpf.js".into()));
    let prog = named(&m, "mbpf_prog");
    assert_eq!(prog.arg_count, 1);
    assert_eq!(prog.vars[0].name, Atom::Text("ctx".into()));
    assert!(prog.strict);
    let names: Vec<&str> = prog.code.iter().map(|i| i.opcode.name()).collect();
    // ctx.data_len > 0 && ctx.readU8(0) === 0xff: a field read, a method call, comparisons.
    let atoms: Vec<String> = prog
        .code
        .iter()
        .filter_map(|i| match &i.operand {
            Operand::Atom(a) | Operand::AtomInt(a, _) => Some(a.text()),
            _ => None,
        })
        .collect();
    assert!(atoms.contains(&"data_len".to_owned()), "{atoms:?}");
    assert!(atoms.contains(&"readU8".to_owned()), "{atoms:?}");
    assert!(
        names.iter().any(|n| n.starts_with("call_method")),
        "{names:?}"
    );
    assert!(
        names.contains(&"strict_eq") || names.contains(&"eq"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("return")), "{names:?}");
    // Every jump target is an instruction.
    for i in &prog.code {
        if let Operand::Label(t) = i.operand {
            assert!(prog.at(t).is_some());
        }
    }
    // Debug information: the file, and lines.
    let d = prog.debug.as_ref().unwrap();
    assert_eq!(d.filename, Atom::Text("mbpf.js".into()));
    assert!(d.line > 1);
}

#[test]
fn constants_and_closures_read_back() {
    let js = "const big = 1.5, s = 'héllo', n = -7, t = true;\n\
              function helper(x) { return x * 2; }\n\
              function mbpf_prog(ctx) { const k = 123456789; return helper(k) + n; }";
    let m = bytecode::read(&compile(js, "mbpf_prog").unwrap()).unwrap();
    let prog = named(&m, "mbpf_prog");
    let ints: Vec<i64> = prog
        .code
        .iter()
        .filter(|i| i.opcode.name() == "push_i32")
        .filter_map(|i| match i.operand {
            Operand::Int(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(ints, [123_456_789]);
    assert!(
        prog.closure_vars
            .iter()
            .any(|c| c.name == Atom::Text("helper".into()))
    );
    let top = &m.function;
    // The top level: 1.5 from the constant pool, 'héllo' as an atom value (a wide-character
    // string would also read back), -7 and true as immediates.
    assert!(
        top.constants.contains(&Constant::Float(1.5)),
        "{:?}",
        top.constants
    );
    let atom_values: Vec<String> = top
        .code
        .iter()
        .filter(|i| i.opcode.name() == "push_atom_value")
        .filter_map(|i| match &i.operand {
            Operand::Atom(a) => Some(a.text()),
            _ => None,
        })
        .collect();
    assert!(atom_values.contains(&"héllo".to_owned()), "{atom_values:?}");
    let small: Vec<i64> = top
        .code
        .iter()
        .filter(|i| i.opcode.name().starts_with("push_i"))
        .filter_map(|i| match i.operand {
            Operand::Int(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(small.contains(&-7), "{small:?}");
    let mut all = Vec::new();
    functions(top, &mut all);
    assert!(
        all.iter()
            .any(|f| f.name == Atom::Text("helper".into()) && f.arg_count == 1)
    );
}

#[test]
fn another_version_a_bad_checksum_and_truncation_are_clear_errors() {
    let bc = compile("function mbpf_prog(ctx) { return 0; }", "mbpf_prog").unwrap();
    let mut other = bc.clone();
    other[0] = bytecode::BC_VERSION + 1;
    let e = bytecode::read(&other).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(
        e.to_string().contains("bytecode version 29") && e.to_string().contains("rebuild"),
        "{e}"
    );
    let mut flipped = bc.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let e = bytecode::read(&flipped).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    for cut in [0, 1, 4, 6, bc.len() / 2, bc.len() - 1] {
        assert!(bytecode::read(&bc[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bc.clone();
    longer.push(0);
    assert!(bytecode::read(&longer).is_err());
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Mutates bytecode and fixes its checksum (QuickJS accepts 0xffffffff as "no checksum"),
    /// so the mutation reaches the structure behind it.
    fn unchecked(mut b: Vec<u8>) -> Vec<u8> {
        if b.len() >= 5 {
            b[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        b
    }

    /// The manifest of the TIMER example.
    fn timer_manifest() -> oxbpf_loader::mbpf::manifest::Manifest {
        use oxbpf_loader::mbpf::manifest::{self, Hook, MapDecl, MapKind};
        let mut m = manifest::Manifest::new("ticks", "1.0", Hook::Timer);
        m.capabilities = manifest::CAP_MAP_READ | manifest::CAP_MAP_WRITE;
        m.maps = vec![MapDecl {
            name: "ticks".into(),
            kind: MapKind::Array,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            flags: 0,
        }];
        m
    }

    /// A program using every lowered feature: calls, logs, arrays, counters, rings, emits.
    const RICH: &str = "const buf = new Uint8Array(8);\nconst K = 5;\n\
        function mix(a, b) { let t = (a ^ b) | 0; if (t < 0) { t = (-t) | 0; } return t & 0xff; }\n\
        function sum(n) { let s = 0; for (let i = 0; i < n; i++) { s = (s + i) | 0; } return s; }\n\
        function mbpf_prog(ctx) {\n\
          const t = [0, 0];\n\
          mbpf.nowNs(t);\n\
          mbpf.u64StoreLE(buf, 0, t);\n\
          const x = mix(ctx.data_len, K) + sum(ctx.data_len & 7);\n\
          mbpf.log(ctx.data_len & 3, 'x ' + x + ' 0x' + (t[0] >>> 0).toString(16));\n\
          maps.hits.add(x & 3, 1);\n\
          maps.events.submit(buf);\n\
          mbpf.emit(x, buf);\n\
          if (maps.arr.lookup(0, buf) && mbpf.mapUpdate(0, 1, buf, 0)) { return 1; }\n\
          return maps.hits.get(0) > 3 ? mix(x, 1) : 2;\n\
        }\n";

    /// The manifest [`RICH`] lowers for.
    fn rich_manifest() -> oxbpf_loader::mbpf::manifest::Manifest {
        use oxbpf_loader::mbpf::manifest::{self, Hook, MapDecl, MapKind};
        let mut m = manifest::Manifest::new("rich", "1.0", Hook::NetRx);
        m.capabilities = manifest::CAP_MAP_READ
            | manifest::CAP_MAP_WRITE
            | manifest::CAP_LOG
            | manifest::CAP_TIME
            | manifest::CAP_EMIT;
        let map = |name: &str, kind, value_size| MapDecl {
            name: name.into(),
            kind,
            key_size: 4,
            value_size,
            max_entries: 4,
            flags: 0,
        };
        m.maps = vec![
            map("arr", MapKind::Array, 8),
            map("hits", MapKind::Counter, 8),
            map("events", MapKind::Ring, 8),
        ];
        m
    }

    #[test]
    fn the_rich_program_lowers() {
        let b = compile(RICH, "mbpf_prog").unwrap();
        let insns = oxbpf_lower::lower(&b, &rich_manifest()).unwrap();
        let text: Vec<String> = insns.iter().map(ToString::to_string).collect();
        for call in ["call 5", "call 6", "call 130", "call 131", "call 132"] {
            assert!(text.iter().any(|l| l == call), "{call}: {text:?}");
        }
    }

    #[test]
    fn the_timer_example_lowers() {
        let js = include_str!("../../examples/mbpf/timer_count.js");
        let b = compile(js, "mbpf_prog").unwrap();
        let insns = oxbpf_lower::lower(&b, &timer_manifest()).unwrap();
        assert!(insns.len() > 20);
        // Its buffer is the globals' first bytes; its map and written flags are maps 0 and 1.
        let text: Vec<String> = insns.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|l| l == "lddw %r1, map_fd 1"), "{text:?}");
        assert!(text.iter().any(|l| l == "call 2"), "{text:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn mutated_bytecode(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>(), rich in any::<bool>()) {
            let (js, manifest) = if rich {
                (RICH, rich_manifest())
            } else {
                (include_str!("../../examples/mbpf/timer_count.js"), timer_manifest())
            };
            let mut b = unchecked(compile(js, "mbpf_prog").unwrap());
            for (at, v) in edits {
                let i = 5 + at % (b.len() - 5);
                b[i] = v;
            }
            let keep = b.len() / 2 + cut % (b.len() / 2 + 1);
            b.truncate(keep);
            if bytecode::read(&b).is_ok() {
                // What reads lowers to a program or refuses, never panics.
                let _ = oxbpf_lower::lower(&b, &manifest);
            }
        }

        #[test]
        fn random_bytes(mut data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if !data.is_empty() {
                data[0] = bytecode::BC_VERSION;
            }
            let _ = bytecode::read(&unchecked(data));
        }
    }
}
