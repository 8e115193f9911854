//! Native entry points with state bound in: C hosts get a plain `uint64_t (*)(void *mem, size_t
//! mem_len)` for a prepared program (bpftime's `ebpf_jit_fn`), which carries no VM pointer.
//!
//! A [`Thunk`] is a few instructions of native code, emitted once per function pointer, that
//! call `target(state, mem, mem_len)` with `state` baked in as a constant. Any number of them can
//! live at once, each freed with its owner.
#![expect(
    unsafe_code,
    reason = "turns finalized code into a function pointer and frees it"
)]

use crate::isa::{Target, build};
use core::ffi::c_void;
use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, UserFuncName, types};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

/// The function a thunk calls: `(state, mem, mem_len) -> r0`.
pub type BoundFn = unsafe extern "C" fn(*const c_void, *mut u8, usize) -> u64;

/// The function a thunk is: `(mem, mem_len) -> r0`.
pub type ThunkFn = unsafe extern "C" fn(*mut u8, usize) -> u64;

/// Native code calling one [`BoundFn`] with one state pointer; freed on drop.
pub struct Thunk {
    module: Option<JITModule>,
    function: ThunkFn,
}

impl core::fmt::Debug for Thunk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Thunk")
            .field("function", &(self.function as *const u8))
            .finish()
    }
}

// SAFETY: the module is never mutated after finalization; its code is read-only and executable,
// and calling it shares nothing but the state pointer, whose thread safety is the owner's (see
// `Thunk::new`).
unsafe impl Send for Thunk {}
// SAFETY: as above.
unsafe impl Sync for Thunk {}

impl Thunk {
    /// Emits a function of type [`ThunkFn`] that returns `target(state, mem, mem_len)`.
    ///
    /// The thunk dereferences nothing itself: `state` only has to stay valid, for `target`, as
    /// long as anyone may call [`function`](Self::function), which the owner guarantees by
    /// keeping `state` alive at least as long as the `Thunk`.
    pub fn new(target: BoundFn, state: *const c_void) -> Result<Thunk, String> {
        let isa = build(Target::Host, false)?;
        let call_conv = isa.default_call_conv();
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let mut sig = Signature::new(call_conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        let mut inner = sig.clone();
        inner.params.insert(0, AbiParam::new(types::I64));
        let id = module
            .declare_function("oxbpf_thunk", Linkage::Export, &sig)
            .map_err(|e| e.to_string())?;
        let mut ctx = module.make_context();
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let mut fctx = FunctionBuilderContext::new();
        let target_config = module.target_config();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            b.seal_block(block);
            let (mem, len) = (b.block_params(block)[0], b.block_params(block)[1]);
            let sig_ref = b.import_signature(inner);
            let callee = b.ins().iconst(types::I64, target as usize as i64);
            let state = b.ins().iconst(types::I64, state as usize as i64);
            let call = b.ins().call_indirect(sig_ref, callee, &[state, mem, len]);
            let r0 = b.inst_results(call)[0];
            b.ins().return_(&[r0]);
            b.finalize(target_config);
        }
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("thunk: {e:?}"))?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let ptr = module.get_finalized_function(id);
        // SAFETY: `ptr` is the function just defined with the signature of `ThunkFn` (two i64
        // parameters, one i64 result, the platform's C calling convention).
        let function = unsafe { core::mem::transmute::<*const u8, ThunkFn>(ptr) };
        Ok(Thunk {
            module: Some(module),
            function,
        })
    }

    /// The native function; valid until this `Thunk` is dropped.
    pub fn function(&self) -> ThunkFn {
        self.function
    }
}

impl Drop for Thunk {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: whoever drops the thunk guarantees no call into it is in progress or will
            // start (the owner's contract; see `Thunk::new`).
            unsafe { module.free_memory() };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn sum(state: *const c_void, mem: *mut u8, len: usize) -> u64 {
        // SAFETY: the test passes a pointer to a live u64 and a valid buffer.
        let base = unsafe { *(state as *const u64) };
        // SAFETY: as above.
        let first = unsafe { *mem };
        base + u64::from(first) + len as u64
    }

    #[test]
    fn a_thunk_passes_its_state_and_arguments_through() {
        let base = 1000u64;
        let thunk = Thunk::new(sum, &base as *const u64 as *const c_void).unwrap();
        let mut mem = [7u8, 0, 0];
        // SAFETY: `sum` reads `base` (alive) and `mem` (three bytes).
        let r = unsafe { (thunk.function())(mem.as_mut_ptr(), mem.len()) };
        assert_eq!(r, 1000 + 7 + 3);
    }
}
