//! Bounds checks of compiled code: the only place that decides whether and how an access is
//! checked.
//!
//! # Design
//!
//! Programs see real host addresses, so an allowed access is a plain load or store at the
//! address the program computed; the check only has to prove the address lies in a region the
//! program may touch (see [`oxbpf_core::MemoryMap`]). Instead of testing every region (rbpf's JIT
//! spends about 20 IR operations per access on three regions), each access is checked against
//! the **one region it is predicted to touch**, with **one compare and one branch**:
//!
//! ```text
//!   off = addr - region_start            ; isub
//!   if off >=u count[size] goto slow      ; icmp + brif (count = len + 1 - size, or 0)
//!   load/store at addr
//! ```
//!
//! `count[size]`, the number of valid start offsets for an access of `size` bytes, is computed
//! once per run (context) or per function entry (stack), so the single unsigned compare also
//! rejects addresses below the region (their offset wraps to a huge number) and regions shorter
//! than the access (count 0).
//!
//! The prediction comes from [`crate::provenance`]: values derived from `r1` in the entry function
//! are checked against the context, values derived from `r10` against the live stack (the current
//! frame and its callers', as in the interpreter), anything else against the context first. A
//! miss is not an error: the cold slow path asks the run's [`oxbpf_core::MemoryMap`] about every
//! region (stack, context, and any memory the host added) and either continues or records the
//! out-of-bounds trap with its instruction index. So results never depend on the prediction,
//! only speed does.
//!
//! Checks are **removed** where the translator proves the access safe: an access through `r10`
//! plus constants (tracked exactly through `mov`, `add` and `sub`) that lies inside the current
//! 512-byte frame needs no check at all, which covers the spills and locals compilers emit.
//! Accesses the verifier proved in bounds (`Program::is_proven`) get no check either. With
//! `Config::bounds_check` off, no check is emitted at all (only sound for verified programs).
//!
//! Checks are **merged** within a basic block: accesses through the same base register that the
//! block does not change between them (reading the fields of a header: `ldxw r2, [r1+0]`,
//! `ldxh r3, [r1+12]`, ...) form a group, checked once, at its first access, against the span
//! from the lowest to the highest byte any of them touches. The rest of the block is translated
//! twice: on the hot path the group's accesses carry no check; when the span check fails, a cold
//! copy starting at that access checks every access on its own. A span that does not fit does not
//! mean an access is out of bounds, so the cold copy keeps results, traps and their instruction
//! indices exactly those of the interpreter.
//!
//! Checks are **hoisted** out of counted loops: a single-block loop stepping an induction
//! register towards an unchanged bound is versioned, with one guard before it proving every
//! iteration's context accesses in bounds and a copy of the loop without their checks (the
//! analysis is [`crate::hoist`]; the guard is [`FnTranslator::hoist_guard`]). Scanning loops,
//! which stop on the data instead of a bound, are versioned in chunks of iterations the context
//! covers (`translate::scan`).
//!
//! The context region's bounds are loads the optimizer may merge and move out of loops. The slow
//! path is a function in the `preserve_all` calling convention, and the cold block that calls it
//! passes the access through the context block: it clobbers no register and pins no value, so the
//! hot path is register-allocated as if the check could not fail.

use crate::abi::{check_info, ctx_count_offset, off};
use crate::provenance::{Prov, State, step};
use crate::translate::{FnTranslator, VM};
use cranelift_codegen::Context;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, UserFuncName, Value, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module};
use oxbpf_core::{Access, Insn, Program, Reg, TrapCode};
use std::collections::{HashMap, HashSet};

/// Flags for fields of the context block that never change during a run (the context region's
/// bounds): loads of them may be merged and moved.
const VM_FIXED: cranelift_codegen::ir::MemFlagsData = VM.with_readonly().with_can_move();

/// Name of the slow-path function in objects.
pub(crate) const SLOW_PATH_SYMBOL: &str = "oxbpf_mem_slow";

