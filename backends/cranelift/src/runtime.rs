//! The host side of a compiled run: sets up the context block, memory and stack, calls the
//! compiled entry function, and serves its calls back into the host (helpers, the slow path of
//! bounds checks). Shared by the JIT and the AOT backend.
#![expect(
    unsafe_code,
    reason = "calls compiled code and is called back by it through raw pointers"
)]

use crate::abi::{CompiledFn, DirectFn, Entry, Outcome, STOP_RECORDED, VmCtx, start_count};
use oxbpf_core::{
    Access, Executable, Execution, HelperContext, HelperFn, HelperRegistry, HelperStop, MemoryMap,
    NativeEntry, PrepareError, Program, StackBuffer, Trap, TrapCode, TrapKind,
};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// The helpers a program calls directly, in the order the translator numbers them: distinct ids
/// of `call` instructions by first appearance.
pub(crate) fn helper_ids(program: &Program) -> Vec<u32> {
    let mut ids = Vec::new();
    for insn in program.insns() {
        if let oxbpf_core::Insn::Call { helper } = *insn
            && !ids.contains(&helper)
        {
            ids.push(helper);
        }
    }
    ids
}

/// Resolves the program's direct helper calls against `registry`.
fn resolve_helpers(
    backend: &'static str,
    program: &Program,
    registry: &HelperRegistry,
) -> Result<Vec<(u32, Arc<HelperFn>)>, PrepareError> {
    helper_ids(program)
        .into_iter()
        .map(|id| match registry.get(id) {
            Some(h) => Ok((id, h.func.clone())),
            None => Err(PrepareError::unknown_helper(backend, None, id)),
        })
        .collect()
}

/// The run's memory map, built the first time the runtime needs it (a bounds check's slow path
/// or a helper call): most short runs never leave compiled code, and building it is most of the
/// cost of a call.
#[expect(
    clippy::large_enum_variant,
    reason = "lives on the stack of one run; boxing the map would allocate in every run that needs it"
)]
enum LazyMap<'a> {
    /// What the map is built from, until it is.
    Parts(&'a mut [u8], &'a mut StackBuffer, &'a Program),
    /// Being built (only while `get` runs).
    Taken,
    /// Built: dropping the other two costs nothing.
    Map(MemoryMap<'a>),
}

impl<'a> LazyMap<'a> {
    fn new(ctx: &'a mut [u8], stack: &'a mut StackBuffer, program: &'a Program) -> LazyMap<'a> {
        LazyMap::Parts(ctx, stack, program)
    }

    fn get(&mut self) -> &mut MemoryMap<'a> {
        if let LazyMap::Parts(..) = self
            && let LazyMap::Parts(ctx, stack, program) = std::mem::replace(self, LazyMap::Taken)
        {
            *self = LazyMap::Map(MemoryMap::for_run(ctx, stack, program));
        }
        match self {
            LazyMap::Map(map) => map,
            // `Parts` became `Map` above, and `Taken` lives only inside this call.
            _ => unreachable!("the memory map is built above"),
        }
    }
}

/// How a run ended, as recorded by the runtime.
enum Stop {
    Trap(Trap),
    Exit(u64),
}

/// The host's state during one run, reached by the runtime entry points through
/// [`VmCtx::state`].
struct RunState<'m, 'a> {
    mem: LazyMap<'a>,
    helpers: &'m [(u32, Arc<HelperFn>)],
    registry: &'m HelperRegistry,
    frame: u64,
    stop: Option<Stop>,
}

impl RunState<'_, '_> {
    fn record(&mut self, vm: &mut VmCtx, stop: Stop) -> u64 {
        self.stop = Some(stop);
        vm.stop = STOP_RECORDED;
        0
    }

    /// Calls `helper` (its id and function), or traps with `UnknownHelper { id: missing }`.
    fn invoke(
        &mut self,
        vm: &mut VmCtx,
        helper: Option<(u32, &HelperFn)>,
        missing: u64,
        pc: u64,
        fp: u64,
        args: [u64; 5],
    ) -> u64 {
        let Some((id, f)) = helper else {
            let kind = TrapKind::UnknownHelper { id: missing };
            return self.record(vm, Stop::Trap(Trap::new(pc as usize, kind)));
        };
        let frame = self.frame;
        let mem = self.mem.get();
        mem.set_stack_floor(fp.wrapping_sub(frame));
        let mut hc = HelperContext { memory: mem };
        let result = catch_unwind(AssertUnwindSafe(|| f(&mut hc, args)))
            .unwrap_or_else(|_| Err(HelperStop::Error("the helper panicked".into())));
        match result {
            Ok(v) => v,
            Err(HelperStop::Exit(v)) => self.record(vm, Stop::Exit(v)),
            Err(HelperStop::Error(message)) => {
                let kind = TrapKind::HelperError { id, message };
                self.record(vm, Stop::Trap(Trap::new(pc as usize, kind)))
            }
        }
    }
}

/// # Safety
/// `vm` must be the context block of a run in progress, whose `state` points to its live
/// `RunState`, and no other reference to either may be in use.
unsafe fn parts<'x>(vm: *mut VmCtx) -> (&'x mut VmCtx, &'x mut RunState<'x, 'x>) {
    // SAFETY: guaranteed by the caller; `state` was set by `run` to a `RunState` that outlives the
    // call into compiled code, and compiled code is single-threaded within a run.
    unsafe {
        let vm = &mut *vm;
        let state = &mut *vm.state.cast::<RunState<'x, 'x>>();
        (vm, state)
    }
}

