//! Objects written the ways real-world eBPF code is written (libbpf `SEC()` names, the kernel
//! samples' and iproute2's legacy map sections, BTF maps of maps and program arrays with initial
//! values), built by clang-14 from the C files beside them in `tests/fixtures/` (see `build.sh`):
//! their programs' types, their maps, several programs in one section, and `.BTF.ext` line info.

use oxbpf_core::program_type::ProgramType as T;
use oxbpf_core::{Backend, Config, HelperRegistry, Program};
use oxbpf_helpers::{MapDef, MapType, Pinning};
use oxbpf_loader::{ElfError, ElfObject, LinkedProgram, MapInit, MapSpec, write_object};
use std::sync::Arc;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.o", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> ElfObject {
    ElfObject::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs a linked program that calls no helper on the interpreter with context `ctx`.
fn run(p: &LinkedProgram, ctx: &mut [u8]) -> u64 {
    let helpers = Arc::new(HelperRegistry::new());
    let program = Program::from_bytes(&p.bytecode, &Config::default(), &helpers).unwrap();
    let exe = oxbpf_interp::Interpreter
        .prepare(Arc::new(program), helpers)
        .unwrap();
    exe.run(ctx).unwrap()
}

fn map<'a>(obj: &'a ElfObject, name: &str) -> &'a MapSpec {
    obj.maps()
        .iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no map `{name}`"))
}

fn index_of(obj: &ElfObject, name: &str) -> usize {
    obj.maps().iter().position(|m| m.name() == name).unwrap()
}

fn def(name: &str, t: MapType, key: u32, value: u32, entries: u32) -> MapDef {
    MapDef::new(name, t, key, value, entries)
}

/// Rewrites the byte range `at` of section `section` of the object `bytes` with `f`.
fn patch(bytes: &[u8], section: &str, f: impl FnOnce(&mut [u8])) -> Vec<u8> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(bytes).unwrap();
    let (start, len) = file
        .section_by_name(section)
        .and_then(|s| s.file_range())
        .unwrap_or_else(|| panic!("no section {section}"));
    let mut out = bytes.to_vec();
    f(&mut out[start as usize..(start + len) as usize]);
    out
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

// --- Program types -----------------------------------------------------------------------------

#[test]
fn program_types_from_libbpf_section_names() {
    let obj = parse("sections");
    let expected = [
        ("xdp_first", Some(T::Xdp)),
        ("xdp_second", Some(T::Xdp)),
        ("xdp_frags", Some(T::Xdp)),
        ("xdp_devmap", Some(T::Xdp)),
        ("tc_plain", Some(T::SchedCls)),
        ("tc_ingress", Some(T::SchedCls)),
        ("tcx_egress", Some(T::SchedCls)),
        ("cls", Some(T::SchedCls)),
        ("act", Some(T::SchedAct)),
        ("sock", Some(T::SocketFilter)),
        ("sock1", Some(T::SocketFilter)),
        ("kp", Some(T::Kprobe)),
        ("krp", Some(T::Kprobe)),
        ("up", Some(T::Kprobe)),
        ("urp", Some(T::Kprobe)),
        ("ksys", Some(T::Kprobe)),
        ("usdt", Some(T::Kprobe)),
        ("tracep", Some(T::Tracepoint)),
        ("tp", Some(T::Tracepoint)),
        ("rawtp", Some(T::RawTracepoint)),
        ("rawtpw", Some(T::RawTracepointWritable)),
        ("perf", Some(T::PerfEvent)),
        ("sock_ops", Some(T::SockOps)),
        ("parser", Some(T::SkSkb)),
        ("verdict", Some(T::SkSkb)),
        ("msg", Some(T::SkMsg)),
        ("cgskb", Some(T::CgroupSkb)),
        ("cgsock", Some(T::CgroupSock)),
        ("connect4", Some(T::CgroupSockAddr)),
        ("getpeername6", Some(T::CgroupSockAddr)),
        ("cgdev", Some(T::CgroupDevice)),
        ("cgsysctl", Some(T::CgroupSysctl)),
        ("cggetsockopt", Some(T::CgroupSockopt)),
        ("lwt", Some(T::LwtXmit)),
        ("dissect", Some(T::FlowDissector)),
        ("reuseport", Some(T::SkReuseport)),
        ("lookup", Some(T::SkLookup)),
        ("sys", Some(T::Syscall)),
        ("fentry", Some(T::Tracing)),
        ("fexit", Some(T::Tracing)),
        ("tpbtf", Some(T::Tracing)),
        ("iter", Some(T::Tracing)),
        ("lsm", Some(T::Lsm)),
        ("ops", Some(T::StructOps)),
        ("nf", Some(T::Netfilter)),
        ("custom", None),
    ];
    let got: Vec<_> = obj
        .programs()
        .iter()
        .map(|p| (p.name.as_str(), p.program_type))
        .collect();
    assert_eq!(got, expected);
    // Every program links, and runs to the number telling it apart.
    for (i, p) in obj.programs().iter().enumerate().skip(2) {
        let linked = obj.program(Some(&p.name)).unwrap();
        assert_eq!(run(&linked, &mut [0; 8]), i as u64 + 1, "{}", p.name);
    }
}

