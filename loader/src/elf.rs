//! Reading an object: its code sections, their function symbols and relocations, and the
//! programs they hold.

use crate::btf::Btf;
use crate::btf_ext::{RawFunc, RawLine};
use crate::error::{ElfError, malformed, relocation, unsupported};
use crate::link::{self, LinkedProgram};
use crate::maps::{
    MapSpec, MapsReloc, RawMap, ValuesAt, btf_initial_values, btf_map, data_map, is_data_section,
};
use crate::sections::{program_type_of_section, tail_call_section};
use object::read::elf::{ElfFile64, FileHeader};
use object::{
    Architecture, Endianness, Object, ObjectKind, ObjectSection, ObjectSymbol, RelocationFlags,
    RelocationTarget, SectionKind, SymbolKind, SymbolSection,
};
use oxbpf_core::program_type::ProgramType;

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
    /// Whether the symbol is not defined in the object (an `extern`), and then whether it is
    /// weak (`__weak`: it may stay without a value).
    pub(crate) undefined: Option<bool>,
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
    /// Its `.BTF.ext` line records, in offset order.
    pub(crate) lines: Vec<RawLine>,
    /// Its `.BTF.ext` function records, in offset order.
    pub(crate) funcs: Vec<RawFunc>,
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
    /// Its type, from its section's name by libbpf's and iproute2's conventions
    /// ([`program_type_of_section`]); the programs of iproute2's tail-call sections (`N/M`) take
    /// the type of the object's other programs when they all have the same, and in an object
    /// with tail-call sections the programs whose names tell nothing take theirs (iproute2
    /// loads an object's programs as one type). `None` when nothing tells: the host's default
    /// applies.
    pub program_type: Option<ProgramType>,
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

/// `R_BPF_*` relocation types: `NONE`, `64_64`, `64_ABS64`, `64_ABS32`, `64_NODYLD32`, `64_32`.
const BPF_RELOCATIONS: [u32; 6] = [0, 1, 2, 3, 4, 10];

impl ElfObject {
    /// Parses and checks `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<ElfObject, ElfError> {
        let file = ElfFile64::<Endianness>::parse(bytes)
            .map_err(|e| ElfError::NotBpf(format!("{e} (ELF64 expected)")))?;
        if file.endianness() != Endianness::Little {
            return Err(ElfError::NotBpf("big-endian object".into()));
        }
        // Older LLVM wrote `EM_NONE`: such an object is taken for eBPF when its code's
        // relocations are all eBPF ones (checked below).
        let machine_none = file.elf_header().e_machine(file.endian()) == object::elf::EM_NONE;
        if file.architecture() != Architecture::Bpf && !machine_none {
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
                lines: Vec::new(),
                funcs: Vec::new(),
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
                if machine_none && !BPF_RELOCATIONS.contains(&r_type) {
                    return Err(ElfError::NotBpf(format!(
                        "machine is EM_NONE and {sec_name} at offset {offset:#x} has relocation \
                         type {r_type}, not an eBPF one"
                    )));
                }
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
                    undefined: symbol.is_undefined().then(|| symbol.is_weak()),
                };
                code[c].relocs.push(Reloc {
                    offset,
                    r_type,
                    target,
                });
            }
        }
        let btf = match file.section_by_name(".BTF") {
            Some(section) => {
                Some(Btf::parse(section.data().map_err(|e| {
                    malformed(".BTF", 0, format!("section data: {e}"))
                })?)?)
            }
            None => None,
        };
        if let Some(section) = file.section_by_name(".BTF.ext") {
            let data = section
                .data()
                .map_err(|e| malformed(".BTF.ext", 0, format!("section data: {e}")))?;
            let btf = btf
                .as_ref()
                .ok_or_else(|| malformed(".BTF.ext", 0, "no .BTF section for its strings"))?;
            attach_btf_ext(&mut code, crate::btf_ext::parse(data, btf)?)?;
        }
        let programs = find_programs(&code);
        let mut maps = find_maps(&file, btf.as_ref(), &programs)?;
        maps.extend(crate::externs::kconfig_map(&code, btf.as_ref())?);
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
            program_type: program_type_of_section(&s.name),
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
    let mut programs: Vec<ProgramInfo> = code
        .iter()
        .filter(|s| s.name != ".text" && !s.data.is_empty())
        .flat_map(in_section)
        .collect();
    if !programs.is_empty() {
        // iproute2 loads the programs of tail-call sections with the type of the program it
        // was asked for: the others', when they agree.
        let mut others = programs
            .iter()
            .filter(|p| tail_call_section(&p.section).is_none())
            .filter_map(|p| p.program_type);
        if let Some(first) = others.next()
            && others.all(|t| t == first)
        {
            for p in &mut programs {
                if tail_call_section(&p.section).is_some() {
                    p.program_type = Some(first);
                }
            }
        }
        // It loads every program of the object as one type: sections whose names tell none
        // (Cilium's `from-container`) take the tail-call sections' type.
        let mut tails = programs
            .iter()
            .filter(|p| tail_call_section(&p.section).is_some())
            .map(|p| p.program_type);
        if let Some(Some(t)) = tails.next()
            && tails.all(|x| x == Some(t))
        {
            for p in &mut programs {
                p.program_type.get_or_insert(t);
            }
        }
        return programs;
    }
    code.iter()
        .filter(|s| s.name == ".text" && !s.data.is_empty())
        .flat_map(in_section)
        .collect()
}

