//! oxbpf-loader: eBPF ELF objects as clang and LLVM write them (`clang -target bpf -c`), read
//! with the `object` crate, and, with the `mbpf` feature (on by default), `.mbpf` JavaScript
//! bundles (`mbpf`).
//!
//! [`ElfObject::parse`] checks the file (ELF64, little-endian, relocatable, `EM_BPF`, or
//! `EM_NONE` as older LLVM wrote it when the code's relocations are all eBPF ones) and finds its
//! programs as libbpf does: every global function of an executable section other than `.text` is
//! a program (several may share a section), found by its name or its section's (`xdp`, `socket`,
//! `tracepoint/...`); `.text` holds the sub-programs they call, and its global functions are the
//! programs when nothing else is. Each program's type comes from its section's name by libbpf's
//! `SEC()` conventions, older libbpf's prefixes and iproute2's ([`program_type_of_section`]).
//! [`ElfObject::program`] links one program: its own function (with the rest of its section
//! after it when it does not start the section), then `.text` when it calls into it,
//! with every `R_BPF_64_32` call relocation resolved to a bpf-to-bpf call and every
//! `R_BPF_64_64` `lddw` of a map or of global data naming it by its index in
//! [`ElfObject::maps`] (Linux's `BPF_PSEUDO_MAP_IDX` and `BPF_PSEUDO_MAP_IDX_VALUE`) for the
//! host to point at its map (a map handle, or a value address), and the `.BTF.ext` line and
//! function records of its code ([`LinkedProgram::line_of`]). [`ElfObject::maps`] lists the maps
//! as libbpf finds them: BTF-defined in `.maps` (maps of maps with their inner definition, and
//! the initial values of program arrays and maps of maps), legacy definitions in `maps` (libbpf's
//! 20-byte `struct bpf_map_def`, the kernel samples' 28-byte one, iproute2's and Cilium's
//! `struct bpf_elf_map` with its pinning, inner maps and tail-call sections `N/M`), and one
//! single-entry array per global-data section (`.data`, `.rodata`, `.bss`, `.rodata.str1.1`,
//! ...), and `.kconfig` for the `extern ... __kconfig` variables the code reads, which the host
//! fills ([`Kconfig`]). Calls of `bpf_loop` whose callback `lddw` is in sight become a loop function appended
//! to the program.
//!
//! Every error names the section and the byte offset it is about; no input makes the loader panic.
//!
//! ```
//! let code = oxbpf_core::asm::assemble("mov %r0, 7\nexit").unwrap();
//! let elf = oxbpf_loader::write_object(&oxbpf_core::isa::encode(&code)).unwrap();
//! let obj = oxbpf_loader::ElfObject::parse(&elf).unwrap();
//! assert_eq!(obj.program(Some("main")).unwrap().name, "main");
//! ```

mod btf;
mod btf_ext;
mod elf;
mod error;
mod externs;
mod legacy;
mod link;
mod maps;
#[cfg(feature = "mbpf")]
pub mod mbpf;
mod sections;
mod write;

pub use elf::{ElfObject, ProgramInfo, RelocationInfo};
pub use error::ElfError;
pub use externs::{Extern, Kconfig};
pub use link::{FuncInfo, LineInfo, LinkedProgram};
pub use maps::{MapInit, MapSpec};
pub use sections::program_type_of_section;
pub use write::write_object;