/// Slow path of a bounds check: the access is allowed if it lies in any region.
unsafe extern "C" fn mem_slow(vm: *mut VmCtx) {
    // SAFETY: only compiled code calls this, with the context block `run` handed it.
    let (vm, st) = unsafe { parts(vm) };
    let (addr, fp) = (vm.check_addr, vm.check_fp);
    let (pc, size, write) = crate::abi::unpack_check_info(vm.check_info);
    let access = if write { Access::Write } else { Access::Read };
    let frame = st.frame;
    let mem = st.mem.get();
    mem.set_stack_floor(fp.wrapping_sub(frame));
    if vm.check_info & crate::abi::CHECK_PROBE != 0 {
        if !mem.probe_readable(addr, size) {
            vm.check_addr = 0;
        }
        return;
    }
    if !mem.contains(addr, size, access) {
        let kind = TrapKind::OutOfBounds {
            addr,
            len: size,
            access,
        };
        st.record(vm, Stop::Trap(Trap::new(pc as usize, kind)));
    }
}

/// `call N`: the helper at `index` in the program's helper table.
unsafe extern "C" fn call_helper(
    vm: *mut VmCtx,
    index: u64,
    pc: u64,
    fp: u64,
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
) -> u64 {
    // SAFETY: only compiled code calls this, with the context block `run` handed it.
    let (vm, st) = unsafe { parts(vm) };
    let helpers = st.helpers;
    // Every direct call is resolved at prepare time; a missing index has no id to report.
    let helper = helpers.get(index as usize).map(|(id, f)| (*id, &**f));
    st.invoke(vm, helper, u64::MAX, pc, fp, [r1, r2, r3, r4, r5])
}

/// `callx`: the helper whose id is in the register.
unsafe extern "C" fn call_helper_id(
    vm: *mut VmCtx,
    id: u64,
    pc: u64,
    fp: u64,
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
) -> u64 {
    // SAFETY: only compiled code calls this, with the context block `run` handed it.
    let (vm, st) = unsafe { parts(vm) };
    let registry = st.registry;
    let helper = u32::try_from(id)
        .ok()
        .and_then(|i| registry.get(i))
        .map(|h| (h.id, &*h.func));
    st.invoke(vm, helper, id, pc, fp, [r1, r2, r3, r4, r5])
}

/// Compiled code kept mapped by its owner.
///
/// # Safety
/// [`entry`](Self::entry) must return the entry function the translator produced for the program
/// the owner is paired with in [`CompiledExecutable`] (same bytecode, configuration and proofs),
/// of the kind it produced, mapped executable for as long as the owner lives.
pub(crate) unsafe trait CompiledCode: Send + Sync + 'static {
    /// The entry function.
    fn entry(&self) -> Entry;
}

/// A program ready to run as native code, whichever backend mapped it.
pub(crate) struct CompiledExecutable<C> {
    program: Arc<Program>,
    /// The stack a run needs (`program.config().stack_size()`), computed once.
    stack_size: usize,
    registry: Arc<HelperRegistry>,
    helpers: Vec<(u32, Arc<HelperFn>)>,
    code: C,
}

