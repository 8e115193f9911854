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
//! Checks against the context reuse the region start and counts loaded once at function entry,
//! so the check inside a loop is the bare compare and branch. With `Config::bounds_check` off, no
//! check is emitted (only sound for verified programs).

use crate::abi::off;
use crate::provenance::Prov;
use crate::translate::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use oxbpf_core::{Access, Reg};

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

impl FnTranslator<'_, '_> {
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
        let kind = plan(
            self.prov(base),
            off,
            size,
            self.opts.frame,
            self.opts.bounds_check,
        );
        let slot = size.trailing_zeros() as usize;
        let (start, count) = match kind {
            CheckKind::None => return,
            CheckKind::Stack => (self.env.floor, self.env.stack_count[slot]),
            CheckKind::Context => (self.env.ctx_start, self.env.ctx_count[slot]),
        };
        let rel = self.b.ins().isub(addr, start);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
        let cont = self.b.create_block();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(inside, cont, &[], slow, &[]);

        self.b.switch_to_block(slow);
        let sig = self.mem_slow_sig();
        let callee = self
            .b
            .ins()
            .load(types::I64, crate::translate::VM, self.vmctx, off::MEM_SLOW);
        let args = [
            self.vmctx,
            addr,
            self.b.ins().iconst(types::I64, i64::from(size)),
            self.b
                .ins()
                .iconst(types::I64, i64::from(access == Access::Write)),
            self.b.ins().iconst(types::I64, pc as i64),
            self.fp,
        ];
        let call = self.b.ins().call_indirect(sig, callee, &args);
        let ok = self.b.inst_results(call)[0];
        self.b.ins().brif(ok, cont, &[], self.stop_block, &[]);

        self.b.switch_to_block(cont);
    }
}
