//! Reading an object: its code sections, their function symbols and relocations, and the
//! programs they hold.

use crate::error::{ElfError, malformed, relocation, unsupported};
use crate::link::{self, LinkedProgram};
use crate::maps::{MapSpec, btf_map, data_map, is_data_section, legacy_map};
use object::read::elf::ElfFile64;
use object::{
    Architecture, Endianness, Object, ObjectKind, ObjectSection, ObjectSymbol, RelocationFlags,
    RelocationTarget, SectionKind, SymbolKind, SymbolSection,
};

/// Where a relocation points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RelocTarget {
    /// The symbol's name (empty for section symbols).
    pub(crate) name: String,
    /// Index into [`ElfObject::code`] of the code section the symbol is in, if any.
    pub(crate) code_section: Option<usize>,
    /// The name of the symbol's section, for messages.
    pub(crate) section_name: String,
    /// `st_value`: byte offset in its section.
    pub(crate) value: u64,
}

/// One relocation of a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reloc {
    /// Byte offset of the relocated instruction.
    pub(crate) offset: u64,
    /// `R_BPF_*` type.
    pub(crate) r_type: u32,
    /// The symbol.
    pub(crate) target: RelocTarget,
}

/// An executable section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CodeSection {
    /// Section name.
    pub(crate) name: String,
    /// Its bytes (a multiple of 8).
    pub(crate) data: Vec<u8>,
    /// Function symbols in it, in offset order.
    pub(crate) functions: Vec<Function>,
    /// Its relocations.
    pub(crate) relocs: Vec<Reloc>,
}

/// A function symbol of a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Function {
    /// Its name.
    pub(crate) name: String,
    /// Byte offset of its first instruction.
    pub(crate) offset: u64,
    /// Whether it is global (`STB_GLOBAL` or `STB_WEAK`): a program, where a static function is
    /// a sub-program.
    pub(crate) global: bool,
}

/// A program of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The program's name: its function symbol, or its section when it has none.
    pub name: String,
    /// The section holding its code (`xdp`, `socket`, `.text`, ...).
    pub section: String,
    /// Byte offset of its first instruction in that section.
    pub offset: u64,
}

/// A relocation of a code section, as `oxbpf inspect` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelocationInfo {
    /// The code section it applies to.
    pub section: String,
    /// Byte offset of the relocated instruction.
    pub offset: u64,
    /// `R_BPF_*` type number.
    pub r_type: u32,
    /// The symbol's name (empty for a section symbol).
    pub symbol: String,
    /// The section the symbol is in.
    pub target_section: String,
}

/// A parsed eBPF ELF object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfObject {
    pub(crate) code: Vec<CodeSection>,
    programs: Vec<ProgramInfo>,
    pub(crate) maps: Vec<MapSpec>,
}

const HEADER: &str = "ELF header";

