//! The interface between compiled code and the host: the per-run context block ([`VmCtx`]) whose
//! address every compiled function receives as its first argument.
//!
//! Compiled code reaches everything outside itself through this block: the bounds of the context
//! region, the register file used at function boundaries, the budget, the trap record, and a table
//! of runtime entry points (helper calls, the slow path of bounds checks). Nothing is reached
//! through a symbol, so an AOT object needs no linking against the host.
//!
//! Every compiled function has the signature `fn(vmctx: *mut VmCtx, fp: u64)`: `fp` is the
//! function's frame pointer (`r10`). Registers `r0`–`r9` cross function boundaries through
//! [`VmCtx::regs`], exactly as the interpreter shares one register file: a callee starts with its
//! caller's registers and the caller gets `r0`–`r5` back, keeping its own `r6`–`r9`.
//!
//! A program whose compiled code needs nothing from the host (one function, no helper calls, no
//! shared memory, no instruction counting) is compiled instead as one direct entry,
//! [`DirectFn`], that takes its memory, stack and trap record as arguments and decides every
//! access itself: a run then builds no context block at all, and costs what a call of a native
//! function does.

#[cfg(feature = "compile")]
use core::mem::offset_of;

/// Name of the exported entry function in objects (a [`CompiledFn`]).
pub(crate) const ENTRY_SYMBOL: &str = "oxbpf_entry";

/// Name of the exported direct entry in objects (a [`DirectFn`]), which an object holds instead
/// of [`ENTRY_SYMBOL`] when its program has one.
pub(crate) const DIRECT_SYMBOL: &str = "oxbpf_direct";

/// The signature of the slow path of a bounds check: `(vmctx)`, with the access described in
/// [`VmCtx::check_addr`], [`VmCtx::check_info`] and [`VmCtx::check_fp`]. An allowed access
/// returns; a refused one records its trap and sets [`VmCtx::stop`].
pub(crate) type MemSlowFn = unsafe extern "C" fn(*mut VmCtx);

#[cfg(feature = "compile")]
/// Packs the description of a checked access for [`VmCtx::check_info`].
pub(crate) const fn check_info(pc: u64, size: u64, write: bool) -> u64 {
    (pc << 16) | (size << 1) | write as u64
}

/// The bit of [`VmCtx::check_info`] that marks a probe load (`Program::is_probe`): the slow
/// path never traps for it, and sets [`VmCtx::check_addr`] to 0 when the bytes are not
/// probe-readable (compiled code then yields 0 instead of loading).
pub(crate) const CHECK_PROBE: u64 = 1 << 15;

/// Unpacks [`VmCtx::check_info`]: `(pc, size, is_write)`.
pub(crate) const fn unpack_check_info(info: u64) -> (u64, u64, bool) {
    (info >> 16, (info & 0x7ffe) >> 1, info & 1 != 0)
}

/// The signature of a helper call: `(vmctx, index or id, pc, fp, r1, r2, r3, r4, r5)`; returns
/// the new `r0` (meaningless when [`VmCtx::stop`] is set).
pub(crate) type HelperCallFn =
    unsafe extern "C" fn(*mut VmCtx, u64, u64, u64, u64, u64, u64, u64, u64) -> u64;

/// The signature of every compiled function.
pub(crate) type CompiledFn = unsafe extern "C" fn(*mut VmCtx, u64);

/// The signature of a direct entry (see [`crate::translate::define_program`]): `(mem, mem_len,
/// stack_end, outcome, neg_mem) -> r0`. A program whose code never calls into the host gets one:
/// it runs with `r1` = `mem`, `r2` = `mem_len` and `r10` = `stack_end`, keeps no context block,
/// and writes `outcome` only when it traps (`r0` is then meaningless). `neg_mem` is `mem`
/// negated, for the same reason as [`VmCtx::ctx_neg_start`].
pub(crate) type DirectFn = unsafe extern "C" fn(*mut u8, u64, u64, *mut Outcome, u64) -> u64;

