//! Native entry points with state bound in: C hosts get a plain `uint64_t (*)(void *mem, size_t
//! mem_len)` for a prepared program (bpftime's `ebpf_jit_fn`), which carries no VM pointer.
//!
//! A [`Thunk`] is a few instructions of native code, emitted once per function pointer. The
//! general one ([`Thunk::new`]) calls `target(state, mem, mem_len)` with `state` baked in as a
//! constant. The direct one ([`Thunk::direct`]), for a program with a direct entry, calls that
//! entry itself with the eBPF stack in its own native frame, so a run is two native calls and
//! nothing else; only a trap leaves it, to the owner's handler. Any number of thunks can live
//! at once, each freed with its owner.
#![expect(
    unsafe_code,
    reason = "turns finalized code into a function pointer and frees it"
)]

use crate::abi::Outcome;
use crate::isa::{Target, build};
use core::ffi::c_void;
use core::sync::atomic::AtomicBool;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, UserFuncName,
    Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use oxbpf_core::{Executable, StackBuffer, Trap};

/// The function a thunk calls: `(state, mem, mem_len) -> r0`.
pub type BoundFn = unsafe extern "C" fn(*const c_void, *mut u8, usize) -> u64;

/// The function a thunk is: `(mem, mem_len) -> r0`.
pub type ThunkFn = unsafe extern "C" fn(*mut u8, usize) -> u64;

/// What a direct thunk does with a trap: `on_trap(state, trap)`, whose result the thunk returns
/// in place of `r0`.
pub type TrapHandler = unsafe fn(*const c_void, Trap) -> u64;

/// How a direct thunk tells its owner how runs end (see [`Thunk::direct`]).
#[derive(Clone, Copy, Debug)]
pub struct RunReport {
    /// Called with [`state`](Self::state) and the trap when a run traps; the thunk returns
    /// what it returns.
    pub on_trap: TrapHandler,
    /// A flag the owner sets while a trap is on record: a run that ends normally while it is
    /// set calls [`on_clean_run`](Self::on_clean_run), so one load and one branch is all a
    /// normal run costs otherwise.
    pub trapped: *const AtomicBool,
    /// Called with [`state`](Self::state) after a normal run while `trapped` is set.
    pub on_clean_run: unsafe fn(*const c_void),
    /// The owner's state.
    pub state: *const c_void,
}

/// Where a direct thunk's traps go.
struct TrapSink(RunReport);

/// Bytes of a direct thunk's frame below the eBPF stack: the [`Outcome`] its entry writes on a
/// trap.
const OUTCOME_BYTES: usize = size_of::<Outcome>();

/// Native code calling one [`BoundFn`] with one state pointer, or one direct entry; freed on
/// drop.
pub struct Thunk {
    module: Option<JITModule>,
    function: ThunkFn,
    /// A direct thunk's trap handler, whose address its code holds.
    _sink: Option<Box<TrapSink>>,
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
// `Thunk::new` and `Thunk::direct`).
unsafe impl Send for Thunk {}
// SAFETY: as above.
unsafe impl Sync for Thunk {}

/// A direct thunk's trap path: hands the trap its entry recorded to the owner's handler.
///
/// # Safety
/// `sink` must point to the live [`TrapSink`] of the thunk running, `outcome` to the record its
/// entry wrote.
unsafe extern "C" fn trapped(sink: *const TrapSink, outcome: *const Outcome) -> u64 {
    // SAFETY: the thunk passes its own sink, kept alive with it, and its frame's outcome.
    let (sink, outcome) = unsafe { (&(*sink).0, &*outcome) };
    let trap = crate::runtime::outcome_trap(outcome);
    // SAFETY: `Thunk::direct`'s caller guarantees the handler may be called with its state.
    unsafe { (sink.on_trap)(sink.state, trap) }
}

/// A direct thunk's path after a normal run while a trap is on record.
///
/// # Safety
/// `sink` must point to the live [`TrapSink`] of the thunk running.
unsafe extern "C" fn ran_clean(sink: *const TrapSink) {
    // SAFETY: the thunk passes its own sink, kept alive with it.
    let sink = unsafe { &(*sink).0 };
    // SAFETY: `Thunk::direct`'s caller guarantees the function may be called with its state.
    unsafe { (sink.on_clean_run)(sink.state) }
}

/// `(i64 × params) -> i64` in the host's calling convention.
fn i64_signature(call_conv: cranelift_codegen::isa::CallConv, params: usize) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params
        .extend(std::iter::repeat_n(AbiParam::new(types::I64), params));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

impl Thunk {
    /// Emits a function of type [`ThunkFn`] that returns `target(state, mem, mem_len)`.
    ///
    /// The thunk dereferences nothing itself: `state` only has to stay valid, for `target`, as
    /// long as anyone may call [`function`](Self::function), which the owner guarantees by
    /// keeping `state` alive at least as long as the `Thunk`.
    pub fn new(target: BoundFn, state: *const c_void) -> Result<Thunk, String> {
        Thunk::emit(None, |b, sig, mem, len| {
            let sig_ref = b.import_signature(i64_signature(sig.call_conv, 3));
            let callee = b.ins().iconst(types::I64, target as usize as i64);
            let state = b.ins().iconst(types::I64, state as usize as i64);
            let call = b.ins().call_indirect(sig_ref, callee, &[state, mem, len]);
            let r0 = b.inst_results(call)[0];
            b.ins().return_(&[r0]);
        })
    }

