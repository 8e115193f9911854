//! oxbpf-cranelift: the Cranelift JIT (`"jit"`) and ahead-of-time (`"aot"`) backends.
//!
//! One translator ([`translate`]) turns the shared [`Insn`](oxbpf_core::Insn)s of a checked
//! [`Program`](oxbpf_core::Program) into Cranelift IR; the JIT puts the code in memory at once,
//! the AOT backend writes it to a native object file that [`aot::load`] maps back without
//! Cranelift. Both keep the execution contract of every backend: the same `r0` or the same trap at
//! the same instruction, the same budget accounting, every memory access checked
//! (see the `bounds` module's design notes) unless the host turned checks off.
//!
//! [`clif`] shows the IR the translator produces for a program, as text; the snapshot tests in
//! `tests/disas/` hold it for small programs, one decision of the translator each.
//!
//! The compiler (the translator, the JIT, the AOT compiler, [`thunk`], [`clif`]) is the `compile`
//! feature, on by default. Without it the crate is the runtime of compiled code, with no
//! Cranelift: the interface compiled code is called through, the calls into it (and their
//! [`NativeEntry`](oxbpf_core::NativeEntry)s), and [`aot::load`], which maps an object written
//! earlier.
//!
#![cfg_attr(feature = "compile", doc = "```")]
#![cfg_attr(not(feature = "compile"), doc = "```ignore")]
//! use std::sync::Arc;
//! use oxbpf_core::{Backend, Config, HelperRegistry, Program};
//! let helpers = Arc::new(HelperRegistry::new());
//! let p = Program::from_asm("ldxw %r0, [%r1+4]\nexit", &Config::default(), &helpers).unwrap();
//! let exe = oxbpf_cranelift::Jit.prepare(Arc::new(p), helpers).unwrap();
//! assert_eq!(exe.run(&mut [0, 0, 0, 0, 7, 0, 0, 0]), Ok(7));
//! ```

mod abi;
pub mod aot;
#[cfg(feature = "compile")]
mod bounds;
#[cfg(feature = "compile")]
mod clif;
#[cfg(feature = "compile")]
mod hoist;
#[cfg(feature = "compile")]
mod isa;
#[cfg(feature = "compile")]
mod jit;
#[cfg(feature = "compile")]
mod provenance;
mod runtime;
#[cfg(feature = "compile")]
pub mod thunk;
#[cfg(feature = "compile")]
mod translate;

#[cfg(feature = "compile")]
pub use aot::Aot;
#[cfg(feature = "compile")]
pub use clif::clif;
#[cfg(feature = "compile")]
pub use isa::Target;
#[cfg(feature = "compile")]
pub use jit::Jit;
