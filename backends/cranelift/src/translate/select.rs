//! If-conversion of short forward skips.
//!
//! eBPF has no conditional move, so compilers express `x = c ? a : x` as a conditional jump over
//! a few ALU instructions (`jgt r6, 65535, +1; mov r5, r6`). Translated literally, each such skip
//! is a branch that mispredicts on data-dependent conditions. When the skipped instructions are
//! ALU operations that cannot fault or call out (no division, no memory, no jump), they are
//! computed unconditionally and each register they write is chosen with a `select`, which the
//! instruction selector turns into a conditional move.
//!
//! The contract is kept exactly: the skipped block is charged to the budget only when the jump is
//! not taken (its cost is selected like a register), and a budget too small for it traps at its
//! first instruction, as the interpreter does when it enters that block.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use oxbpf_core::isa::AluOp;
use oxbpf_core::{Insn, Reg, TrapCode};

/// The longest skip converted; longer ones stay branches.
const MAX_SKIP: usize = 4;

/// Whether `insn` may run whether or not the jump over it is taken: no trap, no memory, no call,
/// no control flow, and cheap.
fn speculable(insn: &Insn) -> bool {
    match insn {
        Insn::Alu { op, .. } => !matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod),
        Insn::Neg { .. } | Insn::Endian { .. } => true,
        _ => false,
    }
}

impl FnTranslator<'_, '_> {
    /// If the conditional jump at `pc` (to `target`) skips a short block of speculable
    /// instructions that nothing else enters through, emits that block as selects on `taken` and
    /// a jump to `target`, and returns true. Otherwise emits nothing and returns false.
    pub(super) fn if_convert(&mut self, pc: usize, target: usize, taken: Value) -> bool {
        let first = pc + 1;
        let Some(n) = target.checked_sub(first) else {
            return false;
        };
        let cost = self.program.block_cost(first) as usize;
        let insns = self.program.insns();
        if n == 0 || n > MAX_SKIP || cost != n || !insns[first..target].iter().all(speculable) {
            return false;
        }
        let Some(&join) = self.blocks.get(&target) else {
            return false;
        };
        let skipped: Vec<Insn> = insns[first..target].to_vec();
        let mut written: Vec<usize> = skipped
            .iter()
            .filter_map(Insn::written_reg)
            .map(Reg::idx)
            .filter(|&r| r < self.regs.len())
            .collect();
        written.sort_unstable();
        written.dedup();
        let old: Vec<Value> = written
            .iter()
            .map(|&r| self.b.use_var(self.regs[r]))
            .collect();

        let cost = cost as i64;
        if self.opts.budget {
            let rem = self.b.use_var(self.remaining);
            let short = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, rem, cost);
            let not_taken = self.b.ins().bxor_imm_u(taken, 1);
            let traps = self.b.ins().band(short, not_taken);
            self.trap_if(traps, TrapCode::BudgetExhausted, first, None, 0);
        }
        for (k, insn) in skipped.iter().enumerate() {
            self.insn(first + k, insn);
        }
        for (&r, &before) in written.iter().zip(&old) {
            let after = self.b.use_var(self.regs[r]);
            let v = self.b.ins().select(taken, before, after);
            self.b.def_var(self.regs[r], v);
        }
        if self.opts.count {
            let zero = self.b.ins().iconst(types::I64, 0);
            let n = self.b.ins().iconst(types::I64, cost);
            let charge = self.b.ins().select(taken, zero, n);
            self.defer_charge(charge);
        }
        // The skipped block is entered only through this jump's fall-through: leave it out, and
        // the join then has this block as its only predecessor (unless other jumps reach it).
        let alone = !self.jump_refs.contains_key(&first);
        if alone {
            self.skip_to = target;
        }
        let single_entry = self.jump_refs.get(&target) == Some(&1) && !self.duplicated;
        if alone && single_entry && !self.opts.budget {
            self.carry = true;
        } else {
            self.flush_charges();
        }
        self.b.ins().jump(join, &[]);
        true
    }
}