/// Defines the slow path of bounds checks in `module`: a function `(vmctx)` in the
/// `preserve_all` calling convention that calls the runtime's [`crate::abi::MemSlowFn`] through
/// the context block (a refused access sets [`crate::abi::VmCtx::stop`]). The cold block that
/// calls it stores the access into the context block, so the call clobbers no register and pins
/// no value to an argument register: the hot path is allocated as if the check could not fail.
pub(crate) fn define_slow_path<M: Module>(
    module: &mut M,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
) -> Result<FuncId, String> {
    let mut sig = Signature::new(CallConv::PreserveAll);
    sig.params.push(AbiParam::new(types::I64));
    let id = module
        .declare_function(SLOW_PATH_SYMBOL, Linkage::Local, &sig)
        .map_err(|e| e.to_string())?;
    let frontend = module.target_config();
    let mut runtime_sig = Signature::new(module.isa().default_call_conv());
    runtime_sig.params.push(AbiParam::new(types::I64));
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let args = b.block_params(entry).to_vec();
    let runtime_sig = b.import_signature(runtime_sig);
    let callee = b.ins().load(types::I64, VM, args[0], off::MEM_SLOW);
    b.ins().call_indirect(runtime_sig, callee, &args);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(frontend);
    module
        .define_function(id, ctx)
        .map_err(|e| format!("bounds-check slow path: {e:?}"))?;
    module.clear_context(ctx);
    Ok(id)
}

/// How one access is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckKind {
    /// Proven in bounds (or checks are off): nothing is emitted.
    None,
    /// Compared against the live stack.
    Stack,
    /// Compared against the context.
    Context,
}

/// Decides how an access of `size` bytes at `base + off` is checked.
pub(crate) fn plan(prov: Prov, off: i16, size: u32, frame: i64, enabled: bool) -> CheckKind {
    if !enabled {
        return CheckKind::None;
    }
    match prov {
        Prov::Stack(Some(k)) => {
            let lo = k.saturating_add(i64::from(off));
            let hi = lo.saturating_add(i64::from(size));
            if lo >= -frame && hi <= 0 {
                CheckKind::None
            } else {
                CheckKind::Stack
            }
        }
        Prov::Stack(None) => CheckKind::Stack,
        Prov::Ctx | Prov::Unknown => CheckKind::Context,
    }
}

/// The number of valid start offsets for an access of `size` bytes in a region of `len` bytes,
/// computed by compiled code: `len + 1 - size`, or 0 when the region is shorter than the access
/// (the run-time twin of [`crate::abi::start_count`]).
pub(crate) fn valid_starts(b: &mut FunctionBuilder, len: Value, size: i64) -> Value {
    let fits = b
        .ins()
        .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, len, size);
    let count = b.ins().iadd_imm_s(len, 1 - size);
    let zero = b.ins().iconst(types::I64, 0);
    b.ins().select(fits, count, zero)
}

/// The merged checks of one basic block (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct Merges {
    /// First access of each group, with the span `[lo, hi)` its group touches relative to the
    /// base register.
    pub(crate) leaders: HashMap<usize, (i64, i64)>,
    /// Every access of a group (leaders included): their own checks are not emitted on the hot
    /// path.
    pub(crate) covered: HashSet<usize>,
}

/// The base register, offset and size of a load or store (not atomics, which have their own
/// alignment rule).
pub(crate) fn plain_access(insn: &Insn) -> Option<(Reg, i16, u32)> {
    match *insn {
        Insn::Load { size, src, off, .. } => Some((src, off, size.bytes() as u32)),
        Insn::Store { size, dst, off, .. } => Some((dst, off, size.bytes() as u32)),
        _ => None,
    }
}

/// Whether `insn` may change register `r` (conservatively: calls and legacy packet loads may
/// change `r0`-`r5`).
fn may_write(insn: &Insn, r: Reg) -> bool {
    let clobbers = matches!(
        insn,
        Insn::Call { .. }
            | Insn::Callx { .. }
            | Insn::CallRuntime { .. }
            | Insn::CallLocal { .. }
            | Insn::LoadPacket { .. }
    );
    insn.written_reg() == Some(r) || (clobbers && r.idx() <= 5)
}