    /// Emits a function of type [`ThunkFn`] that runs `exe`'s direct entry (see
    /// [`Executable::native_entry`]) itself: the eBPF stack is a slot of the thunk's own native
    /// frame, of which only the bytes the program may read before writing are zeroed
    /// ([`Program::stack_reach`](oxbpf_core::Program::stack_reach)), so concurrent calls share
    /// nothing. How runs end goes to `report`. `None` when `exe` is not compiled code of this
    /// crate with a direct entry.
    ///
    /// # Safety
    /// `exe` must outlive the thunk; `report`'s flag must stay readable, and its functions
    /// callable with its state from any thread that calls the thunk, for as long as the thunk
    /// lives.
    pub unsafe fn direct(exe: &dyn Executable, report: RunReport) -> Option<Result<Thunk, String>> {
        let (entry, program) = crate::runtime::direct_entry(exe)?;
        let frame = program
            .config()
            .stack_frame_size
            .div_ceil(StackBuffer::ALIGN)
            .saturating_mul(StackBuffer::ALIGN);
        let zeroed = program.stack_reach().min(frame).div_ceil(8) * 8;
        let flag_addr = report.trapped as usize as i64;
        let sink = Box::new(TrapSink(report));
        let sink_addr = &raw const *sink as usize as i64;
        let top = OUTCOME_BYTES + frame;
        let Ok(slot_size) = u32::try_from(top) else {
            return Some(Err("the stack frame is too large for a direct thunk".into()));
        };
        Some(Thunk::emit(Some(sink), |b, sig, mem, len| {
            // The outcome at the bottom of the slot, the eBPF stack above it: both 16-aligned.
            let slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                slot_size,
                4,
            ));
            let outcome = b.ins().stack_addr(types::I64, slot, 0);
            let zero = b.ins().iconst(types::I64, 0);
            let flags = MemFlagsData::trusted();
            b.ins().store(flags, zero, outcome, 0);
            for off in (top - zeroed..top).step_by(8) {
                b.ins().store(flags, zero, outcome, off as i32);
            }
            let stack_top = b.ins().iadd_imm_s(outcome, top as i64);
            let neg_mem = b.ins().ineg(mem);
            let entry_sig = b.import_signature(i64_signature(sig.call_conv, 5));
            let callee = b.ins().iconst(types::I64, entry as usize as i64);
            let call =
                b.ins()
                    .call_indirect(entry_sig, callee, &[mem, len, stack_top, outcome, neg_mem]);
            let r0 = b.inst_results(call)[0];
            let stop = b.ins().load(types::I64, flags, outcome, 0);
            let [trap_block, check, clean, done] = [(); 4].map(|()| b.create_block());
            b.set_cold_block(trap_block);
            b.set_cold_block(clean);
            b.append_block_param(done, types::I64);
            b.ins().brif(stop, trap_block, &[], check, &[]);

            b.switch_to_block(trap_block);
            b.seal_block(trap_block);
            let trap_sig = b.import_signature(i64_signature(sig.call_conv, 2));
            let handler = b
                .ins()
                .iconst(types::I64, trapped as *const () as usize as i64);
            let sink = b.ins().iconst(types::I64, sink_addr);
            let call = b.ins().call_indirect(trap_sig, handler, &[sink, outcome]);
            let result = b.inst_results(call)[0];
            b.ins().jump(done, &[result.into()]);

            // A normal end: tell the owner only while a trap is on record.
            b.switch_to_block(check);
            b.seal_block(check);
            let flag = b.ins().iconst(types::I64, flag_addr);
            let set = b.ins().load(types::I8, flags, flag, 0);
            b.ins().brif(set, clean, &[], done, &[r0.into()]);

            b.switch_to_block(clean);
            b.seal_block(clean);
            let mut clean_sig = Signature::new(sig.call_conv);
            clean_sig.params.push(AbiParam::new(types::I64));
            let clean_sig = b.import_signature(clean_sig);
            let callee = b
                .ins()
                .iconst(types::I64, ran_clean as *const () as usize as i64);
            let sink = b.ins().iconst(types::I64, sink_addr);
            b.ins().call_indirect(clean_sig, callee, &[sink]);
            b.ins().jump(done, &[r0.into()]);

            b.switch_to_block(done);
            b.seal_block(done);
            let r = b.block_params(done)[0];
            b.ins().return_(&[r]);
        }))
    }

    /// Emits one function of type [`ThunkFn`], whose body `body(builder, signature, mem,
    /// mem_len)` writes, returning as it ends.
    fn emit(
        sink: Option<Box<TrapSink>>,
        body: impl FnOnce(&mut FunctionBuilder<'_>, &Signature, Value, Value),
    ) -> Result<Thunk, String> {
        let isa = build(Target::Host, false)?;
        let call_conv = isa.default_call_conv();
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let sig = i64_signature(call_conv, 2);
        let id = module
            .declare_function("oxbpf_thunk", Linkage::Export, &sig)
            .map_err(|e| e.to_string())?;
        let mut ctx = module.make_context();
        ctx.func.signature = sig.clone();
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
            body(&mut b, &sig, mem, len);
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
            _sink: sink,
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

    fn jit(src: &str) -> Box<dyn Executable> {
        use oxbpf_core::{Backend, Config, HelperRegistry, Program};
        let helpers = std::sync::Arc::new(HelperRegistry::new());
        let config = Config {
            count_instructions: false,
            ..Config::default()
        };
        let p = Program::from_asm(src, &config, &helpers).unwrap();
        crate::Jit.prepare(std::sync::Arc::new(p), helpers).unwrap()
    }

    /// Records the trap's instruction index in the `u64` at `state`; returns 7777.
    unsafe fn note_trap(state: *const c_void, trap: Trap) -> u64 {
        // SAFETY: the tests pass the address of a live `AtomicU64`.
        let seen = unsafe { &*(state as *const std::sync::atomic::AtomicU64) };
        seen.store(trap.pc as u64, std::sync::atomic::Ordering::Relaxed);
        7777
    }

    /// Counts clean runs reported in the `AtomicU64` at `state`, from 1000 up.
    unsafe fn note_clean(state: *const c_void) {
        // SAFETY: the tests pass the address of a live `AtomicU64`.
        let seen = unsafe { &*(state as *const std::sync::atomic::AtomicU64) };
        seen.store(1000, std::sync::atomic::Ordering::Relaxed);
    }

    /// A trap flag the tests never set.
    static CLEAR: AtomicBool = AtomicBool::new(false);

    fn report(seen: &std::sync::atomic::AtomicU64, trapped: &AtomicBool) -> RunReport {
        RunReport {
            on_trap: note_trap,
            trapped,
            on_clean_run: note_clean,
            state: seen as *const std::sync::atomic::AtomicU64 as *const c_void,
        }
    }

    fn direct(exe: &dyn Executable, seen: &std::sync::atomic::AtomicU64) -> Thunk {
        // SAFETY: `exe` and `seen` outlive the thunk in every test.
        unsafe { Thunk::direct(exe, report(seen, &CLEAR)) }
            .expect("a direct entry")
            .unwrap()
    }

    #[test]
    fn a_direct_thunk_runs_the_program_and_hands_traps_to_its_handler() {
        let seen = std::sync::atomic::AtomicU64::new(0);
        let exe = jit("ldxw %r0, [%r1+4]\nadd %r0, %r2\nexit");
        let thunk = direct(&*exe, &seen);
        let mut mem = [0u8, 0, 0, 0, 40, 0, 0, 0];
        // SAFETY: the program reads `mem` (8 bytes) only.
        assert_eq!(unsafe { (thunk.function())(mem.as_mut_ptr(), 8) }, 48);
        // Four bytes: the load at offset 4 traps at instruction 0.
        seen.store(99, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above, with a shorter length.
        assert_eq!(unsafe { (thunk.function())(mem.as_mut_ptr(), 4) }, 7777);
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 0);
        // With a trap on record, a normal run says so; without, it does not.
        let trapped = AtomicBool::new(true);
        // SAFETY: `exe`, `seen` and `trapped` outlive the thunk.
        let flagged = unsafe { Thunk::direct(&*exe, report(&seen, &trapped)) }
            .unwrap()
            .unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { (flagged.function())(mem.as_mut_ptr(), 8) }, 48);
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 1000);
        seen.store(5, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above.
        assert_eq!(unsafe { (thunk.function())(mem.as_mut_ptr(), 8) }, 48);
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 5);
    }

    #[test]
    fn a_direct_thunk_zeroes_the_stack_its_program_can_read() {
        let seen = std::sync::atomic::AtomicU64::new(0);
        let write = jit("lddw %r1, 0xdeadbeef\nstxdw [%r10-8], %r1\nmov %r0, 1\nexit");
        let read = jit("ldxdw %r0, [%r10-8]\nexit");
        let (w, r) = (direct(&*write, &seen), direct(&*read, &seen));
        for _ in 0..3 {
            // SAFETY: neither program touches its memory argument.
            unsafe {
                assert_eq!((w.function())(core::ptr::null_mut(), 0), 1);
                assert_eq!((r.function())(core::ptr::null_mut(), 0), 0);
            }
        }
    }

    #[test]
    fn programs_calling_into_the_runtime_get_no_direct_thunk() {
        let seen = std::sync::atomic::AtomicU64::new(0);
        let exe = jit("call local f\nexit\nf:\nmov %r0, 1\nexit");
        // SAFETY: nothing is built.
        assert!(unsafe { Thunk::direct(&*exe, report(&seen, &CLEAR)) }.is_none());
    }
}