impl ElfObject {
    /// Parses and checks `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<ElfObject, ElfError> {
        let file = ElfFile64::<Endianness>::parse(bytes)
            .map_err(|e| ElfError::NotBpf(format!("{e} (ELF64 expected)")))?;
        if file.endianness() != Endianness::Little {
            return Err(ElfError::NotBpf("big-endian object".into()));
        }
        if file.architecture() != Architecture::Bpf {
            return Err(ElfError::NotBpf(format!(
                "machine is {:?}, not EM_BPF",
                file.architecture()
            )));
        }
        if file.kind() != ObjectKind::Relocatable {
            return Err(ElfError::NotBpf(format!(
                "{:?} object, relocatable (ET_REL) expected",
                file.kind()
            )));
        }
        let mut code = Vec::new();
        let mut index_of = std::collections::HashMap::new();
        for section in file.sections() {
            if section.kind() != SectionKind::Text {
                continue;
            }
            let name = section
                .name()
                .map_err(|e| malformed(HEADER, 0, format!("section name: {e}")))?
                .to_owned();
            let data = section
                .data()
                .map_err(|e| malformed(&name, 0, format!("section data: {e}")))?;
            if data.len() % 8 != 0 {
                return Err(malformed(
                    &name,
                    data.len() as u64,
                    "size is not a multiple of 8 (one instruction slot)",
                ));
            }
            index_of.insert(section.index(), code.len());
            code.push(CodeSection {
                name,
                data: data.to_vec(),
                functions: Vec::new(),
                relocs: Vec::new(),
            });
        }
        for symbol in file.symbols() {
            if symbol.kind() != SymbolKind::Text {
                continue;
            }
            let SymbolSection::Section(idx) = symbol.section() else {
                continue;
            };
            let Some(&c) = index_of.get(&idx) else {
                continue;
            };
            let name = symbol
                .name()
                .map_err(|e| malformed("symbol table", 0, format!("symbol name: {e}")))?;
            let value = symbol.address();
            let sec = &mut code[c];
            if value % 8 != 0 || value >= sec.data.len() as u64 {
                return Err(malformed(
                    &sec.name,
                    value,
                    format!("function `{name}` does not start on an instruction"),
                ));
            }
            sec.functions.push(Function {
                name: name.to_owned(),
                offset: value,
                global: symbol.is_global(),
            });
        }
        for sec in &mut code {
            sec.functions.sort_by_key(|f| f.offset);
        }
        for section in file.sections() {
            let Some(&c) = index_of.get(&section.index()) else {
                continue;
            };
            for (offset, reloc) in section.relocations() {
                let sec_name = code[c].name.clone();
                let RelocationFlags::Elf { r_type } = reloc.flags() else {
                    return Err(relocation(&sec_name, offset, "not an ELF relocation"));
                };
                if offset % 8 != 0 || offset.saturating_add(8) > code[c].data.len() as u64 {
                    return Err(relocation(
                        &sec_name,
                        offset,
                        "offset is not an instruction of the section",
                    ));
                }
                let RelocationTarget::Symbol(sym) = reloc.target() else {
                    return Err(relocation(&sec_name, offset, "target is not a symbol"));
                };
                let symbol = file
                    .symbol_by_index(sym)
                    .map_err(|e| relocation(&sec_name, offset, format!("symbol {}: {e}", sym.0)))?;
                let (code_section, section_name) = match symbol.section() {
                    SymbolSection::Section(idx) => {
                        let name = file
                            .section_by_index(idx)
                            .and_then(|s| s.name().map(str::to_owned))
                            .map_err(|e| relocation(&sec_name, offset, e.to_string()))?;
                        (index_of.get(&idx).copied(), name)
                    }
                    other => (None, format!("{other:?}")),
                };
                let target = RelocTarget {
                    name: symbol.name().unwrap_or_default().to_owned(),
                    code_section,
                    section_name,
                    value: symbol.address(),
                };
                code[c].relocs.push(Reloc {
                    offset,
                    r_type,
                    target,
                });
            }
        }
        let programs = find_programs(&code);
        let maps = find_maps(&file)?;
        Ok(ElfObject {
            code,
            programs,
            maps,
        })
    }

    /// The maps the object defines, global data included, in section and offset order.
    pub fn maps(&self) -> &[MapSpec] {
        &self.maps
    }

    /// Every relocation of the code sections, in section order.
    pub fn relocations(&self) -> Vec<RelocationInfo> {
        self.code
            .iter()
            .flat_map(|c| {
                c.relocs.iter().map(|r| RelocationInfo {
                    section: c.name.clone(),
                    offset: r.offset,
                    r_type: r.r_type,
                    symbol: r.target.name.clone(),
                    target_section: r.target.section_name.clone(),
                })
            })
            .collect()
    }

    /// The programs, in section order.
    pub fn programs(&self) -> &[ProgramInfo] {
        &self.programs
    }

    /// Links the program named `name` (a function symbol or a section name), or the first
    /// program when `name` is `None`.
    pub fn program(&self, name: Option<&str>) -> Result<LinkedProgram, ElfError> {
        let info = match name {
            None => self.programs.first().ok_or(ElfError::NoPrograms)?,
            Some(n) => self
                .programs
                .iter()
                .find(|p| p.name == n)
                .or_else(|| self.programs.iter().find(|p| p.section == n))
                .ok_or_else(|| ElfError::NoSuchProgram {
                    name: n.to_owned(),
                    available: self
                        .programs
                        .iter()
                        .map(|p| format!("{} ({})", p.name, p.section))
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
        };
        link::link(self, info)
    }
}

/// The programs of the code sections, as libbpf finds them: every global function of an
/// executable section other than `.text` (or, where a section has none, the function at its
/// start, or the section itself); when there are none, the global functions of `.text` (or, in
/// code without symbols, `.text` itself).
fn find_programs(code: &[CodeSection]) -> Vec<ProgramInfo> {
    let in_section = |s: &CodeSection| -> Vec<ProgramInfo> {
        let info = |name: &str, offset| ProgramInfo {
            name: name.to_owned(),
            section: s.name.clone(),
            offset,
        };
        let global: Vec<_> = s
            .functions
            .iter()
            .filter(|f| f.global)
            .map(|f| info(&f.name, f.offset))
            .collect();
        if !global.is_empty() {
            return global;
        }
        match s.functions.iter().find(|f| f.offset == 0) {
            Some(f) => vec![info(&f.name, 0)],
            None => vec![info(&s.name, 0)],
        }
    };
    let programs: Vec<ProgramInfo> = code
        .iter()
        .filter(|s| s.name != ".text" && !s.data.is_empty())
        .flat_map(in_section)
        .collect();
    if !programs.is_empty() {
        return programs;
    }
    code.iter()
        .filter(|s| s.name == ".text" && !s.data.is_empty())
        .flat_map(in_section)
        .collect()
}

/// The maps of `file`: `.maps` (described by `.BTF`), legacy `maps`, and global data.
fn find_maps(file: &ElfFile64<'_, Endianness>) -> Result<Vec<MapSpec>, ElfError> {
    let mut maps = Vec::new();
    let mut btf_data = None;
    for section in file.sections() {
        if section.name() == Ok(".BTF") {
            btf_data = Some(
                section
                    .data()
                    .map_err(|e| malformed(".BTF", 0, format!("section data: {e}")))?,
            );
        }
    }
    let btf = btf_data.map(crate::btf::Btf::parse).transpose()?;
    for section in file.sections() {
        let Ok(name) = section.name() else { continue };
        let is_maps = name == ".maps";
        let is_legacy = name == "maps" || name.starts_with("maps/");
        if is_data_section(name) {
            let size = section.size();
            if size > oxbpf_helpers::map::MAX_MAP_BYTES {
                return Err(unsupported(
                    name,
                    0,
                    format!("a global-data section of {size} bytes"),
                ));
            }
            let data = match section.data() {
                Ok(d) if !d.is_empty() => d.to_vec(),
                // `.bss` (NOBITS) has a size but no bytes in the file.
                _ => vec![0; size as usize],
            };
            maps.push(data_map(name, data)?);
            continue;
        }
        if !is_maps && !is_legacy {
            continue;
        }
        let data = section
            .data()
            .map_err(|e| malformed(name, 0, format!("section data: {e}")))?;
        let mut symbols: Vec<(u64, String)> = file
            .symbols()
            .filter(|s| s.section() == SymbolSection::Section(section.index()))
            .filter(|s| s.kind() != SymbolKind::Section)
            .filter_map(|s| Some((s.address(), s.name().ok()?.to_owned())))
            .collect();
        symbols.sort();
        for (offset, sym) in symbols {
            maps.push(if is_maps {
                let btf = btf.as_ref().ok_or_else(|| {
                    malformed(name, offset, format!("map `{sym}` without a .BTF section"))
                })?;
                btf_map(btf, &sym, offset)?
            } else {
                legacy_map(name, data, &sym, offset)?
            });
        }
    }
    Ok(maps)
}