/// Groups the context accesses of the block `[start, end)` of `program`, entered with provenance
/// `state`, by base register (see the module doc). A lone access is a group too: checked once,
/// with a cold copy of the rest of its block on failure, the register moves back into hot code
/// stay off the hot path (strcmp's loop: one taken jump per byte instead of three).
pub(crate) fn plan_merges(
    program: &Program,
    (start, end): (usize, usize),
    mut state: State,
    frame: i64,
    enabled: bool,
) -> Merges {
    // Open groups: base register -> (leader, lo, hi, members).
    let mut open: HashMap<usize, (usize, i64, i64, Vec<usize>)> = HashMap::new();
    let mut done = Vec::new();
    for pc in start..end {
        let insn = &program.insns()[pc];
        if let Some((base, off, size)) = plain_access(insn) {
            let prov = state[base.idx()];
            if !program.is_proven(pc)
                && !program.is_probe(pc)
                && plan(prov, off, size, frame, enabled) == CheckKind::Context
            {
                let (lo, hi) = (i64::from(off), i64::from(off) + i64::from(size));
                let g = open
                    .entry(base.idx())
                    .or_insert_with(|| (pc, lo, hi, Vec::new()));
                g.1 = g.1.min(lo);
                g.2 = g.2.max(hi);
                g.3.push(pc);
            }
        }
        let closed: Vec<usize> = open
            .keys()
            .copied()
            .filter(|&r| Reg::new(r as u8).is_some_and(|reg| may_write(insn, reg)))
            .collect();
        for r in closed {
            done.extend(open.remove(&r));
        }
        step(&mut state, insn);
    }
    done.extend(open.into_values());
    let mut merges = Merges::default();
    for (leader, lo, hi, members) in done {
        if !members.is_empty() {
            merges.leaders.insert(leader, (lo, hi));
            merges.covered.extend(members);
        }
    }
    merges
}

impl FnTranslator<'_, '_> {
    /// The context region's start and its count of valid starts for an access of `size` bytes.
    /// The loads are marked as never changing during a run, so Cranelift merges them and hoists
    /// them out of loops.
    pub(crate) fn ctx_bounds(&mut self, size: u32) -> (Value, Value) {
        let start = match self.direct {
            Some(d) => d.mem,
            None => self
                .b
                .ins()
                .load(types::I64, VM_FIXED, self.vmctx, off::CTX_START),
        };
        (start, self.ctx_count(size))
    }

    /// The context region's count of valid starts for an access of `size` bytes (its length
    /// for 1), a load Cranelift merges and hoists like [`ctx_bounds`](Self::ctx_bounds)'.
    fn ctx_count(&mut self, size: u32) -> Value {
        let Some(crate::translate::Direct { len, .. }) = self.direct else {
            return self
                .b
                .ins()
                .load(types::I64, VM_FIXED, self.vmctx, ctx_count_offset(size));
        };
        // A direct entry computes `start_count(len, size)` itself (the length, for one byte).
        if size == 1 {
            return len;
        }
        valid_starts(&mut self.b, len, i64::from(size))
    }

