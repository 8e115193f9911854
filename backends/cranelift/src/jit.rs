//! The JIT backend (`"jit"`): translates into a [`JITModule`] and runs the code in this process.
#![expect(
    unsafe_code,
    reason = "turns finalized code into a function pointer and frees it"
)]

use crate::abi::{CompiledFn, DirectFn, Entry};
use crate::isa::{Target, build};
use crate::runtime::{CompiledCode, CompiledExecutable};
use crate::translate::define_program;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, default_libcall_names};
use oxbpf_core::{Backend, Executable, HelperRegistry, PrepareError, Program};
use std::sync::Arc;

/// The Cranelift JIT backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Jit;

fn error(message: impl Into<String>) -> PrepareError {
    PrepareError::compile("jit", message)
}

/// Finalized code owned by its module.
pub(crate) struct JitCode {
    module: Option<JITModule>,
    entry: Entry,
}

// SAFETY: after `finalize_definitions` the module is never mutated again; its code memory is
// read-only and executable, and running the code shares nothing between threads (each run has its
// own context block, stack and memory map).
unsafe impl Send for JitCode {}
// SAFETY: as above: the only shared access is calling immutable code.
unsafe impl Sync for JitCode {}
// SAFETY: `entry` is the entry function `prepare` defined from the program it pairs the code with,
// and the module (owned here) keeps it mapped until drop.
unsafe impl CompiledCode for JitCode {
    fn entry(&self) -> Entry {
        self.entry
    }
}

impl Drop for JitCode {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the executable owning this code is being dropped, so no run is in progress
            // and no pointer into the code outlives it.
            unsafe { module.free_memory() };
        }
    }
}

impl Backend for Jit {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn prepare(
        &self,
        program: Arc<Program>,
        registry: Arc<HelperRegistry>,
    ) -> Result<Box<dyn Executable>, PrepareError> {
        let isa = build(Target::Host, false).map_err(error)?;
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let (id, direct) = define_program(&mut module, &program, Linkage::Export).map_err(error)?;
        module
            .finalize_definitions()
            .map_err(|e| error(e.to_string()))?;
        let ptr = module.get_finalized_function(id);
        let entry = if direct {
            // SAFETY: `ptr` is the direct entry just defined with the signature `DirectFn`.
            Entry::Direct(unsafe { std::mem::transmute::<*const u8, DirectFn>(ptr) })
        } else {
            // SAFETY: `ptr` is the entry function just defined with the signature `CompiledFn`.
            Entry::Framed(unsafe { std::mem::transmute::<*const u8, CompiledFn>(ptr) })
        };
        let code = JitCode {
            module: Some(module),
            entry,
        };
        Ok(Box::new(CompiledExecutable::new(
            "jit", program, registry, code,
        )?))
    }
}
