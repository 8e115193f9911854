//! Arithmetic and bitwise operators on integers: `neg`, `plus`, `inc`, `dec`, `not`, `lnot`,
//! `post_inc`, `post_dec`; `add`, `sub`, `mul` while every result stays within ±2^53 (where
//! doubles are exact), `mod` by a divisor proven not 0, and `and`, `or`, `xor`, `shl`, `sar`, `shr` on ToInt32/ToUint32 of
//! their operands, with the result's range.

use super::{Next, R, Step};
use crate::bytecode::Opcode;
use crate::emit::{Loc, R0, R1, alu64, sext32};
use crate::value::{Range, Val};
use oxbpf_core::Insn;
use oxbpf_core::isa::{self, AluOp, Cond};

impl Step<'_, '_> {
    /// A unary operator on the value on top.
    pub(super) fn unary(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        let v = self.pop()?;
        let i = self.depth();
        let Some(a) = v.range() else {
            return Err(self.err(format!("`{op}` of {}", v.describe())));
        };
        self.require_exact(a)?;
        if let O::PostInc | O::PostDec = op {
            // Old value stays, new value on top.
            let old = match v {
                Val::Num { .. } => v,
                _ => Val::num(a),
            };
            self.st.stack.push(old);
            if let Some(c) = a.as_const() {
                self.emit(|s| s.store_const(Loc::depth(i), c));
            }
            self.load(R0, i, v);
            let (r, alu) = if op == O::PostInc {
                (a.add(Range::constant(1)), AluOp::Add)
            } else {
                (a.sub(Range::constant(1)), AluOp::Sub)
            };
            if !r.exact() {
                return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
            }
            self.emit(|s| s.alu_k(alu, R0, 1));
            let drift = v.drift().map(|d| match op {
                O::PostInc => d.add(Range::constant(1)),
                _ => d.sub(Range::constant(1)),
            });
            self.push_reg(Val::drifting(r, drift), R0);
            return Ok(self.fall());
        }
        self.load(R0, i, v);
        let [lsh, arsh] = sext32(R0);
        let (r, insns): (Range, &[Insn]) = match op {
            O::Neg => (
                Range::new(-a.hi, -a.lo),
                &[Insn::Neg {
                    width: isa::Width::W64,
                    dst: R0,
                }],
            ),
            O::Plus => (a, &[]),
            O::Inc => (
                a.add(Range::constant(1)),
                &[alu64(AluOp::Add, R0, isa::Operand::Imm(1))],
            ),
            O::Dec => (
                a.sub(Range::constant(1)),
                &[alu64(AluOp::Sub, R0, isa::Operand::Imm(1))],
            ),
            O::Not => {
                let b = a.int32();
                (
                    Range::new(-b.hi - 1, -b.lo - 1),
                    &[alu64(AluOp::Xor, R0, isa::Operand::Imm(-1)), lsh, arsh],
                )
            }
            O::Lnot => {
                let r = match (a.lo > 0 || a.hi < 0, a.as_const() == Some(0)) {
                    (true, _) => Range::constant(0),
                    (_, true) => Range::constant(1),
                    _ => Range::BOOL,
                };
                self.emit(|s| {
                    let nonzero = s.label();
                    s.alu_k(AluOp::Mov, R1, 0);
                    s.jump_k(Cond::Ne, R0, 0, nonzero);
                    s.alu_k(AluOp::Mov, R1, 1);
                    s.bind(nonzero);
                    s.mov(R0, R1);
                });
                self.push_reg(Val::boolean(r), R0);
                return Ok(self.fall());
            }
            _ => return Err(self.outside()),
        };
        if !r.exact() {
            return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
        }
        self.emit_all(insns);
        let drift = v.drift().and_then(|d| match op {
            O::Plus => Some(d),
            O::Inc => Some(d.add(Range::constant(1))),
            O::Dec => Some(d.sub(Range::constant(1))),
            _ => None,
        });
        self.push_reg(Val::drifting(r, drift), R0);
        Ok(self.fall())
    }

