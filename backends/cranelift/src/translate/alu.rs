//! ALU instructions: 64-bit operations on `i64`, 32-bit operations on `i32` zero-extended back.
//!
//! Division keeps the ISA's semantics without branches of its own: a zero divisor is replaced
//! by 1 and the result selected afterwards (`x / 0 = 0`, `x % 0 = x`), and a signed divisor of
//! -1 (whose `MIN / -1` would overflow) by a negation (`x s/ -1 = -x`, `x s% -1 = 0`). Shift
//! amounts need nothing: Cranelift masks them to the operand width, as the ISA does.
//!
//! A remainder written the way compilers without a `mod` write it, `div q, b; mul q, b` followed
//! by a subtraction, is computed with one remainder instead: `q * b = a - a % b` (for `b = 0`
//! too, where both sides are 0), so the division's remainder, which the machine's divide gives
//! anyway, replaces a multiplication on the loop's critical path; the subtraction that follows,
//! `a - (a - a % b)`, is then the remainder itself.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use oxbpf_core::Reg;
use oxbpf_core::isa::{AluOp, ByteOrder, Operand, Width};

/// The Cranelift type of an operation of `width`.
pub(super) fn width_type(width: Width) -> Type {
    match width {
        Width::W64 => types::I64,
        Width::W32 => types::I32,
    }
}

impl FnTranslator<'_, '_> {
    /// The operand at `width`: a register's low bits or the immediate, sign-extended to 64 bits
    /// for 64-bit operations.
    pub(super) fn operand(&mut self, src: Operand, ty: Type) -> Value {
        match src {
            Operand::Reg(r) => {
                let v = self.get(r);
                self.narrow(v, ty)
            }
            Operand::Imm(i) if ty == types::I64 => self.b.ins().iconst(ty, i64::from(i)),
            Operand::Imm(i) => self.b.ins().iconst(ty, i64::from(i as u32)),
        }
    }

    fn narrow(&mut self, v: Value, ty: Type) -> Value {
        if ty == types::I64 {
            v
        } else {
            self.b.ins().ireduce(ty, v)
        }
    }

    fn widen(&mut self, v: Value, ty: Type) -> Value {
        if ty == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// If the instruction at `pc` is an unsigned `div q, b` that the next instruction of the same
    /// block multiplies back (`mul q, b`, same width and divisor), computes both at once as
    /// `q = a - a % b`, marks the `mul` as done, and returns true.
    pub(super) fn fuse_div_mul(&mut self, pc: usize) -> bool {
        let insns = self.program.insns();
        let (Some(&div), Some(&mul)) = (insns.get(pc), insns.get(pc + 1)) else {
            return false;
        };
        let (
            oxbpf_core::Insn::Alu {
                width,
                op: AluOp::Div,
                dst,
                src,
            },
            oxbpf_core::Insn::Alu {
                width: width2,
                op: AluOp::Mul,
                dst: dst2,
                src: src2,
            },
        ) = (div, mul)
        else {
            return false;
        };
        let divisor_kept = match src {
            Operand::Reg(b) => b != dst,
            Operand::Imm(k) => k != 0,
        };
        if width != width2
            || dst != dst2
            || src != src2
            || !divisor_kept
            || pc + 1 >= self.end
            || self.program.is_block_start(pc + 1)
        {
            return false;
        }
        let ty = width_type(width);
        let (a, s, imm) = self.operands(ty, dst, src);
        let rem = self.divide(AluOp::Mod, ty, a, s, imm);
        let product = self.b.ins().isub(a, rem);
        let v = self.widen(product, ty);
        self.set(dst, v);
        self.fused = Some(pc + 1);
        true
    }

    /// The operands of a two-operand ALU instruction at type `ty`: `dst`'s value, the source's,
    /// and the source immediate if it is one.
    fn operands(&mut self, ty: Type, dst: Reg, src: Operand) -> (Value, Value, Option<i32>) {
        let a = self.get(dst);
        let a = self.narrow(a, ty);
        let imm = match src {
            Operand::Imm(i) => Some(i),
            Operand::Reg(_) => None,
        };
        (a, self.operand(src, ty), imm)
    }

    pub(super) fn alu(&mut self, width: Width, op: AluOp, dst: Reg, src: Operand) {
        let ty = width_type(width);
        let result = match op {
            AluOp::Mov => self.operand(src, ty),
            AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => {
                let narrow = match op {
                    AluOp::MovSx8 => types::I8,
                    AluOp::MovSx16 => types::I16,
                    _ => types::I32,
                };
                let v = self.operand(src, types::I64);
                let v = self.b.ins().ireduce(narrow, v);
                if narrow == ty {
                    v
                } else {
                    self.b.ins().sextend(ty, v)
                }
            }
            _ => {
                let (a, s, imm) = self.operands(ty, dst, src);
                self.binary(op, ty, a, s, imm)
            }
        };
        let v = self.widen(result, ty);
        self.set(dst, v);
    }

    /// `y` when `s` is `a - y`, so that `a - s` is `y` (exact in wrapping arithmetic): the
    /// remainder a fused `div`/`mul` leaves for the subtraction that follows it.
    fn difference_from(&self, a: Value, s: Value) -> Option<Value> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(dfg.resolve_aliases(s)).inst()?;
        if dfg.insts[inst].opcode() != cranelift_codegen::ir::Opcode::Isub {
            return None;
        }
        match *dfg.inst_args(inst) {
            [x, y] if dfg.resolve_aliases(x) == dfg.resolve_aliases(a) => Some(y),
            _ => None,
        }
    }

