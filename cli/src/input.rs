//! Reading programs and memory from files and arguments.

use oxbpf::{Config, HelperRegistry, Insn, LoadError, Program, asm, isa};
use std::path::Path;

/// What kind of program file a path names, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Raw bytecode (`.bin` and anything unrecognised that is not text).
    Bytes,
    /// Assembly (`.s`, `.asm`).
    Asm,
    /// An eBPF ELF object (`.o`, `.elf`); its first program is loaded.
    Elf,
}

/// The format of `path`, from its extension.
pub fn format_of(path: &Path) -> Result<Format, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("s" | "asm") => Ok(Format::Asm),
        Some("bin") => Ok(Format::Bytes),
        Some("o" | "elf") => Ok(Format::Elf),
        _ => Err(format!(
            "{}: unknown program format (expected .bin, .s, .asm or .o)",
            path.display()
        )),
    }
}

/// Whether `path` holds an `.mbpf` bundle (by extension or by its magic).
pub fn is_bundle(path: &Path) -> Result<bool, String> {
    if path.extension().is_some_and(|e| e == "mbpf") {
        return Ok(true);
    }
    Ok(read(path)?.starts_with(b"FPBM"))
}

/// Whether `path` holds an object written by `oxbpf aot` (an ELF file with an `.oxbpf` section).
pub fn is_object(path: &Path) -> Result<bool, String> {
    let bytes = read(path)?;
    Ok(bytes.starts_with(b"\x7fELF") && oxbpf::aot::inspect(&bytes).is_ok())
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The instructions of the program file at `path`, by its format: bytecode decoded, assembly
/// assembled, an ELF object's first program linked (its `lddw`s of maps and global data name
/// them by index). The one reader of program files: `run`, `verify`, `aot` and `disasm` all
/// read through it. With `standalone`, an ELF program that uses maps is refused: map handles
/// and global-data addresses exist only in the process that creates the maps (`oxbpf run`).
pub fn read_insns(path: &Path, standalone: bool) -> Result<Vec<Insn>, String> {
    let bytes = read(path)?;
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    match format_of(path)? {
        Format::Bytes => isa::decode(&bytes).map_err(|e| at(&LoadError::from(e))),
        Format::Asm => {
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
            asm::assemble(&text).map_err(|e| at(&LoadError::from(e)))
        }
        Format::Elf => {
            let linked = oxbpf::ElfObject::parse(&bytes)
                .and_then(|o| o.program(None))
                .map_err(|e| at(&e))?;
            if standalone && linked.uses_maps() {
                return Err(at(&format!(
                    "`{}` uses maps or global data, which only `oxbpf run` provides",
                    linked.name
                )));
            }
            isa::decode(&linked.bytecode).map_err(|e| at(&LoadError::from(e)))
        }
    }
}

/// Reads and checks the program at `path` (see [`read_insns`]; ELF programs that use maps are
/// refused).
pub fn load_program(
    path: &Path,
    config: &Config,
    helpers: &HelperRegistry,
) -> Result<Program, String> {
    let insns = read_insns(path, true)?;
    Program::from_insns(insns, config, helpers).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses `--mem-hex` text: whitespace-separated hex bytes, or one run of hex digits.
pub fn parse_mem_hex(text: &str) -> Result<Vec<u8>, String> {
    asm::parse_hex(text).map_err(|e| format!("--mem-hex: {e}"))
}