/// How a direct entry's run ended, written by compiled code only when it traps. The fields mirror
/// [`VmCtx::stop`], [`VmCtx::trap_pc`], [`VmCtx::trap_addr`] and [`VmCtx::trap_len`].
#[repr(C)]
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// A [`oxbpf_core::TrapCode`], or 0 while the run has not trapped.
    pub stop: u64,
    /// Instruction index of the trap.
    pub trap_pc: u64,
    /// Address involved in the trap.
    pub trap_addr: u64,
    /// Access length and direction of an out-of-bounds access (see [`trap_len`]).
    pub trap_len: u64,
}

/// The compiled entry of a program: through a context block, or direct.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry {
    /// [`CompiledFn`], with a [`VmCtx`] set up by the runtime.
    Framed(CompiledFn),
    /// [`DirectFn`]: code that never leaves itself.
    Direct(DirectFn),
}

/// Values of [`VmCtx::stop`]: 0 while running, a [`oxbpf_core::TrapCode`] for traps raised by
/// compiled code itself, or [`STOP_RECORDED`] when the runtime recorded how the run ended.
pub(crate) const STOP_RECORDED: u64 = 0x80;

/// The per-run context block. `repr(C)`: compiled code addresses its fields by the offsets below.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VmCtx {
    /// Register file at function boundaries (`r0`–`r9`).
    pub regs: [u64; 10],
    /// Address of the context region.
    pub ctx_start: u64,
    /// Its negation (mod 2^64): a check computes `addr + ctx_neg_start`, one three-operand add,
    /// where `addr - ctx_start` would need a copy first (and Cranelift folds an `ineg` it sees
    /// back into the subtraction).
    pub ctx_neg_start: u64,
    /// For access sizes 1, 2, 4 and 8: the number of valid start offsets in the context region
    /// (`len + 1 - size`, or 0), so one unsigned compare checks an access.
    pub ctx_count: [u64; 4],
    /// One past the end of the stack (the entry frame's `r10`).
    pub stack_end: u64,
    /// Instruction budget left.
    pub remaining: u64,
    /// Live frames, the entry function's included.
    pub depth: u64,
    /// Why the run stopped (see [`STOP_RECORDED`]); 0 while running.
    pub stop: u64,
    /// Instruction index of a trap raised by compiled code.
    pub trap_pc: u64,
    /// Address involved in a trap raised by compiled code (packet loads, atomics).
    pub trap_addr: u64,
    /// Access length of an out-of-bounds packet load.
    pub trap_len: u64,
    /// Address of the access a bounds check's slow path decides on.
    pub check_addr: u64,
    /// Its instruction index, size and direction ([`check_info`]).
    pub check_info: u64,
    /// The frame pointer of the function making it (the live stack ends there).
    pub check_fp: u64,
    /// Slow path of a bounds check.
    pub mem_slow: MemSlowFn,
    /// Helper call by index into the program's helper table.
    pub call_helper: HelperCallFn,
    /// Helper call by id (`callx`).
    pub call_helper_id: HelperCallFn,
    /// The host's per-run state (opaque to compiled code).
    pub state: *mut core::ffi::c_void,
}

#[cfg(feature = "compile")]
/// Byte offset of `regs[i]`.
pub(crate) const fn reg_offset(i: usize) -> i32 {
    (offset_of!(VmCtx, regs) + 8 * i) as i32
}

#[cfg(feature = "compile")]
/// Byte offset of `ctx_count` for an access of `bytes` (1, 2, 4 or 8).
pub(crate) const fn ctx_count_offset(bytes: u32) -> i32 {
    let slot = bytes.trailing_zeros() as usize;
    (offset_of!(VmCtx, ctx_count) + 8 * slot) as i32
}

#[cfg(feature = "compile")]
/// Field offsets for the translator.
pub(crate) mod off {
    use super::VmCtx;
    use core::mem::offset_of;

