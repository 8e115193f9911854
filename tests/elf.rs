//! The ELF path: objects with program sections, sub-programs in `.text` and call relocations load
//! and run on every backend; broken objects give errors naming the section and offset.

use object::write::{Object, Relocation, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};
use oxbpf::{BACKENDS, ElfError, Error, Vm};

fn code(src: &str) -> Vec<u8> {
    oxbpf::isa::encode(&oxbpf::asm::assemble(src).unwrap())
}

fn func(
    obj: &mut Object,
    name: &str,
    section: object::write::SectionId,
    value: u64,
) -> object::write::SymbolId {
    obj.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value,
        size: 0,
        kind: SymbolKind::Text,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(section),
        flags: SymbolFlags::None,
    })
}

/// `xdp` calls `f` in `.text`, which calls `g` there; clang's shape: `call -1` with an
/// `R_BPF_64_32` relocation against the callee. r0 = g's 3, plus 39 in f, plus 1 in xdp.
fn two_level_object(extra: Option<(u64, u32)>) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let xdp = obj.add_section(Vec::new(), b"xdp".to_vec(), SectionKind::Text);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    let call = "call local -1";
    obj.append_section_data(xdp, &code(&format!("{call}\nadd %r0, 1\nexit")), 8);
    obj.append_section_data(
        text,
        &code(&format!("mov %r0, 3\nexit\n{call}\nadd %r0, 39\nexit")),
        8,
    );
    func(&mut obj, "prog", xdp, 0);
    let g = func(&mut obj, "g", text, 0);
    let f = func(&mut obj, "f", text, 16);
    let reloc = |symbol, offset, r_type| Relocation {
        offset,
        symbol,
        addend: 0,
        flags: RelocationFlags::Elf { r_type },
    };
    obj.add_relocation(xdp, reloc(f, 0, 10)).unwrap();
    obj.add_relocation(text, reloc(g, 16, 10)).unwrap();
    if let Some((offset, r_type)) = extra {
        obj.add_relocation(xdp, reloc(g, offset, r_type)).unwrap();
    }
    obj.write().unwrap()
}

#[test]
fn sub_programs_in_text_are_linked_on_every_backend() {
    let obj = two_level_object(None);
    let parsed = oxbpf::ElfObject::parse(&obj).unwrap();
    let names: Vec<&str> = parsed.programs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["prog"]);
    for &b in BACKENDS {
        // The program in `xdp` reads no context: run over raw memory, not as an XDP program.
        let mut vm = Vm::new(b).unwrap();
        vm.use_section_types(false);
        for name in [None, Some("prog"), Some("xdp")] {
            let p = vm.load_elf(&obj, name).unwrap();
            assert_eq!(p.execute(&mut []), Ok(43), "{b} {name:?}");
        }
    }
    // The linked layout: xdp's 3 instructions, then .text; the calls are pc-relative.
    let linked = parsed.program(None).unwrap();
    let listing = oxbpf::isa::decode(&linked.bytecode).unwrap();
    assert_eq!(listing.len(), 8);
    assert_eq!(listing[0].to_string(), "call local +4");
    assert_eq!(listing[5].to_string(), "call local -3");
}

fn elf_err(obj: &[u8], name: Option<&str>) -> ElfError {
    match Vm::new("interp").unwrap().load_elf(obj, name) {
        Err(Error::Elf(e)) => e,
        other => panic!("expected an ELF error, got {other:?}"),
    }
}

#[test]
fn broken_objects_name_section_and_offset() {
    // A map or global-data relocation (`R_BPF_64_64`) on xdp's second instruction, a call.
    let e = elf_err(&two_level_object(Some((8, 1))), None);
    assert!(
        matches!(&e, ElfError::Relocation { section, offset: 8, detail } if section == "xdp" && detail.contains("non-lddw")),
        "{e}"
    );
    // A call relocation on an instruction that is not a call.
    let e = elf_err(&two_level_object(Some((16, 10))), None);
    assert!(
        matches!(&e, ElfError::Relocation { section, offset: 16, .. } if section == "xdp"),
        "{e}"
    );
    // An unknown relocation type.
    let e = elf_err(&two_level_object(Some((8, 77))), None);
    assert!(e.to_string().contains("unknown relocation type 77"), "{e}");
    // No such program.
    let e = elf_err(&two_level_object(None), Some("nope"));
    assert!(e.to_string().contains("prog (xdp)"), "{e}");
    // Not eBPF, truncated, empty.
    let mut x86 = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    x86.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    assert!(matches!(
        elf_err(&x86.write().unwrap(), None),
        ElfError::NotBpf(_)
    ));
    let obj = two_level_object(None);
    assert!(matches!(elf_err(&obj[..40], None), ElfError::NotBpf(_)));
    assert!(matches!(elf_err(&[], None), ElfError::NotBpf(_)));
}
