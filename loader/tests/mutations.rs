//! No input makes the loader panic: 100,000 objects mutated from valid ones (bytes overwritten,
//! truncated, or both) are each parsed and every program they still hold is linked.

use object::write::{Object, Relocation, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};
use oxbpf_loader::{ElfObject, write_object};

/// A program section calling into `.text` through a relocation, plus a data relocation.
fn with_relocations() -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let prog = obj.add_section(Vec::new(), b"socket".to_vec(), SectionKind::Text);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    let call = [0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff];
    let exit = [0x95, 0, 0, 0, 0, 0, 0, 0];
    let mov = [0xb7, 0, 0, 0, 7, 0, 0, 0];
    obj.append_section_data(prog, &[call, mov, exit].concat(), 8);
    obj.append_section_data(text, &[mov, exit].concat(), 8);
    let sym = |obj: &mut Object, name: &[u8], section| {
        obj.add_symbol(Symbol {
            name: name.to_vec(),
            value: 0,
            size: 16,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(section),
            flags: SymbolFlags::None,
        })
    };
    sym(&mut obj, b"filter", prog);
    let f = sym(&mut obj, b"helper", text);
    for (offset, r_type) in [(0, 10), (8, 1)] {
        let r = Relocation {
            offset,
            symbol: f,
            addend: 0,
            flags: RelocationFlags::Elf { r_type },
        };
        obj.add_relocation(prog, r).unwrap();
    }
    obj.write().unwrap()
}

#[test]
fn mutated_objects_never_panic() {
    let seeds = [
        write_object(&[0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
        with_relocations(),
    ];
    assert!(ElfObject::parse(&seeds[1]).is_ok());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut parsed, mut linked) = (0u32, 0u32);
    for i in 0..100_000u32 {
        let seed = &seeds[(i % 2) as usize];
        let mut bytes = seed.clone();
        let mode = next() % 3;
        if mode != 1 {
            for _ in 0..1 + next() % 8 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
        }
        if mode != 0 {
            bytes.truncate((next() % bytes.len() as u64) as usize);
        }
        if let Ok(obj) = ElfObject::parse(&bytes) {
            parsed += 1;
            for p in obj.programs() {
                linked += u32::from(obj.program(Some(&p.name)).is_ok());
            }
        }
    }
    // The mutations reach past the header checks, and some objects still link.
    assert!(parsed > 10_000, "{parsed} parsed");
    assert!(linked > 1_000, "{linked} linked");
}
