//! Writes bytecode as a minimal ELF object (the shape the bpf_conformance runner's `--elf` mode
//! produces): `.text` holding the program and a global function symbol `main` covering it.

use crate::error::ElfError;
use object::write::{Object, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

/// An ELF64 little-endian relocatable `EM_BPF` object with `bytecode` in `.text` and the symbol
/// `main` at its start.
pub fn write_object(bytecode: &[u8]) -> Result<Vec<u8>, ElfError> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    obj.append_section_data(text, bytecode, 8);
    obj.add_symbol(Symbol {
        name: b"main".to_vec(),
        value: 0,
        size: bytecode.len() as u64,
        kind: SymbolKind::Text,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(text),
        flags: SymbolFlags::None,
    });
    obj.write().map_err(|e| ElfError::NotBpf(e.to_string()))
}