/// Puts the `.BTF.ext` records `ext` on the code sections they are about, checking that each
/// is about an instruction; records of other sections are left out.
fn attach_btf_ext(code: &mut [CodeSection], ext: crate::btf_ext::BtfExt) -> Result<(), ElfError> {
    let check = |sec: &CodeSection, offset: u64, at: u64, what: &str| {
        if offset.is_multiple_of(8) && offset < sec.data.len() as u64 {
            return Ok(());
        }
        Err(malformed(
            ".BTF.ext",
            at,
            format!(
                "{what} for byte {offset:#x} of `{}`, not one of its instructions",
                sec.name
            ),
        ))
    };
    for (name, line) in ext.lines {
        if let Some(sec) = code.iter_mut().find(|c| c.name == name) {
            check(sec, line.offset, line.at, "line info")?;
            sec.lines.push(line);
        }
    }
    for (name, func) in ext.funcs {
        if let Some(sec) = code.iter_mut().find(|c| c.name == name) {
            check(sec, func.offset, func.at, "function info")?;
            sec.funcs.push(func);
        }
    }
    for sec in code {
        sec.lines.sort_by_key(|l| l.offset);
        sec.funcs.sort_by_key(|f| f.offset);
    }
    Ok(())
}

/// The maps of `file`: `.maps` (described by `btf`), legacy `maps`, and global data, with the
/// initial values that name the object's `programs`.
fn find_maps(
    file: &ElfFile64<'_, Endianness>,
    btf: Option<&Btf<'_>>,
    programs: &[ProgramInfo],
) -> Result<Vec<MapSpec>, ElfError> {
    let mut maps: Vec<RawMap> = Vec::new();
    // BTF-defined maps' initial values, legacy maps' links.
    let (mut places, mut relocs, mut legacy) = (Vec::new(), Vec::new(), Vec::new());
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
        // (offset, name, size) of each variable.
        let mut symbols: Vec<(u64, String, u64)> = file
            .symbols()
            .filter(|s| s.section() == SymbolSection::Section(section.index()))
            .filter(|s| !matches!(s.kind(), SymbolKind::Section | SymbolKind::File))
            .filter_map(|s| Some((s.address(), s.name().ok()?.to_owned(), s.size())))
            .collect();
        symbols.sort();
        if is_legacy {
            let symbols: Vec<_> = symbols.into_iter().map(|(o, n, _)| (o, n)).collect();
            for (map, links) in crate::legacy::section_maps(name, data, &symbols, btf)? {
                legacy.push((maps.len(), links));
                maps.push(map);
            }
            continue;
        }
        let Some(btf) = btf.filter(|_| !symbols.is_empty()) else {
            if let Some((offset, sym, _)) = symbols.first() {
                return Err(malformed(
                    name,
                    *offset,
                    format!("map `{sym}` without a .BTF section"),
                ));
            }
            continue;
        };
        for (offset, sym, size) in symbols {
            let (map, values) = btf_map(btf, &sym, offset)?;
            // The symbol's size: initial values make the variable longer than its BTF type
            // (`values` is a flexible array).
            places.push(ValuesAt {
                map: maps.len(),
                values,
                size: (size > 0).then_some(size),
            });
            maps.push(map);
        }
        relocs = maps_relocations(file, &section, data)?;
    }
    crate::legacy::link(&mut maps, &legacy, programs)?;
    btf_initial_values(&mut maps, &places, &relocs, programs)?;
    maps.into_iter().map(RawMap::into_spec).collect()
}

/// The relocations of `.maps` (`section`, with contents `data`): the pointers of maps'
/// `values` to maps and programs.
fn maps_relocations(
    file: &ElfFile64<'_, Endianness>,
    section: &object::read::elf::ElfSection64<'_, '_, Endianness>,
    data: &[u8],
) -> Result<Vec<MapsReloc>, ElfError> {
    let sec = ".maps";
    let mut relocs = Vec::new();
    for (offset, reloc) in section.relocations() {
        let RelocationTarget::Symbol(idx) = reloc.target() else {
            return Err(relocation(sec, offset, "target is not a symbol"));
        };
        let symbol = file
            .symbol_by_index(idx)
            .map_err(|e| relocation(sec, offset, format!("symbol {}: {e}", idx.0)))?;
        let SymbolSection::Section(target_idx) = symbol.section() else {
            return Err(relocation(
                sec,
                offset,
                format!(
                    "`{}` is not defined in the object",
                    symbol.name().unwrap_or("?")
                ),
            ));
        };
        let target_section = file
            .section_by_index(target_idx)
            .and_then(|s| s.name().map(str::to_owned))
            .map_err(|e| relocation(sec, offset, e.to_string()))?;
        // `R_BPF_64_ABS64`: the addend is the 8 bytes relocated; `ABS32`/`NODYLD32`: 4.
        let width = match reloc.flags() {
            RelocationFlags::Elf { r_type: 3 | 4 } => 4,
            _ => 8,
        };
        let addend = usize::try_from(offset)
            .ok()
            .and_then(|o| data.get(o..o.checked_add(width)?))
            .map(|b| b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)))
            .ok_or_else(|| relocation(sec, offset, "outside the section"))?;
        relocs.push(MapsReloc {
            offset,
            symbol: symbol.name().unwrap_or_default().to_owned(),
            section: target_section,
            target: symbol.address().wrapping_add(addend),
        });
    }
    Ok(relocs)
}