impl<C: CompiledCode> CompiledExecutable<C> {
    /// Pairs `code`, compiled from `program`, with the helpers it calls.
    pub(crate) fn new(
        backend: &'static str,
        program: Arc<Program>,
        registry: Arc<HelperRegistry>,
        code: C,
    ) -> Result<Self, PrepareError> {
        let helpers = resolve_helpers(backend, &program, &registry)?;
        Ok(CompiledExecutable {
            stack_size: program.config().stack_size(),
            program,
            registry,
            helpers,
            code,
        })
    }
}

impl<C: CompiledCode> Executable for CompiledExecutable<C> {
    fn execute_on(&self, ctx: &mut [u8], stack: &mut StackBuffer) -> Execution {
        // The packet pointers a verified packet program trusts must lie in its context.
        if let Err(trap) = self.program.check_context(ctx) {
            return Execution {
                result: Err(trap),
                instructions: 0,
            };
        }
        match self.code.entry() {
            // SAFETY: `CompiledCode` guarantees the entry was compiled from `self.program`, whose
            // helper table `self.helpers` is, and stays mapped while `self.code` lives.
            Entry::Framed(entry) => unsafe {
                run(
                    entry,
                    self.stack_size,
                    &self.program,
                    &self.helpers,
                    &self.registry,
                    ctx,
                    stack,
                )
            },
            // A direct entry exists only for programs that do not count instructions.
            Entry::Direct(func) => Execution {
                // SAFETY: as above; the code behind a direct entry never calls back.
                result: unsafe { run_direct(func, self.stack_size, ctx, stack) },
                instructions: 0,
            },
        }
    }

    fn program(&self) -> &Program {
        &self.program
    }

    /// As [`Executable::execute`], returning `r0` only; a program with a direct entry runs on a
    /// stack in this function's own frame, with no thread-local state touched.
    fn run(&self, ctx: &mut [u8]) -> Result<u64, Trap> {
        if let Entry::Direct(func) = self.code.entry()
            && self.program.packet_pointers().is_none()
        {
            let frame = self.program.config().stack_frame_size;
            if frame <= FRAME_BYTES {
                return run_in_frame(func, frame, self.program.stack_reach(), ctx);
            }
        }
        self.execute(ctx).result
    }

    /// The program's direct entry, if it has one (see [`call_native`]); none for a program
    /// whose context's packet pointers must be checked before each run.
    fn native_entry(&self) -> Option<NativeEntry<'_>> {
        if self.program.packet_pointers().is_some() {
            return None;
        }
        match self.code.entry() {
            Entry::Direct(func) => Some(NativeEntry::new(
                call_native,
                func as usize,
                self.stack_size,
            )),
            Entry::Framed(_) => None,
        }
    }
}

#[cfg(feature = "compile")]
impl<C: CompiledCode> CompiledExecutable<C> {
    /// The direct entry and its program, when the program has one and its context needs no
    /// check before a run (see [`native_entry`](Executable::native_entry)).
    fn direct(&self) -> Option<(DirectFn, &Program)> {
        if self.program.packet_pointers().is_some() {
            return None;
        }
        match self.code.entry() {
            Entry::Direct(func) => Some((func, &self.program)),
            Entry::Framed(_) => None,
        }
    }
}

#[cfg(feature = "compile")]
/// The direct entry of `exe` and its program, when `exe` is JIT or AOT code of this crate whose
/// program has one (see [`Executable::native_entry`]). The entry's code lives as long as `exe`.
pub(crate) fn direct_entry(exe: &dyn Executable) -> Option<(DirectFn, &Program)> {
    let any: &dyn std::any::Any = exe;
    if let Some(e) = any.downcast_ref::<CompiledExecutable<crate::jit::JitCode>>() {
        return e.direct();
    }
    any.downcast_ref::<CompiledExecutable<crate::aot::load::MappedCode>>()
        .and_then(CompiledExecutable::direct)
}

#[cfg(feature = "compile")]
/// The trap a direct entry recorded in `outcome`, for code outside this module that ran it.
pub(crate) fn outcome_trap(outcome: &Outcome) -> Trap {
    direct_trap(outcome)
}

