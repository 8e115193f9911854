//! If-conversion of short forward skips.
//!
//! eBPF has no conditional move, so compilers express `x = c ? a : x` as a conditional jump over
//! a few ALU instructions (`jgt r6, 65535, +1; mov r5, r6`). Translated literally, each such skip
//! is a branch that mispredicts on data-dependent conditions. When the skipped instructions are
//! ALU operations that cannot fault or call out (no division, no memory, no jump), they are
//! computed unconditionally and each register they write is chosen with a `select`, which the
//! instruction selector turns into a conditional move.
//!
//! Chains stay branches: when a later short skip's condition or skipped instructions read what
//! an earlier one selected (`v = c1 ? v >> 16 : v; ... v > 255 ? ...`, the shape of a binary
//! search for the top bit), every select would wait for the one before it and both sides of each
//! would run. Branches let the processor run ahead on its prediction instead, which is what
//! native compilers choose for such chains; on the log2 workload, converted, the loop took 1.45
//! times as long as with branches. [`chained_skips`] finds them by following, from each skip,
//! the registers it selects through the straight-line code after it.
//!
//! The contract is kept exactly: the skipped block is charged to the budget only when the jump is
//! not taken (its cost is selected like a register), and a budget too small for it traps at its
//! first instruction, as the interpreter does when it enters that block.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use oxbpf_core::isa::{AluOp, Operand};
use oxbpf_core::{Insn, Program, Reg, TrapCode};
use std::collections::HashSet;

/// The longest skip converted; longer ones stay branches.
const MAX_SKIP: usize = 4;

/// How far [`chained_skips`] follows a skip's results.
const CHAIN_WINDOW: usize = 16;

/// Whether `insn` may run whether or not the jump over it is taken: no trap, no memory, no call,
/// no control flow, and cheap.
fn speculable(insn: &Insn) -> bool {
    match insn {
        Insn::Alu { op, .. } => !matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod),
        Insn::Neg { .. } | Insn::Endian { .. } => true,
        _ => false,
    }
}

/// The bit of register `r` in a register set.
fn bit(r: Reg) -> u16 {
    1 << r.idx()
}

/// The registers `insn` reads, for the instructions [`chained_skips`] follows results through
/// (ALU, loads, conditional jumps); `None` for any other, where the search stops.
fn reads(insn: &Insn) -> Option<u16> {
    let operand = |src: Operand| match src {
        Operand::Reg(r) => bit(r),
        Operand::Imm(_) => 0,
    };
    match *insn {
        Insn::Alu { op, dst, src, .. } => Some(match op {
            AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => operand(src),
            _ => operand(src) | bit(dst),
        }),
        Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => Some(bit(dst)),
        Insn::Load { src, .. } => Some(bit(src)),
        Insn::LoadImm64 { .. } | Insn::LoadImm64Tail => Some(0),
        Insn::Jump { dst, src, .. } => Some(bit(dst) | operand(src)),
        _ => None,
    }
}

/// The registers derived from `taint` after `insn`: what it writes from a derived register is
/// derived, what it writes from others is not.
fn propagate(taint: u16, insn: &Insn) -> u16 {
    let read = reads(insn).unwrap_or(0);
    match insn.written_reg() {
        Some(w) if read & taint != 0 => taint | bit(w),
        Some(w) => taint & !bit(w),
        None => taint,
    }
}

/// The short skip the conditional jump at `pc` makes, if it is one [`FnTranslator::if_convert`]
/// may turn into selects: its target and the registers its skipped block writes.
fn short_skip(program: &Program, pc: usize) -> Option<(usize, u16)> {
    let insn = program.insns().get(pc)?;
    if !matches!(insn, Insn::Jump { .. }) {
        return None;
    }
    let target = insn.target_index(pc)?;
    let first = pc + 1;
    let n = target.checked_sub(first)?;
    let skipped = program.insns().get(first..target)?;
    let cost = program.block_cost(first) as usize;
    if n == 0 || n > MAX_SKIP || cost != n || !skipped.iter().all(speculable) {
        return None;
    }
    let written = skipped
        .iter()
        .filter_map(Insn::written_reg)
        .fold(0, |set, r| set | bit(r));
    Some((target, written))
}

