//! oxbpf-cranelift: the Cranelift JIT (`"jit"`) and ahead-of-time (`"aot"`) backends.
//!
//! One translator ([`translate`]) turns the shared [`Insn`](oxbpf_core::Insn)s of a checked
//! [`Program`](oxbpf_core::Program) into Cranelift IR; the JIT puts the code in memory at once,
//! the AOT backend writes it to a native object file that [`aot::load`] maps back without
//! Cranelift. Both keep the execution contract of every backend: the same `r0` or the same trap at
//! the same instruction, the same budget accounting, every memory access checked
//! (see the `bounds` module's design notes) unless the host turned checks off.
//!
//! ```
//! use std::sync::Arc;
//! use oxbpf_core::{Backend, Config, HelperRegistry, Program};
//! let helpers = Arc::new(HelperRegistry::new());
//! let p = Program::from_asm("ldxw %r0, [%r1+4]\nexit", &Config::default(), &helpers).unwrap();
//! let exe = oxbpf_cranelift::Jit.prepare(Arc::new(p), helpers).unwrap();
//! assert_eq!(exe.run(&mut [0, 0, 0, 0, 7, 0, 0, 0]), Ok(7));
//! ```

mod abi;
pub mod aot;
mod bounds;
mod hoist;
mod isa;
mod jit;
mod provenance;
mod runtime;
pub mod thunk;
mod translate;

pub use aot::Aot;
pub use isa::Target;
pub use jit::Jit;
pub use runtime::{NativeEntry, native_entry};
