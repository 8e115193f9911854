//! oxbpf-core: what every part of oxbpf shares.
//!
//! - [`isa`]: the typed instruction [`Insn`], the one decoder ([`isa::decode`]) and its inverse
//!   ([`isa::encode`]), and `Display` in the bpf_conformance assembly dialect;
//! - [`asm`]: the assembler for that dialect;
//! - [`Program`]: a program that passed the load-time [`check`]s, with the basic-block analysis
//!   every backend uses to charge the instruction budget identically;
//! - [`Backend`] / [`Executable`]: the traits backends implement;
//! - [`MemoryMap`]: the regions a run may touch, and every checked access;
//! - [`HelperRegistry`]: helpers by id and name, with one ABI;
//! - [`Trap`]: the one trap table.
//!
//! ```
//! use oxbpf_core::{Config, HelperRegistry, Program};
//! let p = Program::from_asm("mov %r0, 42\nexit", &Config::default(), &HelperRegistry::new())?;
//! assert_eq!(p.to_bytes()[0], 0xb7);
//! # Ok::<(), oxbpf_core::LoadError>(())
//! ```

pub mod asm;
pub mod backend;
pub mod catalogue;
pub mod check;
pub mod config;
pub mod helpers;
pub mod isa;
pub mod memory;
pub mod program;
pub mod program_type;
pub mod proto;
pub mod trap;

pub use backend::{
    Backend, Executable, Execution, NativeCall, NativeEntry, PrepareError, PrepareErrorKind,
};
pub use check::{CheckError, CheckErrorKind};
pub use config::Config;
pub use helpers::{Helper, HelperContext, HelperFn, HelperRegistry, HelperResult, HelperStop};
pub use isa::{Insn, Operand, Reg};
pub use memory::{Fault, MemoryMap, RegionKind, SharedMemory, SharedRegion, StackBuffer};
pub use program::{ArgLen, ContextArg, LoadError, Program, Proofs};
pub use program_type::ProgramType;
pub use proto::{Arg, MapArg, MapTypes, Proto, Ret};
pub use trap::{Access, Trap, TrapCode, TrapKind};