/// Runs compiled code whose entry is `entry` on `ctx`, with a stack of at least `stack_size` bytes
/// (`program.config().stack_size()`).
///
/// # Safety
/// `entry` must be the entry function the translator produced for `program` (with the same
/// configuration and helper table), and its code must stay mapped for the call.
#[inline(always)]
unsafe fn run(
    entry: CompiledFn,
    stack_size: usize,
    program: &Program,
    helpers: &[(u32, Arc<HelperFn>)],
    registry: &HelperRegistry,
    ctx: &mut [u8],
    stack: &mut StackBuffer,
) -> Execution {
    let config = program.config();
    let budget = config.instruction_budget.unwrap_or(u64::MAX);
    let frame = config.stack_frame_size as u64;
    let ctx_start = ctx.as_ptr() as u64;
    let ctx_len = ctx.len() as u64;
    // Compiled code uses the stack before any map exists: it must have its full size now.
    stack.ensure(stack_size);
    let stack_end = stack.top();
    let mut state = RunState {
        mem: LazyMap::new(ctx, stack, program),
        helpers,
        registry,
        frame,
        stop: None,
    };
    let mut regs = [0u64; 10];
    regs[1] = ctx_start;
    regs[2] = ctx_len;
    let mut vm = VmCtx {
        regs,
        ctx_start,
        ctx_neg_start: ctx_start.wrapping_neg(),
        ctx_count: [1, 2, 4, 8].map(|size| start_count(ctx_len, size)),
        stack_end,
        remaining: budget,
        depth: 1,
        stop: 0,
        trap_pc: 0,
        trap_addr: 0,
        trap_len: 0,
        check_addr: 0,
        check_info: 0,
        check_fp: 0,
        mem_slow,
        call_helper,
        call_helper_id,
        state: (&raw mut state).cast(),
    };
    // SAFETY: the caller guarantees `entry` is this program's compiled entry. The context block
    // and the run state live on this frame for the whole call; compiled code touches memory only
    // inside the regions of `state.mem` (context and stack, which outlive the call) after its
    // bounds checks, and calls back only through the table above.
    unsafe { entry(&raw mut vm, stack_end) };
    let instructions = config.reported_count(budget - vm.remaining);
    let result = if vm.stop == 0 {
        Ok(vm.regs[0])
    } else {
        stopped(&vm, &mut state)
    };
    Execution {
        result,
        instructions,
    }
}

/// Runs the direct entry at address `code` on `ctx` with a stack of at least `stack_size` bytes:
/// the function of every [`NativeEntry`] this crate hands out.
///
/// A program has a direct entry when its code needs nothing from the host: one function, no
/// helper calls, no shared memory (`.rodata`, maps), and no instruction counting (see
/// [`Config::counts_instructions`](oxbpf_core::Config)). Its code then decides every access
/// itself: proven accesses go unchecked, the others are checked against the context and the
/// stack.
fn call_native(
    code: usize,
    stack_size: usize,
    ctx: &mut [u8],
    stack: &mut StackBuffer,
) -> Result<u64, Trap> {
    let ptr = std::ptr::with_exposed_provenance::<u8>(code);
    // SAFETY: this function is private, so the only entries that run it are those
    // `CompiledExecutable::native_entry` makes, whose `code` is the address of a live
    // executable's direct entry (a `DirectFn`); the entry borrows that executable, so the code
    // stays mapped for the call.
    unsafe {
        let func = std::mem::transmute::<*const u8, DirectFn>(ptr);
        run_direct(func, stack_size, ctx, stack)
    }
}

/// The largest eBPF stack frame [`run_in_frame`] keeps in its own native frame (Linux's).
const FRAME_BYTES: usize = 512;

/// A stack frame for a direct entry, aligned as [`StackBuffer`]'s top is.
#[repr(C, align(16))]
struct Frame([core::mem::MaybeUninit<u64>; FRAME_BYTES / 8]);

