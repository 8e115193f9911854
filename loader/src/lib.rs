//! oxbpf-loader: eBPF ELF objects as clang and LLVM write them (`clang -target bpf -c`), read
//! with the `object` crate.
//!
//! [`ElfObject::parse`] checks the file (ELF64, little-endian, relocatable, `EM_BPF`) and finds its
//! programs: every executable section other than `.text` is a program, named by its section
//! (`xdp`, `socket`, `tracepoint/...`) and by the function symbol at its start; `.text` holds the
//! sub-programs they call, and is itself a program (by its symbols) when nothing else is.
//! [`ElfObject::program`] links one program: its own code, then `.text` when it calls into it,
//! with every `R_BPF_64_32` call relocation resolved to a bpf-to-bpf call.
//!
//! Every error names the section and the byte offset it is about; no input makes the loader panic.
//!
//! ```
//! let code = oxbpf_core::asm::assemble("mov %r0, 7\nexit").unwrap();
//! let elf = oxbpf_loader::write_object(&oxbpf_core::isa::encode(&code)).unwrap();
//! let obj = oxbpf_loader::ElfObject::parse(&elf).unwrap();
//! assert_eq!(obj.program(Some("main")).unwrap().name, "main");
//! ```

mod elf;
mod error;
mod link;
mod write;

pub use elf::{ElfObject, ProgramInfo};
pub use error::ElfError;
pub use link::LinkedProgram;
pub use write::write_object;