#[test]
fn program_types_of_kernel_samples_and_iproute2_sections() {
    let types = |name| -> Vec<(String, String, Option<T>)> {
        parse(name)
            .programs()
            .iter()
            .map(|p| (p.name.clone(), p.section.clone(), p.program_type))
            .collect()
    };
    let owned = |v: &[(&str, &str, Option<T>)]| -> Vec<(String, String, Option<T>)> {
        v.iter()
            .map(|&(n, s, t)| (n.to_owned(), s.to_owned(), t))
            .collect()
    };
    assert_eq!(
        types("samples"),
        owned(&[
            ("bpf_prog1", "socket1", Some(T::SocketFilter)),
            ("bpf_prog2", "socket2", Some(T::SocketFilter)),
            ("bpf_prog3", "kprobe/sys_write", Some(T::Kprobe)),
            ("xdp_prog1", "xdp1", Some(T::Xdp)),
        ])
    );
    assert_eq!(
        types("iproute2"),
        owned(&[
            ("cls_case1", "1/0", Some(T::SchedCls)),
            ("cls_case2", "1/1", Some(T::SchedCls)),
            ("cls_entry", "classifier", Some(T::SchedCls)),
            ("cls_count", "classifier", Some(T::SchedCls)),
            ("act_main", "action", Some(T::SchedAct)),
        ])
    );
    // tc gives these their type.
    assert_eq!(
        types("iproute2-mim"),
        owned(&[("emain", "egress", None), ("imain", "ingress", None)])
    );
}