/// Runs the direct entry `func`, whose program has frames of `frame` bytes (at most
/// [`FRAME_BYTES`]) and may read the top `reach` of them before writing, on `ctx` with its
/// stack in this function's frame: the top `reach` bytes zeroed, the rest never read.
#[inline(never)]
fn run_in_frame(func: DirectFn, frame: usize, reach: usize, ctx: &mut [u8]) -> Result<u64, Trap> {
    let mut stack = Frame([core::mem::MaybeUninit::uninit(); FRAME_BYTES / 8]);
    let words = reach.min(frame).div_ceil(8);
    for w in &mut stack.0[FRAME_BYTES / 8 - words..] {
        w.write(0);
    }
    let top = stack.0.as_mut_ptr_range().end as u64;
    // SAFETY: `func` is a direct entry of this crate (the caller's `CompiledCode` guarantees
    // it), mapped while the executable lives; its frame's `frame` bytes below `top` lie in
    // `stack`, which lives for the call, and the bytes it may read before writing are
    // initialised.
    unsafe { enter_direct(func, ctx, top) }
}

/// Runs the direct entry `func` on `ctx` with a stack of at least `stack_size` bytes.
///
/// # Safety
/// `func` must be a direct entry produced by the translator, mapped for the call.
#[inline(always)]
unsafe fn run_direct(
    func: DirectFn,
    stack_size: usize,
    ctx: &mut [u8],
    stack: &mut StackBuffer,
) -> Result<u64, Trap> {
    stack.ensure(stack_size);
    // SAFETY: guaranteed by the caller; the top `stack_size` bytes of `stack` are its stack.
    unsafe { enter_direct(func, ctx, stack.top()) }
}

/// Calls the direct entry `func` on `ctx` with its stack ending at `top`; `r0` or the trap it
/// recorded.
///
/// # Safety
/// `func` must be a direct entry produced by the translator, mapped for the call, and the
/// frame below `top` writable memory that outlives the call, zeroed where the program may read
/// before writing ([`Program::stack_reach`]).
#[inline(always)]
unsafe fn enter_direct(func: DirectFn, ctx: &mut [u8], top: u64) -> Result<u64, Trap> {
    let mut outcome = Outcome::default();
    let mem = ctx.as_mut_ptr();
    // SAFETY: guaranteed by the caller. Compiled code touches memory only inside `ctx` and its
    // frame below `top` (each access proven, or checked by the code itself, or unchecked
    // because the host turned checks off for code it trusts), and writes `outcome` only, on a
    // trap.
    let r0 = unsafe {
        func(
            mem,
            ctx.len() as u64,
            top,
            &raw mut outcome,
            (mem as u64).wrapping_neg(),
        )
    };
    if outcome.stop == 0 {
        Ok(r0)
    } else {
        Err(direct_trap(&outcome))
    }
}

/// The trap a direct entry recorded.
#[cold]
#[inline(never)]
fn direct_trap(outcome: &Outcome) -> Trap {
    let kind = compiled_trap(outcome.stop, outcome.trap_addr, outcome.trap_len);
    Trap::new(outcome.trap_pc as usize, kind)
}

/// How a run that stopped before its final `exit` ended.
#[cold]
#[inline(never)]
fn stopped(vm: &VmCtx, state: &mut RunState<'_, '_>) -> Result<u64, Trap> {
    match (vm.stop, state.stop.take()) {
        (STOP_RECORDED, Some(Stop::Exit(v))) => Ok(v),
        (STOP_RECORDED, Some(Stop::Trap(t))) => Err(t),
        (code, _) => Err(Trap::new(
            vm.trap_pc as usize,
            compiled_trap(code, vm.trap_addr, vm.trap_len),
        )),
    }
}

/// The trap kind for a stop code written by compiled code itself.
fn compiled_trap(code: u64, addr: u64, len: u64) -> TrapKind {
    match u8::try_from(code)
        .ok()
        .and_then(|c| TrapCode::try_from(c).ok())
    {
        Some(TrapCode::BudgetExhausted) => TrapKind::BudgetExhausted,
        Some(TrapCode::CallDepthExceeded) => TrapKind::CallDepthExceeded,
        Some(TrapCode::UnalignedAtomic) => TrapKind::UnalignedAtomic { addr },
        // Compiled code raises out-of-bounds itself for legacy packet loads, and in a direct
        // entry for any access outside the context and the stack.
        _ => {
            let (len, access) = crate::abi::split_trap_len(len);
            TrapKind::OutOfBounds { addr, len, access }
        }
    }
}