    /// A binary operator on the two values on top (the right operand on top).
    pub(super) fn binary(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        let vb = self.top()?;
        let b = self.pop_num(R1, "the right operand")?;
        let va = self.top()?;
        let a = self.pop_num(R0, "the left operand")?;
        let shift = |r: Range| r.as_const().map(|c| (c & 31) as u32);
        let x1 = isa::Operand::Reg(R1);
        let [lsh, arsh] = sext32(R0);
        let mask = alu64(AluOp::And, R1, isa::Operand::Imm(31));
        let (r, insns): (Range, Vec<Insn>) = match op {
            O::Add => (a.add(b), vec![alu64(AluOp::Add, R0, x1)]),
            O::Sub => (a.sub(b), vec![alu64(AluOp::Sub, R0, x1)]),
            O::Mul => (a.mul(b), vec![alu64(AluOp::Mul, R0, x1)]),
            // Of integers, JavaScript's `%` truncates as eBPF's signed modulo does: the result
            // takes the dividend's sign and is smaller than the divisor in magnitude. (A
            // negative dividend that divides evenly gives -0, which nothing here tells from 0.)
            O::Mod => {
                if b.lo <= 0 && b.hi >= 0 {
                    return Err(self.err("`%` by a number that may be 0 (the result would be NaN)"));
                }
                let m = b.lo.abs().max(b.hi.abs()) - 1;
                let r = Range::new(
                    if a.lo < 0 { -m.min(-a.lo) } else { 0 },
                    if a.hi > 0 { m.min(a.hi) } else { 0 },
                );
                (r, vec![alu64(AluOp::SMod, R0, x1)])
            }
            O::And | O::Or | O::Xor => {
                let (x, y) = (a.int32(), b.int32());
                let r = match op {
                    O::And if x.lo >= 0 || y.lo >= 0 => Range::new(
                        0,
                        if x.lo >= 0 && y.lo >= 0 {
                            x.hi.min(y.hi)
                        } else if x.lo >= 0 {
                            x.hi
                        } else {
                            y.hi
                        },
                    ),
                    O::Or | O::Xor if x.lo >= 0 && y.lo >= 0 => {
                        let m = x.hi.max(y.hi);
                        Range::new(0, i128::from((m as u64 + 1).next_power_of_two() - 1))
                    }
                    _ => Range::INT32,
                };
                let alu = match op {
                    O::And => AluOp::And,
                    O::Or => AluOp::Or,
                    _ => AluOp::Xor,
                };
                (r, vec![alu64(alu, R0, x1), lsh, arsh])
            }
            O::Shl => {
                let x = a.int32();
                let r = match shift(b) {
                    Some(s) if x.lo >= 0 && (x.hi << s) < (1 << 31) => {
                        Range::new(x.lo << s, x.hi << s)
                    }
                    _ => Range::INT32,
                };
                (r, vec![mask, alu64(AluOp::Lsh, R0, x1), lsh, arsh])
            }
            O::Sar => {
                let x = a.int32();
                let r = match shift(b) {
                    Some(s) => Range::new(x.lo >> s, x.hi >> s),
                    None => Range::new(x.lo.min(0), x.hi.max(0)),
                };
                (r, vec![lsh, arsh, mask, alu64(AluOp::Arsh, R0, x1)])
            }
            O::Shr => {
                let x = a.uint32();
                let r = match shift(b) {
                    Some(s) => Range::new(x.lo >> s, x.hi >> s),
                    None => Range::new(0, x.hi),
                };
                let mov32 = Insn::Alu {
                    width: isa::Width::W32,
                    op: AluOp::Mov,
                    dst: R0,
                    src: isa::Operand::Reg(R0),
                };
                (r, vec![mov32, mask, alu64(AluOp::Rsh, R0, x1)])
            }
            _ => return Err(self.outside()),
        };
        if !r.exact() {
            return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
        }
        self.emit_all(&insns);
        // A sum or difference keeps its operand's relation to a loop head's local, and to the
        // local it was read from when the other operand is a constant.
        let (da, db) = (va.drift(), vb.drift());
        let plus = |v: Val, k: Range, sign: i128| {
            v.from()
                .zip(k.as_const())
                .map(|((l, c), k)| (l, c + sign * i128::from(k)))
        };
        let (drift, from) = match op {
            O::Add => (
                da.map(|d| d.add(b)).or(db.map(|d| d.add(a))),
                plus(va, b, 1).or(plus(vb, a, 1)),
            ),
            O::Sub => (da.map(|d| d.sub(b)), plus(va, b, -1)),
            _ => (None, None),
        };
        self.push_reg(Val::Num { r, from, drift }, R0);
        Ok(self.fall())
    }
}
