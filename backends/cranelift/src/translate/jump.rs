//! Conditional jumps: one compare (at 32 or 64 bits) and one branch to the target block, falling
//! through to the block after the jump.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use oxbpf_core::isa::{Cond, Operand, Width};
use oxbpf_core::{Insn, Reg};

/// The Cranelift condition for an eBPF one (`Set` is handled apart).
fn int_cc(cond: Cond) -> IntCC {
    match cond {
        Cond::Eq => IntCC::Equal,
        Cond::Ne | Cond::Set => IntCC::NotEqual,
        Cond::Gt => IntCC::UnsignedGreaterThan,
        Cond::Ge => IntCC::UnsignedGreaterThanOrEqual,
        Cond::Lt => IntCC::UnsignedLessThan,
        Cond::Le => IntCC::UnsignedLessThanOrEqual,
        Cond::Sgt => IntCC::SignedGreaterThan,
        Cond::Sge => IntCC::SignedGreaterThanOrEqual,
        Cond::Slt => IntCC::SignedLessThan,
        Cond::Sle => IntCC::SignedLessThanOrEqual,
    }
}

impl FnTranslator<'_, '_> {
    pub(super) fn jump(
        &mut self,
        pc: usize,
        insn: &Insn,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
    ) {
        let ty = super::alu::width_type(width);
        let a = self.get(dst);
        let a = if ty == types::I64 {
            a
        } else {
            self.b.ins().ireduce(ty, a)
        };
        let taken = match (cond, src) {
            (Cond::Set, _) => {
                let s = self.operand(src, ty);
                let m = self.b.ins().band(a, s);
                self.b.ins().icmp_imm_s(IntCC::NotEqual, m, 0)
            }
            (_, Operand::Imm(i)) if ty == types::I64 => {
                self.b.ins().icmp_imm_s(int_cc(cond), a, i64::from(i))
            }
            _ => {
                let s = self.operand(src, ty);
                self.b.ins().icmp(int_cc(cond), a, s)
            }
        };
        let target_pc = insn.target_index(pc);
        if target_pc.is_some_and(|t| self.if_convert(pc, t, taken)) {
            return;
        }
        self.flush_charges();
        let target = self.target(pc, insn);
        let next = self.edge_to(pc + 1);
        self.b.ins().brif(taken, target, &[], next, &[]);
    }
}
