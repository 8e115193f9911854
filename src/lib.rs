//! oxbpf: an eBPF virtual machine whose backends are chosen at run time, by name, behind one trait.
//!
//! ```
//! use oxbpf::{Proto, Vm};
//! let mut vm = Vm::new("interp")?;
//! // Helper 1 takes one number and returns one: its prototype, for the verifier.
//! vm.register_helper_with_proto(1, "double", Proto::numbers(1), |_, [a, ..]| Ok(a * 2));
//! let prog = vm.load_asm("mov %r1, 21\ncall 1\nexit")?;
//! assert_eq!(prog.execute(&mut [])?, 42);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | backend   | crate          | what it is |
//! |-----------|----------------|------------|
//! | `interp`  | `oxbpf-interp` | interpreter over a pre-translated op array |
//! | `jit`     | `oxbpf-cranelift` | Cranelift JIT: native code in this process |
//! | `aot`     | `oxbpf-cranelift` | Cranelift object code, mapped back without Cranelift ([`aot`]) |
//!
//! Every backend keeps the same execution contract: the same `r0` or the same [`Trap`] at the same
//! instruction, the same instruction-budget accounting (see [`Program`]).
//!
//! | feature (default on) | what it adds |
//! |----------------------|--------------|
//! | `jit`  | Cranelift: the `jit` and `aot` backends, `aot::compile` |
//! | `mbpf` | `.mbpf` JavaScript bundles: the container and its Ed25519 signatures, QuickJS, the lowering to eBPF |
//!
//! Without them oxbpf is the interpreter, the verifier and the ELF loader; AOT objects written
//! earlier still load with [`Vm::load_aot`], with no compiler.

/// The README's examples, compiled and run as doctests (they use every backend).
#[cfg(all(doctest, feature = "jit"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use oxbpf_core::{
    Access, Arg, Backend, Config, Executable, Execution, HelperContext, HelperRegistry,
    HelperResult, HelperStop, Insn, LoadError, MapArg, MapTypes, NativeEntry, PrepareError,
    PrepareErrorKind, Program, ProgramType, Proto, Ret, StackBuffer, Trap, TrapCode, TrapKind, asm,
    catalogue, isa, program_type,
};
pub use oxbpf_cranelift::aot;
#[cfg(feature = "jit")]
pub use oxbpf_cranelift::{Aot, Jit, Target};
pub use oxbpf_helpers::map::BPF_F_RDONLY_PROG;
pub use oxbpf_helpers::{HostEnv, Map, MapDef, MapError, MapSet, MapType, Pinning};
pub use oxbpf_interp::Interpreter;
#[cfg(feature = "mbpf")]
pub use oxbpf_loader::mbpf;
pub use oxbpf_loader::{
    ElfError, ElfObject, Extern, FuncInfo, Kconfig, LineInfo, LinkedProgram, MapInit, MapSpec,
    ProgramInfo, RelocationInfo, write_object,
};
#[cfg(feature = "mbpf")]
pub use oxbpf_lower as lower;
#[cfg(feature = "mbpf")]
pub use oxbpf_quickjs as quickjs;
pub use oxbpf_verifier::{
    ContextSize, ContextSpec, MapLoad, PacketFields, Settings as VerifierSettings, Termination,
    UnknownHelpers, Verified, VerifyError, VerifyErrorKind,
};

#[cfg(feature = "mbpf")]
mod bundle;
pub mod context;
mod error;
mod host_maps;
mod loaded;
mod object;
mod pipeline;
mod registry;
mod vm;

#[cfg(feature = "mbpf")]
pub use bundle::MBPF_RUN_HELPER;
pub use error::Error;
pub use loaded::Loaded;
pub use object::{Object, OpenOptions};
pub use registry::{BACKENDS, backend};
pub use vm::{MissingHelpers, Vm};

/// The direct entry of `exe`, when it is JIT or AOT code whose program has one (see
/// [`NativeEntry`]).
pub fn native_entry(exe: &dyn Executable) -> Option<NativeEntry<'_>> {
    exe.native_entry()
}