/// An object of code sections `sections` (name, function), each `mov r0, 1; exit`.
fn object_with(sections: &[(&str, &str)]) -> Vec<u8> {
    use object::write::{Object, Symbol, SymbolSection};
    use object::{Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind};
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let code = [0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    for (section, function) in sections {
        let s = obj.add_section(Vec::new(), section.as_bytes().to_vec(), SectionKind::Text);
        obj.append_section_data(s, &code, 8);
        obj.add_symbol(Symbol {
            name: function.as_bytes().to_vec(),
            value: 0,
            size: 16,
            kind: SymbolKind::Text,
            scope: object::SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(s),
            flags: SymbolFlags::None,
        });
    }
    obj.write().unwrap()
}

#[test]
fn tail_call_sections_take_the_type_of_the_other_programs() {
    let types = |sections: &[(&str, &str)]| -> Vec<Option<T>> {
        let obj = ElfObject::parse(&object_with(sections)).unwrap();
        obj.programs().iter().map(|p| p.program_type).collect()
    };
    // `ip link set dev eth0 xdp obj x.o`: the tail calls are XDP programs too.
    assert_eq!(
        types(&[("xdp", "main"), ("1/0", "a"), ("1/1", "b")]),
        [Some(T::Xdp); 3]
    );
    // Programs of several types, or none known: tc's default, a classifier.
    assert_eq!(
        types(&[("classifier", "c"), ("action", "a"), ("2/0", "t")]),
        [Some(T::SchedCls), Some(T::SchedAct), Some(T::SchedCls)]
    );
    // iproute2 loads every program of its object as one type: a section whose name tells
    // none (Cilium's `from-container`) takes the tail calls'.
    assert_eq!(
        types(&[("from-container", "p"), ("2/0", "t")]),
        [Some(T::SchedCls); 2]
    );
    assert_eq!(
        types(&[("xdp", "main"), ("ingress", "i"), ("1/0", "a")]),
        [Some(T::Xdp); 3]
    );
    // Without tail-call sections nothing tells.
    assert_eq!(types(&[("prog", "p"), ("xdp", "x")]), [None, Some(T::Xdp)]);
}

// --- Several programs in one section -------------------------------------------------------------

#[test]
fn several_programs_in_one_section_each_link_and_run() {
    let obj = parse("sections");
    let xdp: Vec<_> = obj
        .programs()
        .iter()
        .filter(|p| p.section == "xdp")
        .map(|p| (p.name.as_str(), p.offset))
        .collect();
    assert_eq!(xdp, [("xdp_first", 0), ("xdp_second", 24)]);
    // Both call the same sub-program in .text.
    let first = obj.program(Some("xdp_first")).unwrap();
    let second = obj.program(Some("xdp_second")).unwrap();
    assert_eq!(run(&first, &mut [3, 4, 0, 0]), 3 + 4 + 1);
    assert_eq!(run(&second, &mut [3, 4, 0, 0]), (3 + 4) * 2);
    // The section's name gives its first program.
    assert_eq!(obj.program(Some("xdp")).unwrap().name, "xdp_first");

    // iproute2's classifier section with two programs: each starts with its own function.
    let obj = parse("iproute2");
    for (name, first_line) in [
        ("cls_entry", "    bpf_tail_call(skb, &jmp_tc, skb[0]);"),
        ("cls_count", "int cls_count(unsigned char *skb)"),
    ] {
        let p = obj.program(Some(name)).unwrap();
        assert_eq!(p.section, "classifier");
        assert_eq!(p.functions[0].name, name);
        assert_eq!(p.functions[0].insn, 0);
        assert_eq!(p.line_of(0).unwrap().source, first_line, "{name}");
        assert!(p.uses_maps());
    }
}

/// Checks that `e` refuses a map of `section` for a type this build does not have, naming it.
fn refused_type(e: &ElfError, section: &str) {
    let ElfError::Unsupported {
        section: s, what, ..
    } = e
    else {
        panic!("{e}");
    };
    assert_eq!(s, section);
    assert!(
        ["(array_of_maps)", "(hash_of_maps)", "(perf_event_array)"]
            .iter()
            .any(|t| what.contains(t)),
        "{e}"
    );
}

// --- Legacy map sections --------------------------------------------------------------------------

#[test]
fn kernel_samples_28_byte_map_definitions() {
    let expected = [
        def("my_map", MapType::Array, 4, 8, 256),
        def("counts", MapType::Hash, 4, 8, 1024).with_flags(1),
        def("lru", MapType::LruHash, 8, 8, 128),
        def("percpu", MapType::PercpuArray, 4, 8, 4),
    ];
    // With BTF (the struct's member names) and without (by record size): the same.
    for name in ["samples", "samples-nobtf"] {
        let obj = parse(name);
        let defs: Vec<_> = obj.maps().iter().map(|m| m.def.clone()).collect();
        assert_eq!(defs, expected, "{name}");
        let offsets: Vec<_> = obj
            .maps()
            .iter()
            .map(|m| (m.section.as_str(), m.offset))
            .collect();
        assert_eq!(
            offsets,
            [("maps", 0), ("maps", 28), ("maps", 56), ("maps", 84)]
        );
        assert!(obj.maps().iter().all(|m| m.initial.is_empty()));
        for p in obj.programs() {
            obj.program(Some(&p.name)).unwrap();
        }
    }
}

#[test]
fn kernel_samples_maps_of_maps_name_their_inner_map_by_index() {
    match ElfObject::parse(&fixture("samples-mim")) {
        Ok(obj) => {
            let port_a = def("port_a", MapType::Array, 4, 4, 65536);
            let port_h = def("port_h", MapType::Hash, 4, 4, 1);
            assert_eq!(map(&obj, "port_a").def, port_a);
            assert_eq!(map(&obj, "port_h").def, port_h);
            let outer = &map(&obj, "a_of_port_a").def;
            assert_eq!(outer.map_type as u32, 12);
            assert_eq!(
                (outer.key_size, outer.value_size, outer.max_entries),
                (4, 4, 65536)
            );
            assert_eq!(outer.inner.as_deref(), Some(&port_a));
            let outer = &map(&obj, "h_of_port_h").def;
            assert_eq!(outer.map_type as u32, 13);
            assert_eq!(outer.inner.as_deref(), Some(&port_h));
            assert_eq!(map(&obj, "events").def.map_type as u32, 4);
            assert!(obj.maps().iter().all(|m| m.initial.is_empty()));
        }
        // Until oxbpf has maps of maps: refused, naming the map and its type.
        Err(e) => refused_type(&e, "maps"),
    }
}

#[test]
fn iproute2_bpf_elf_map_pinning_and_tail_calls() {
    for (name, size) in [("iproute2", 36), ("iproute2-old", 28)] {
        let obj = parse(name);
        let mut jmp = def("jmp_tc", MapType::ProgArray, 4, 4, 2);
        jmp.pinning = Pinning::ByName;
        let mut shared = def("map_sh", MapType::Array, 4, 4, 1);
        shared.pinning = Pinning::ByName;
        let defs: Vec<_> = obj.maps().iter().map(|m| m.def.clone()).collect();
        assert_eq!(
            defs,
            [jmp, shared, def("cnt", MapType::Hash, 4, 8, 64)],
            "{name}"
        );
        assert_eq!(map(&obj, "map_sh").offset, size);
        // The tail-call sections `1/0` and `1/1` fill the program array whose id is 1.
        assert_eq!(
            map(&obj, "jmp_tc").initial,
            [
                (0, MapInit::Program("cls_case1".into())),
                (1, MapInit::Program("cls_case2".into()))
            ]
        );
        for p in obj.programs() {
            obj.program(Some(&p.name)).unwrap();
        }
        let case = obj.program(Some("cls_case2")).unwrap();
        assert_eq!(run(&case, &mut [5, 0]), 205);
    }
}

#[test]
fn iproute2_maps_of_maps_by_inner_id_and_inner_idx() {
    match ElfObject::parse(&fixture("iproute2-mim")) {
        Ok(obj) => {
            let mut inner = def("map_inner", MapType::Array, 4, 4, 1);
            inner.pinning = Pinning::ByName;
            assert_eq!(map(&obj, "map_inner").def, inner);
            let outer = map(&obj, "map_outer");
            assert_eq!(outer.def.map_type as u32, 12);
            assert_eq!(outer.def.pinning, Pinning::ByName);
            assert_eq!(outer.def.inner.as_deref(), Some(&inner));
            // The inner map's id is the outer map's inner_id: it goes into slot inner_idx (1).
            let at = index_of(&obj, "map_inner");
            assert_eq!(outer.initial, [(1, MapInit::Map(at))]);
        }
        Err(e) => refused_type(&e, "maps"),
    }
}

#[test]
fn a_custom_iproute2_pinning_is_refused_with_its_offset() {
    // map_sh's pinning (record 1 of 36 bytes, field 6) set to 7: a path from
    // /etc/iproute2/bpf_pinning.
    let bytes = patch(&fixture("iproute2"), "maps", |m| put_u32(m, 36 + 24, 7));
    assert_eq!(
        ElfObject::parse(&bytes).unwrap_err(),
        ElfError::Unsupported {
            section: "maps".into(),
            offset: 0x3c,
            what: "map `map_sh`: iproute2 pinning 7 (a custom pinning path)".into(),
        }
    );
    // A tail call beyond the program array (max_elem 2 -> 1).
    let bytes = patch(&fixture("iproute2"), "maps", |m| put_u32(m, 12, 1));
    let err = ElfObject::parse(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed ELF: maps at offset 0x0: `cls_case2` goes into slot 1 of map `jmp_tc`, which \
         has 1 entries"
    );
}

// --- BTF maps: initial values, maps of maps -------------------------------------------------------

#[test]
fn btf_program_array_initial_values_name_programs() {
    let obj = parse("btf-init");
    let jmp = map(&obj, "jmp_table");
    assert_eq!(jmp.def, def("jmp_table", MapType::ProgArray, 4, 4, 4));
    assert_eq!(
        jmp.initial,
        [
            (1, MapInit::Program("tail_one".into())),
            (3, MapInit::Program("tail_three".into()))
        ]
    );
    let seen = map(&obj, "seen");
    assert_eq!(seen.def.pinning, Pinning::ByName);
    assert!(seen.initial.is_empty());
    let entry = obj.program(Some("entry")).unwrap();
    assert!(entry.uses_maps());
    assert_eq!(entry.functions[0].name, "entry");
}

#[test]
fn btf_initial_values_outside_values_are_refused() {
    // The relocation of slot 1 (byte 0x20 of `.maps`: `values` starts at 24) moved to 0x1c.
    let bytes = patch(&fixture("btf-init"), ".rel.maps", |r| {
        assert_eq!(r[0], 0x20);
        r[0] = 0x1c;
    });
    assert_eq!(
        ElfObject::parse(&bytes).unwrap_err(),
        ElfError::Relocation {
            section: ".maps".into(),
            offset: 0x1c,
            detail: "a pointer to `tail_one` outside the `values` of map `jmp_table`".into(),
        }
    );
    // Slot 3 -> slot 4 of a 4-entry array: the start of the next map, which has no `values`.
    let bytes = patch(&fixture("btf-init"), ".rel.maps", |r| r[16] += 8);
    assert_eq!(
        ElfObject::parse(&bytes).unwrap_err().to_string(),
        "bad relocation in .maps at offset 0x38: a pointer to `tail_three` outside the `values` \
         of map `seen`"
    );
}

#[test]
fn btf_maps_of_maps_inner_definitions_and_initial_values() {
    match ElfObject::parse(&fixture("btf-mim")) {
        Ok(obj) => {
            let inner = |name: &str| def(name, MapType::Array, 4, 4, 1);
            assert_eq!(map(&obj, "inner_map1").def, inner("inner_map1"));
            let outer = map(&obj, "outer_arr");
            assert_eq!(outer.def.map_type as u32, 12);
            assert_eq!(
                (
                    outer.def.key_size,
                    outer.def.value_size,
                    outer.def.max_entries
                ),
                (4, 4, 3)
            );
            assert_eq!(outer.def.inner.as_deref(), Some(&inner("outer_arr.inner")));
            assert_eq!(
                outer.initial,
                [
                    (0, MapInit::Map(index_of(&obj, "inner_map2"))),
                    (2, MapInit::Map(index_of(&obj, "inner_map1")))
                ]
            );
            let outer = map(&obj, "outer_hash");
            assert_eq!(outer.def.map_type as u32, 13);
            assert_eq!(outer.def.value_size, 4);
            assert_eq!(
                outer.def.inner.as_deref(),
                Some(&def("outer_hash.inner", MapType::Hash, 4, 8, 4))
            );
            assert!(outer.initial.is_empty());
            obj.program(Some("lookups")).unwrap();
        }
        Err(e) => refused_type(&e, ".maps"),
    }
}

// --- ELF machine `EM_NONE` ------------------------------------------------------------------------

/// `bytes` with `e_machine` set to `machine`.
fn with_machine(bytes: &[u8], machine: u16) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[18..20].copy_from_slice(&machine.to_le_bytes());
    b
}

