//! Maps an AOT object's code into executable memory: no Cranelift, no linker. The object must hold
//! one `.text` section whose only relocations are PC-relative calls between its own functions;
//! anything else is refused with the offset and kind.
#![expect(unsafe_code, reason = "maps machine code and makes it executable")]

use super::AotError;
use super::header::{Header, SECTION};
use crate::abi::{CompiledFn, DIRECT_SYMBOL, DirectFn, ENTRY_SYMBOL, Entry};
use crate::runtime::CompiledCode;
use object::{Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget};

/// `R_X86_64_PC32` and `R_X86_64_PLT32`: `S + A - P`, 32 bits.
const R_X86_64_PC32: u32 = 2;
const R_X86_64_PLT32: u32 = 4;

/// Parses the object's header section.
pub(crate) fn header(bytes: &[u8]) -> Result<Header, AotError> {
    let file = object::File::parse(bytes).map_err(|e| AotError::Object(e.to_string()))?;
    let section = file.section_by_name(SECTION).ok_or_else(|| {
        AotError::Object(format!("no `{SECTION}` section: not an oxbpf AOT object"))
    })?;
    let data = section
        .data()
        .map_err(|e| AotError::Object(format!("section `{SECTION}`: {e}")))?;
    Header::decode(data)
}

/// Executable code mapped from an object.
pub(crate) struct MappedCode {
    alloc: region::Allocation,
    entry: usize,
    /// Whether the entry is a direct one ([`DIRECT_SYMBOL`]).
    direct: bool,
}

// SAFETY: the mapping is read-only and executable after `map`, never written again, and freed only
// when the owner is dropped; sharing it between threads only shares calls into immutable code.
unsafe impl Send for MappedCode {}
// SAFETY: as above.
unsafe impl Sync for MappedCode {}

// SAFETY: `entry` is the offset inside the mapped `.text` of the `oxbpf_direct` symbol, compiled
// with the `DirectFn` signature, when `direct` is set, or else of the `oxbpf_entry` symbol,
// compiled with the `CompiledFn` signature (the header's format number guarantees both);
// `aot::load` pairs the code only with the program whose hash the header records, and the
// allocation lives as long as this value.
unsafe impl CompiledCode for MappedCode {
    fn entry(&self) -> Entry {
        let ptr = self.alloc.as_ptr::<u8>().wrapping_add(self.entry);
        if self.direct {
            // SAFETY: as above, `ptr` is the start of the direct entry.
            Entry::Direct(unsafe { std::mem::transmute::<*const u8, DirectFn>(ptr) })
        } else {
            // SAFETY: as above, `ptr` is the start of the compiled entry function.
            Entry::Framed(unsafe { std::mem::transmute::<*const u8, CompiledFn>(ptr) })
        }
    }
}

/// Copies `.text`, applies its relocations and makes it executable.
pub(crate) fn map(bytes: &[u8]) -> Result<MappedCode, AotError> {
    let file = object::File::parse(bytes).map_err(|e| AotError::Object(e.to_string()))?;
    let text = file
        .section_by_name(".text")
        .ok_or_else(|| AotError::Object("no `.text` section".into()))?;
    let text_index = text.index();
    let mut code = text
        .data()
        .map_err(|e| AotError::Object(format!("section `.text`: {e}")))?
        .to_vec();
    let symbol_in_text = |name: Option<&str>, idx| -> Result<u64, AotError> {
        let sym = file
            .symbol_by_index(idx)
            .map_err(|e| AotError::Object(format!("symbol: {e}")))?;
        if sym.section_index() != Some(text_index) {
            let name = name.map_or_else(|| sym.name().unwrap_or("?").to_owned(), str::to_owned);
            return Err(AotError::Object(format!(
                "symbol `{name}` is not in `.text`"
            )));
        }
        Ok(sym.address())
    };
    let find = |name: &str| file.symbols().find(|s| s.name() == Ok(name));
    let (name, symbol, direct) = match (find(DIRECT_SYMBOL), find(ENTRY_SYMBOL)) {
        (Some(s), None) => (DIRECT_SYMBOL, s, true),
        (None, Some(s)) => (ENTRY_SYMBOL, s, false),
        (Some(_), Some(_)) => {
            return Err(AotError::Object(format!(
                "both `{DIRECT_SYMBOL}` and `{ENTRY_SYMBOL}` symbols"
            )));
        }
        (None, None) => {
            return Err(AotError::Object(format!(
                "no `{ENTRY_SYMBOL}` or `{DIRECT_SYMBOL}` symbol"
            )));
        }
    };
    let entry = symbol_in_text(Some(name), symbol.index())? as usize;
    if entry >= code.len() {
        return Err(AotError::Object(format!("`{name}` lies outside `.text`")));
    }
    for (offset, reloc) in text.relocations() {
        let r_type = match reloc.flags() {
            RelocationFlags::Elf { r_type } => r_type,
            other => {
                return Err(AotError::Relocation {
                    offset,
                    message: format!("unsupported relocation {other:?}"),
                });
            }
        };
        if r_type != R_X86_64_PC32 && r_type != R_X86_64_PLT32 {
            return Err(AotError::Relocation {
                offset,
                message: format!("unsupported relocation type {r_type}"),
            });
        }
        if reloc.has_implicit_addend() {
            return Err(AotError::Relocation {
                offset,
                message: "relocation with an implicit addend".into(),
            });
        }
        let RelocationTarget::Symbol(idx) = reloc.target() else {
            return Err(AotError::Relocation {
                offset,
                message: "relocation target is not a symbol".into(),
            });
        };
        let s = symbol_in_text(None, idx)? as i64;
        let value = s.wrapping_add(reloc.addend()).wrapping_sub(offset as i64);
        let value = i32::try_from(value).map_err(|_| AotError::Relocation {
            offset,
            message: "displacement does not fit 32 bits".into(),
        })?;
        let at = usize::try_from(offset)
            .ok()
            .and_then(|o| code.get_mut(o..o.checked_add(4)?))
            .ok_or_else(|| AotError::Relocation {
                offset,
                message: "relocation outside `.text`".into(),
            })?;
        at.copy_from_slice(&value.to_le_bytes());
    }
    let mut alloc = region::alloc(code.len().max(1), region::Protection::READ_WRITE)
        .map_err(|e| AotError::Memory(e.to_string()))?;
    let dst = alloc.as_mut_ptr::<u8>();
    // SAFETY: `alloc` is a fresh writable mapping of at least `code.len()` bytes, distinct from
    // `code`.
    unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), dst, code.len()) };
    let len = alloc.len();
    // SAFETY: the range is exactly the allocation just made; nothing else refers to it, and it is
    // never written after this point.
    unsafe { region::protect(dst.cast_const(), len, region::Protection::READ_EXECUTE) }
        .map_err(|e| AotError::Memory(e.to_string()))?;
    Ok(MappedCode {
        alloc,
        entry,
        direct,
    })
}
