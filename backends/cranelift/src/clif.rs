//! The Cranelift IR of a program as text ([`clif`]): what the translator decided (which accesses
//! are checked, merged, hoisted out of a loop or versioned in chunks), for reading and for the
//! snapshot tests in `tests/disas/`.
//!
//! The IR is captured as the translator hands each function to Cranelift, before Cranelift's own
//! optimizations, through a [`Module`] that records every definition and passes it on to an
//! object module (which compiles it, so the IR is also checked by Cranelift's verifier in debug
//! builds). The text holds no address and depends on no hash order: the same program, proofs,
//! configuration and target always give the same text.

use crate::isa::{Target, build};
use crate::translate::define_program;
use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Signature;
use cranelift_codegen::isa::TargetIsa;
use cranelift_module::{
    DataDescription, DataId, FuncId, Linkage, Module, ModuleDeclarations, ModuleReloc,
    ModuleResult, default_libcall_names,
};
use cranelift_object::{ObjectBuilder, ObjectModule};
use oxbpf_core::{PrepareError, Program};
use std::fmt::Write;

/// The Cranelift IR the translator produces for `program` (with its proofs and configuration)
/// compiled for `target`, one function after another, each after a `; <symbol>` line; the
/// bounds-check slow path every program shares is left out.
///
/// The IR is the translator's own, before Cranelift optimizes it. Pick a fixed target
/// ([`Target::X86_64`], [`Target::Aarch64`]) for text that does not depend on the machine.
///
/// ```
/// use oxbpf_core::{Config, HelperRegistry, Program};
/// use oxbpf_cranelift::{Target, clif};
/// let p = Program::from_asm("ldxw %r0, [%r1+4]\nexit", &Config::default(), &HelperRegistry::new())
///     .unwrap();
/// let ir = clif(&p, Target::X86_64).unwrap();
/// assert!(ir.starts_with("; oxbpf_entry\nfunction "));
/// ```
pub fn clif(program: &Program, target: Target) -> Result<String, PrepareError> {
    let error = |message: String| PrepareError::compile("clif", message);
    let isa = build(target, true).map_err(error)?;
    let builder = ObjectBuilder::new(isa, "oxbpf_clif", default_libcall_names())
        .map_err(|e| error(e.to_string()))?;
    let mut module = Capture {
        inner: ObjectModule::new(builder),
        text: String::new(),
    };
    define_program(&mut module, program, Linkage::Export).map_err(error)?;
    Ok(module.text)
}

/// A module that records the IR of every function defined in it, then defines it in `inner`.
struct Capture<M> {
    inner: M,
    text: String,
}

impl<M: Module> Module for Capture<M> {
    fn isa(&self) -> &dyn TargetIsa {
        self.inner.isa()
    }

    fn declarations(&self) -> &ModuleDeclarations {
        self.inner.declarations()
    }

    fn declare_function(
        &mut self,
        name: &str,
        linkage: Linkage,
        signature: &Signature,
    ) -> ModuleResult<FuncId> {
        self.inner.declare_function(name, linkage, signature)
    }

    fn declare_anonymous_function(&mut self, signature: &Signature) -> ModuleResult<FuncId> {
        self.inner.declare_anonymous_function(signature)
    }

    fn declare_data(
        &mut self,
        name: &str,
        linkage: Linkage,
        writable: bool,
        tls: bool,
    ) -> ModuleResult<DataId> {
        self.inner.declare_data(name, linkage, writable, tls)
    }

    fn declare_anonymous_data(&mut self, writable: bool, tls: bool) -> ModuleResult<DataId> {
        self.inner.declare_anonymous_data(writable, tls)
    }

    fn define_function_with_control_plane(
        &mut self,
        func: FuncId,
        ctx: &mut Context,
        ctrl_plane: &mut ControlPlane,
    ) -> ModuleResult<()> {
        let name = self
            .inner
            .declarations()
            .get_function_decl(func)
            .linkage_name(func)
            .into_owned();
        if name != crate::bounds::SLOW_PATH_SYMBOL {
            // Writing to a `String` cannot fail.
            let _ = write!(self.text, "; {name}\n{}", ctx.func.display());
        }
        self.inner
            .define_function_with_control_plane(func, ctx, ctrl_plane)
    }

    fn define_function_bytes(
        &mut self,
        func_id: FuncId,
        alignment: u64,
        bytes: &[u8],
        relocs: &[ModuleReloc],
    ) -> ModuleResult<()> {
        self.inner
            .define_function_bytes(func_id, alignment, bytes, relocs)
    }

    fn define_data(&mut self, data_id: DataId, data: &DataDescription) -> ModuleResult<()> {
        self.inner.define_data(data_id, data)
    }
}