#[test]
fn machine_none_objects_of_older_llvm_load() {
    for name in ["sections", "iproute2", "btf-init", "samples-nobtf"] {
        let bytes = fixture(name);
        let none = ElfObject::parse(&with_machine(&bytes, 0)).unwrap();
        let bpf = ElfObject::parse(&bytes).unwrap();
        assert_eq!(none, bpf, "{name}");
        for p in none.programs() {
            assert_eq!(
                none.program(Some(&p.name)).unwrap(),
                bpf.program(Some(&p.name)).unwrap()
            );
        }
    }
}

/// An x86-64 object: a function calling another through an x86 relocation.
fn x86_object() -> Vec<u8> {
    use object::write::{Object, Relocation, Symbol, SymbolSection};
    use object::{
        Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags,
        SymbolKind, SymbolScope,
    };
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    // call 0; ret; padded to 8 bytes.
    obj.append_section_data(text, &[0xe8, 0, 0, 0, 0, 0xc3, 0x90, 0x90], 16);
    let f = obj.add_symbol(Symbol {
        name: b"f".to_vec(),
        value: 0,
        size: 8,
        kind: SymbolKind::Text,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(text),
        flags: SymbolFlags::None,
    });
    // R_X86_64_REX_GOTPCRELX.
    let r = Relocation {
        offset: 1,
        symbol: f,
        addend: -4,
        flags: RelocationFlags::Elf { r_type: 42 },
    };
    obj.add_relocation(text, r).unwrap();
    obj.write().unwrap()
}