    /// Emits the check of an access of `size` bytes at `addr` (= `base + off`) by the
    /// instruction at `pc`. Control continues in a fresh block where the access is allowed.
    pub(crate) fn check_access(
        &mut self,
        pc: usize,
        base: Reg,
        off: i16,
        addr: Value,
        size: u32,
        access: Access,
    ) {
        if self.hoisted.contains(&pc) {
            return;
        }
        if !self.cold_copy {
            if let Some(&(lo, hi)) = self.merges.leaders.get(&pc) {
                self.check_span(pc, base, lo, hi);
                return;
            }
            if self.merges.covered.contains(&pc) {
                return;
            }
        }
        // Proven in bounds by the verifier (after the merges: a proven access that leads a
        // merged group still checks the group's span for the others).
        if self.program.is_proven(pc) {
            return;
        }
        // A verified program's access that is not proven: the context or a trap, checks on or
        // off (see `Program::is_context_only`).
        if self.program.is_context_only(pc) {
            let (rel, count) = self.ctx_rel_count(addr, size);
            let outside = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, rel, count);
            let len = crate::abi::trap_len(u64::from(size), access);
            self.trap_if(outside, TrapCode::OutOfBounds, pc, Some(addr), len as i64);
            return;
        }
        let kind = plan(
            self.prov(base),
            off,
            size,
            self.opts.frame,
            self.opts.bounds_check,
        );
        let (rel, count) = match kind {
            CheckKind::None => return,
            CheckKind::Stack => self.stack_rel_count(addr, size),
            CheckKind::Context => self.ctx_rel_count(addr, size),
        };
        self.flush_charges();
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
        let cont = self.b.create_block();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(inside, cont, &[], slow, &[]);

        self.b.switch_to_block(slow);
        if self.direct.is_some() {
            self.direct_slow_path(pc, kind, addr, size, access);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
            return;
        }
        let info = check_info(pc as u64, u64::from(size), access == Access::Write);
        self.call_slow_path(addr, info);
        let stop = self.b.ins().load(types::I64, VM, self.vmctx, off::STOP);
        self.b.ins().brif(stop, self.stop_block, &[], cont, &[]);