    /// [`VmCtx::ctx_start`].
    pub const CTX_START: i32 = offset_of!(VmCtx, ctx_start) as i32;
    /// [`VmCtx::ctx_neg_start`].
    pub const CTX_NEG_START: i32 = offset_of!(VmCtx, ctx_neg_start) as i32;
    /// [`VmCtx::stack_end`].
    pub const STACK_END: i32 = offset_of!(VmCtx, stack_end) as i32;
    /// [`VmCtx::remaining`].
    pub const REMAINING: i32 = offset_of!(VmCtx, remaining) as i32;
    /// [`VmCtx::depth`].
    pub const DEPTH: i32 = offset_of!(VmCtx, depth) as i32;
    /// [`VmCtx::stop`].
    pub const STOP: i32 = offset_of!(VmCtx, stop) as i32;
    /// [`VmCtx::trap_pc`].
    pub const TRAP_PC: i32 = offset_of!(VmCtx, trap_pc) as i32;
    /// [`VmCtx::trap_addr`].
    pub const TRAP_ADDR: i32 = offset_of!(VmCtx, trap_addr) as i32;
    /// [`VmCtx::trap_len`].
    pub const TRAP_LEN: i32 = offset_of!(VmCtx, trap_len) as i32;
    /// [`VmCtx::check_addr`].
    pub const CHECK_ADDR: i32 = offset_of!(VmCtx, check_addr) as i32;
    /// [`VmCtx::check_info`].
    pub const CHECK_INFO: i32 = offset_of!(VmCtx, check_info) as i32;
    /// [`VmCtx::check_fp`].
    pub const CHECK_FP: i32 = offset_of!(VmCtx, check_fp) as i32;
    /// [`VmCtx::mem_slow`].
    pub const MEM_SLOW: i32 = offset_of!(VmCtx, mem_slow) as i32;
    /// [`VmCtx::call_helper`].
    pub const CALL_HELPER: i32 = offset_of!(VmCtx, call_helper) as i32;
    /// [`VmCtx::call_helper_id`].
    pub const CALL_HELPER_ID: i32 = offset_of!(VmCtx, call_helper_id) as i32;
}

/// Marks a trap record's length as that of a write (see [`trap_len`]).
const TRAP_WRITE: u64 = 1 << 32;

#[cfg(feature = "compile")]
/// The length word of an out-of-bounds trap record: the access's size, marked for a write.
pub(crate) const fn trap_len(size: u64, access: oxbpf_core::Access) -> u64 {
    match access {
        oxbpf_core::Access::Write => size | TRAP_WRITE,
        oxbpf_core::Access::Read => size,
    }
}

/// Splits a trap record's length word into the access's size and direction.
pub(crate) const fn split_trap_len(len: u64) -> (u64, oxbpf_core::Access) {
    if len & TRAP_WRITE != 0 {
        (len & !TRAP_WRITE, oxbpf_core::Access::Write)
    } else {
        (len, oxbpf_core::Access::Read)
    }
}

#[cfg(feature = "compile")]
/// Offsets of the trap record `(stop, pc, addr, len)` in the block compiled code writes it to:
/// the context block, or a direct entry's [`Outcome`].
pub(crate) const fn trap_fields(direct: bool) -> [i32; 4] {
    if direct {
        [
            offset_of!(Outcome, stop) as i32,
            offset_of!(Outcome, trap_pc) as i32,
            offset_of!(Outcome, trap_addr) as i32,
            offset_of!(Outcome, trap_len) as i32,
        ]
    } else {
        [off::STOP, off::TRAP_PC, off::TRAP_ADDR, off::TRAP_LEN]
    }
}

/// Number of valid start offsets for an access of `size` bytes in a region of `len` bytes.
pub(crate) fn start_count(len: u64, size: u64) -> u64 {
    (len + 1).saturating_sub(size)
}