#[test]
fn other_architectures_are_refused() {
    let x86 = x86_object();
    assert_eq!(
        ElfObject::parse(&x86).unwrap_err(),
        ElfError::NotBpf("machine is X86_64, not EM_BPF".into())
    );
    // Marked EM_NONE, its relocations still give it away.
    assert_eq!(
        ElfObject::parse(&with_machine(&x86, 0)).unwrap_err(),
        ElfError::NotBpf(
            "machine is EM_NONE and .text at offset 0x1 has relocation type 42, not an eBPF one"
                .into()
        )
    );
    // Another machine number on an eBPF object (EM_AARCH64).
    let err = ElfObject::parse(&with_machine(&fixture("sections"), 183)).unwrap_err();
    assert_eq!(
        err,
        ElfError::NotBpf("machine is Aarch64, not EM_BPF".into())
    );
}

// --- .BTF.ext line info ---------------------------------------------------------------------------

#[test]
fn line_info_maps_instructions_to_source_lines_through_linking() {
    let obj = parse("sections");
    let second = obj.program(Some("xdp_second")).unwrap();
    let len = second.bytecode.len() / 8;
    let l = second.line_of(0).unwrap();
    assert_eq!(
        (l.file.as_str(), l.line, l.column, l.source.as_str()),
        ("./sections.c", 21, 13, "    int s = sum2(ctx);")
    );
    assert_eq!(second.line_of(2).unwrap().source, "    return s * 2;");
    // The sub-program in .text, appended after the section's code: its lines shifted with it.
    let sum2 = second.functions.iter().find(|f| f.name == "sum2").unwrap();
    assert!(sum2.insn > 3 && sum2.insn < len);
    let l = second.line_of(sum2.insn).unwrap();
    assert_eq!((l.line, l.source.as_str()), (9, "    return p[0] + p[1];"));
    assert_eq!(second.line_of(len - 1).unwrap().line, 9);
    // Records are sorted, inside the program, and every instruction has one at or before it.
    assert!(second.lines.windows(2).all(|w| w[0].insn <= w[1].insn));
    assert!(second.lines.iter().all(|l| l.insn < len));
    assert!((0..len).all(|i| second.line_of(i).is_some()));
    assert_eq!(second.line_of(usize::MAX).unwrap().line, 9);

    let first = obj.program(Some("xdp_first")).unwrap();
    assert_eq!(
        first.line_of(0).unwrap().source,
        "    return sum2(ctx) + 1;"
    );
    let names: Vec<_> = first.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["xdp_first", "xdp_second", "sum2"]);
}