/// The conditional jumps of `[start, end)` whose short skips form select chains (see the module
/// doc): both the skip whose selected registers a later skip's condition or skipped instructions
/// read, within [`CHAIN_WINDOW`] instructions of straight-line code and other short skips, and
/// that later skip. They stay branches.
pub(super) fn chained_skips(program: &Program, start: usize, end: usize) -> HashSet<usize> {
    let insns = program.insns();
    let mut chained = HashSet::new();
    for pc in start..end {
        let Some((target, written)) = short_skip(program, pc) else {
            continue;
        };
        let (mut taint, mut at) = (written, target);
        for _ in 0..CHAIN_WINDOW {
            let Some(insn) = insns.get(at).filter(|_| at < end) else {
                break;
            };
            let Some(read) = reads(insn) else {
                break;
            };
            if !matches!(insn, Insn::Jump { .. }) {
                taint = propagate(taint, insn);
                at += 1;
                continue;
            }
            let Some((next, _)) = short_skip(program, at) else {
                break;
            };
            let skipped = &insns[at + 1..next];
            let block_reads = skipped.iter().fold(0, |set, i| set | reads(i).unwrap_or(0));
            if (read | block_reads) & taint != 0 {
                chained.extend([pc, at]);
                break;
            }
            // The skipped block may run or not: what it derives joins what was derived.
            let ran = skipped.iter().fold(taint, propagate);
            taint |= ran;
            at = next;
        }
    }
    chained
}

impl FnTranslator<'_, '_> {
    /// If the conditional jump at `pc` (to `target`) skips a short block of speculable
    /// instructions that nothing else enters through, emits that block as selects on `taken` and
    /// a jump to `target`, and returns true. Otherwise emits nothing and returns false.
    pub(super) fn if_convert(&mut self, pc: usize, target: usize, taken: Value) -> bool {
        if self.chained.contains(&pc) {
            return false;
        }
        let first = pc + 1;
        if short_skip(self.program, pc).map(|(t, _)| t) != Some(target) {
            return false;
        }
        let cost = self.program.block_cost(first) as usize;
        let Some(join) = self.block_at(target) else {
            return false;
        };
        let skipped: Vec<Insn> = self.program.insns()[first..target].to_vec();
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

#[cfg(test)]
mod tests {
    use super::chained_skips;
    use oxbpf_core::{Config, HelperRegistry, Program};

    fn chained(src: &str) -> Vec<usize> {
        let p = Program::from_asm(src, &Config::default(), &HelperRegistry::new()).unwrap();
        let mut pcs: Vec<usize> = chained_skips(&p, 0, p.len()).into_iter().collect();
        pcs.sort_unstable();
        pcs
    }

    #[test]
    fn a_skip_testing_what_an_earlier_skip_selected_makes_a_chain() {
        // r5 = r6 > 0xffff ? r6 >> 16 : r6; then r5 > 255 decides the next skip.
        let src = "mov %r6, %r1\nmov %r5, %r6\nrsh %r5, 16\njgt %r6, 65535, +1\nmov %r5, %r6\n\
                   mov %r8, %r5\njgt %r8, 255, +1\nmov %r0, 7\nexit";
        assert_eq!(chained(src), [3, 6]);
        // r7 = r1 > 5 ? r7 : 1, then r4 = r3 > 5 ? r4 : r7 + 2: the second select waits for the
        // first through its value.
        let by_value = "mov %r7, 0\nmov %r4, 0\njgt %r1, 5, +1\nmov %r7, 1\njgt %r3, 5, +2\n\
                        mov %r4, %r7\nadd %r4, 2\nmov %r0, %r4\nexit";
        assert_eq!(chained(by_value), [2, 4]);
    }

    #[test]
    fn independent_skips_and_overwritten_results_make_none() {
        let independent =
            "mov %r0, 0\njgt %r1, 5, +1\nmov %r2, 1\njgt %r3, 5, +1\nmov %r4, 1\nexit";
        assert!(chained(independent).is_empty());
        // The selected r2 is overwritten before the next skip reads it.
        let overwritten = "mov %r0, 0\njgt %r1, 5, +1\nmov %r2, 1\nmov %r2, 9\njgt %r2, 5, +1\n\
                           mov %r4, 1\nexit";
        assert!(chained(overwritten).is_empty());
    }
}