        self.b.switch_to_block(cont);
    }

    /// Calls the runtime's slow path on the access at `addr` that `info` describes
    /// ([`check_info`], with [`CHECK_PROBE`](crate::abi::CHECK_PROBE) for a probe load),
    /// passing both and the frame pointer through the context block.
    pub(crate) fn call_slow_path(&mut self, addr: Value, info: u64) {
        let info = self.b.ins().iconst(types::I64, info as i64);
        for (v, field) in [
            (addr, off::CHECK_ADDR),
            (info, off::CHECK_INFO),
            (self.fp, off::CHECK_FP),
        ] {
            self.b.ins().store(VM, v, self.vmctx, field);
        }
        self.leaves = true;
        self.b.ins().call(self.slow_path, &[self.vmctx]);
    }

    /// The slow path of a check in a direct entry, whose program reaches no memory but the
    /// context and the stack (no helpers, no shared regions: see [`crate::abi::DirectFn`]): an
    /// access the fast check (`kind`) refused is allowed if it lies in the other region, and
    /// traps as the runtime's slow path would otherwise. Control continues where it is allowed.
    fn direct_slow_path(
        &mut self,
        pc: usize,
        kind: CheckKind,
        addr: Value,
        size: u32,
        access: Access,
    ) {
        let (rel, count) = match kind {
            CheckKind::Stack => self.ctx_rel_count(addr, size),
            _ => self.stack_rel_count(addr, size),
        };
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
        let outside = self.b.ins().icmp_imm_u(IntCC::Equal, inside, 0);
        let len = crate::abi::trap_len(u64::from(size), access);
        self.trap_if(outside, TrapCode::OutOfBounds, pc, Some(addr), len as i64);
    }

    /// `addr - ctx_start`, computed as `addr + ctx_neg_start`: a single three-operand `lea` that
    /// folds the access's own offset, where a subtraction would need a copy of `addr` first on
    /// x86.
    fn ctx_offset(&mut self, addr: Value) -> Value {
        if let Some(d) = self.direct {
            return self.b.ins().iadd(addr, d.neg_mem);
        }
        let neg = self
            .b
            .ins()
            .load(types::I64, VM_FIXED, self.vmctx, off::CTX_NEG_START);
        self.b.ins().iadd(addr, neg)
    }

    /// `addr`'s offset from the context's start and the context's count of valid starts for an
    /// access of `size` bytes: the access is inside when the first is below the second.
    pub(crate) fn ctx_rel_count(&mut self, addr: Value, size: u32) -> (Value, Value) {
        let count = self.ctx_count(size);
        (self.ctx_offset(addr), count)
    }

    /// `addr`'s offset from the live stack frame's floor and the frame's count of valid starts
    /// for an access of `size` bytes, as [`ctx_rel_count`](Self::ctx_rel_count) is for the
    /// context.
    fn stack_rel_count(&mut self, addr: Value, size: u32) -> (Value, Value) {
        let rel = self.b.ins().isub(addr, self.env.floor);
        (rel, self.env.stack_count[size.trailing_zeros() as usize])
    }

    /// The address of hoisted access `a` without the induction register: its constant plus its
    /// invariant registers.
    pub(crate) fn hoisted_base(&mut self, a: &crate::hoist::Hoisted) -> Value {
        let mut base = self.b.ins().iconst(types::I64, a.off);
        for &r in &a.invariants {
            let v = self.get(r);
            base = self.b.ins().iadd(base, v);
        }
        base
    }

    /// Whether `size` bytes at `addr` lie in the context.
    fn in_context(&mut self, addr: Value, size: u32) -> Value {
        let (rel, count) = self.ctx_rel_count(addr, size);
        self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count)
    }

    /// The guard of a versioned loop (see [`crate::hoist`]), evaluated on the registers at loop
    /// entry: true when the induction register starts below its bound, cannot wrap, and every
    /// hoisted access lies in the context on the first and on the last iteration.
    pub(crate) fn hoist_guard(&mut self, l: &crate::hoist::CountedLoop) -> Value {
        let v0 = self.get(l.iv);
        let n = match l.bound {
            oxbpf_core::isa::Operand::Reg(r) => self.get(r),
            oxbpf_core::isa::Operand::Imm(i) => self.b.ins().iconst(types::I64, i64::from(i)),
        };
        let mut ok = self.b.ins().icmp(IntCC::UnsignedLessThan, v0, n);
        // The last start value is `n - 1`; stepping from it must not wrap.
        let limit = self
            .b
            .ins()
            .iconst(types::I64, (u64::MAX - (l.step as u64 - 1)) as i64);
        let no_wrap = self.b.ins().icmp(IntCC::UnsignedLessThan, n, limit);
        ok = self.b.ins().band(ok, no_wrap);
        let last = self.b.ins().iadd_imm_s(n, -1);
        for a in &l.accesses {
            let base = self.hoisted_base(a);
            let (first, end) = if a.with_iv {
                (self.b.ins().iadd(base, v0), self.b.ins().iadd(base, last))
            } else {
                (base, base)
            };
            let first_in = self.in_context(first, a.size);
            let end_in = self.in_context(end, a.size);
            let ordered = self
                .b
                .ins()
                .icmp(IntCC::UnsignedLessThanOrEqual, first, end);
            for c in [first_in, end_in, ordered] {
                ok = self.b.ins().band(ok, c);
            }
        }
        ok
    }

    /// The merged check of the group led by the access at `pc`: `[base + lo, base + hi)` must lie
    /// in the context. When it does not, control goes to a cold copy of the rest of the block
    /// (queued here, translated by the caller) that checks each access on its own.
    fn check_span(&mut self, pc: usize, base: Reg, lo: i64, hi: i64) {
        self.flush_charges();
        let b = self.get(base);
        let addr = self.b.ins().iadd_imm_s(b, lo);
        let span = hi - lo;
        let count = match span {
            // The counts of the access sizes are in the context block.
            1 | 2 | 4 | 8 => self.ctx_count(span as u32),
            _ => {
                let len = self.ctx_count(1);
                valid_starts(&mut self.b, len, span)
            }
        };
        let rel = self.ctx_offset(addr);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
        let cont = self.b.create_block();
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(inside, cont, &[], cold, &[]);
        self.cold_copies.push((cold, pc, self.prov));
        self.b.switch_to_block(cont);
    }
}