    fn binary(&mut self, op: AluOp, ty: Type, a: Value, s: Value, imm: Option<i32>) -> Value {
        if op == AluOp::Sub
            && let Some(y) = self.difference_from(a, s)
        {
            return y;
        }
        let ins = self.b.ins();
        match op {
            AluOp::Add => ins.iadd(a, s),
            AluOp::Sub => ins.isub(a, s),
            AluOp::Mul => ins.imul(a, s),
            AluOp::Or => ins.bor(a, s),
            AluOp::And => ins.band(a, s),
            AluOp::Xor => ins.bxor(a, s),
            AluOp::Lsh => ins.ishl(a, s),
            AluOp::Rsh => ins.ushr(a, s),
            AluOp::Arsh => ins.sshr(a, s),
            AluOp::Div | AluOp::Mod | AluOp::SDiv | AluOp::SMod => self.divide(op, ty, a, s, imm),
            // Handled by the caller.
            AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => s,
        }
    }

    fn divide(&mut self, op: AluOp, ty: Type, a: Value, s: Value, imm: Option<i32>) -> Value {
        let signed = matches!(op, AluOp::SDiv | AluOp::SMod);
        let is_div = matches!(op, AluOp::Div | AluOp::SDiv);
        match imm {
            // Constant divisors: the special cases are decided here.
            Some(0) => {
                if is_div {
                    self.b.ins().iconst(ty, 0)
                } else {
                    a
                }
            }
            Some(-1) if signed => {
                if is_div {
                    self.b.ins().ineg(a)
                } else {
                    self.b.ins().iconst(ty, 0)
                }
            }
            Some(_) => {
                let ins = self.b.ins();
                match op {
                    AluOp::Div => ins.udiv(a, s),
                    AluOp::Mod => ins.urem(a, s),
                    AluOp::SDiv => ins.sdiv(a, s),
                    _ => ins.srem(a, s),
                }
            }
            None => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, s, 0);
                let one = self.b.ins().iconst(ty, 1);
                if !signed {
                    let d = self.b.ins().select(zero, one, s);
                    let (q, fallback) = if is_div {
                        (self.b.ins().udiv(a, d), self.b.ins().iconst(ty, 0))
                    } else {
                        (self.b.ins().urem(a, d), a)
                    };
                    return self.b.ins().select(zero, fallback, q);
                }
                let minus1 = self.b.ins().icmp_imm_s(IntCC::Equal, s, -1);
                let special = self.b.ins().bor(zero, minus1);
                let d = self.b.ins().select(special, one, s);
                if is_div {
                    // a s/ 1 = a; then -a for -1 and 0 for 0.
                    let q = self.b.ins().sdiv(a, d);
                    let neg = self.b.ins().ineg(a);
                    let q = self.b.ins().select(minus1, neg, q);
                    let z = self.b.ins().iconst(ty, 0);
                    self.b.ins().select(zero, z, q)
                } else {
                    // a s% 1 = 0, right for -1; a for 0.
                    let r = self.b.ins().srem(a, d);
                    self.b.ins().select(zero, a, r)
                }
            }
        }
    }

    pub(super) fn neg(&mut self, width: Width, dst: Reg) {
        let v = self.get(dst);
        let v = match width {
            Width::W64 => self.b.ins().ineg(v),
            Width::W32 => {
                let n = self.b.ins().ireduce(types::I32, v);
                let n = self.b.ins().ineg(n);
                self.b.ins().uextend(types::I64, n)
            }
        };
        self.set(dst, v);
    }

    pub(super) fn endian(&mut self, order: ByteOrder, bits: u8, dst: Reg) {
        let ty = match bits {
            16 => types::I16,
            32 => types::I32,
            _ => types::I64,
        };
        let swap = match order {
            ByteOrder::Swap => true,
            ByteOrder::Le => self.opts.big_endian,
            ByteOrder::Be => !self.opts.big_endian,
        };
        let v = self.get(dst);
        let v = self.narrow(v, ty);
        let v = if swap { self.b.ins().bswap(v) } else { v };
        let v = self.widen(v, ty);
        self.set(dst, v);
    }
}