#[test]
fn objects_without_btf_ext_have_no_lines() {
    let obj = parse("samples-nobtf");
    let p = obj.program(Some("bpf_prog1")).unwrap();
    assert!(p.lines.is_empty() && p.functions.is_empty());
    assert_eq!(p.line_of(0), None);
    let code = write_object(&[0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    let p = ElfObject::parse(&code).unwrap().program(None).unwrap();
    assert_eq!(p.line_of(0), None);
}

/// The `.BTF.ext` of `sections.o` patched by `f`, parsed.
fn with_btf_ext(f: impl FnOnce(&mut [u8])) -> Result<ElfObject, ElfError> {
    ElfObject::parse(&patch(&fixture("sections"), ".BTF.ext", f))
}

fn btf_ext_error(offset: u64, detail: &str) -> ElfError {
    ElfError::Malformed {
        section: ".BTF.ext".into(),
        offset,
        detail: detail.into(),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[test]
fn malformed_btf_ext_names_the_section_and_offset() {
    assert_eq!(
        with_btf_ext(|b| b[0] = 0).unwrap_err(),
        btf_ext_error(0, "bad magic (big-endian or not .BTF.ext)")
    );
    assert_eq!(
        with_btf_ext(|b| b[2] = 2).unwrap_err(),
        btf_ext_error(2, "version 2 (1 expected)")
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, 4, 4)).unwrap_err(),
        btf_ext_error(4, "header length 4")
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, 20, 1 << 20)).unwrap_err(),
        btf_ext_error(16, "line_info outside the section")
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, 12, u32::MAX)).unwrap_err(),
        btf_ext_error(8, "func_info outside the section")
    );
    // The line_info part: its record size, then the first block (section name, count) and
    // its first record.
    let ext = fixture_section("sections", ".BTF.ext");
    let hdr = u32_at(&ext, 4) as usize;
    let lines = hdr + u32_at(&ext, 16) as usize;
    assert_eq!(u32_at(&ext, lines), 16);
    assert_eq!(
        with_btf_ext(|b| put_u32(b, lines, 12)).unwrap_err(),
        btf_ext_error(lines as u64, "record size 12")
    );
    let block = lines + 4;
    assert_eq!(
        with_btf_ext(|b| put_u32(b, block, u32::MAX)).unwrap_err(),
        btf_ext_error(
            block as u64,
            "section name offset 4294967295 outside the .BTF strings"
        )
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, block + 4, 1 << 28)).unwrap_err(),
        btf_ext_error(
            block as u64,
            "268435456 records of 16 bytes past the end of the part"
        )
    );
    let record = block + 8;
    let count = u32_at(&ext, block + 4);
    assert!(count > 0);
    assert_eq!(
        with_btf_ext(|b| put_u32(b, record + 8, u32::MAX)).unwrap_err(),
        btf_ext_error(
            record as u64 + 8,
            "string offset 4294967295 outside the .BTF strings"
        )
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, record, 3)).unwrap_err(),
        btf_ext_error(
            record as u64,
            "line info for byte 0x3 of `xdp`, not one of its instructions"
        )
    );
    assert_eq!(
        with_btf_ext(|b| put_u32(b, record, 0x1000)).unwrap_err(),
        btf_ext_error(
            record as u64,
            "line info for byte 0x1000 of `xdp`, not one of its instructions"
        )
    );
    // func_info: a type that is not a function.
    let funcs = hdr + u32_at(&ext, 8) as usize;
    assert_eq!(
        with_btf_ext(|b| put_u32(b, funcs + 12 + 4, 1)).unwrap_err(),
        btf_ext_error(funcs as u64 + 16, "type 1 is not a BTF function")
    );
    // Empty parts are fine.
    let obj = with_btf_ext(|b| {
        put_u32(b, 12, 0);
        put_u32(b, 20, 0);
    })
    .unwrap();
    assert!(obj.program(Some("xdp_first")).unwrap().lines.is_empty());
}

fn fixture_section(name: &str, section: &str) -> Vec<u8> {
    let mut out = Vec::new();
    patch(&fixture(name), section, |b| out = b.to_vec());
    out
}

#[test]
fn mutated_btf_ext_never_panics() {
    let ext_len = fixture_section("sections", ".BTF.ext").len();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut failed = 0;
    for _ in 0..3000 {
        let result = with_btf_ext(|b| {
            for _ in 0..1 + next() % 4 {
                let at = (next() % ext_len as u64) as usize;
                b[at] = next() as u8;
            }
        });
        match result {
            Ok(obj) => {
                for p in obj.programs() {
                    if let Ok(l) = obj.program(Some(&p.name)) {
                        let len = l.bytecode.len() / 8;
                        assert!(l.lines.iter().all(|r| r.insn < len));
                    }
                }
            }
            Err(ElfError::Malformed { section, .. }) => {
                assert!(section == ".BTF.ext", "{section}");
                failed += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(failed > 100, "{failed}");
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let names = [
        "sections",
        "samples",
        "samples-nobtf",
        "samples-mim",
        "iproute2",
        "iproute2-old",
        "iproute2-mim",
        "btf-init",
        "btf-mim",
    ];
    let (mut parsed, mut refused) = (0u32, 0u32);
    for name in names {
        let seed = fixture(name);
        for i in 0..2000u32 {
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 6 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if i % 10 == 0 {
                bytes.truncate((next() % bytes.len() as u64) as usize);
            }
            match ElfObject::parse(&bytes) {
                Ok(obj) => {
                    parsed += 1;
                    for p in obj.programs() {
                        if let Ok(l) = obj.program(Some(&p.name)) {
                            let len = l.bytecode.len() / 8;
                            assert!(l.lines.iter().all(|r| r.insn < len));
                            assert!(l.functions.iter().all(|f| f.insn < len));
                        }
                    }
                }
                Err(_) => refused += 1,
            }
        }
    }
    assert!(
        parsed > 1000 && refused > 1000,
        "{parsed} parsed, {refused} refused"
    );
}
