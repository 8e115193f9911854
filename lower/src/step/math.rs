//! `Math` on integers: `min`, `max`, `abs`, `sign`, `imul`, and `floor`, `ceil`, `round`,
//! `trunc` (which leave an integer as it is), each with JavaScript's result and its range.
//! Anything else of `Math` (its constants, functions of non-integers) is refused.

use super::{Next, R, Step};
use crate::emit::{R0, R1, alu64, sext32};
use crate::value::{MathFn, Range, Val};
use oxbpf_core::Insn;
use oxbpf_core::isa::{self, AluOp, Cond};

impl Step<'_, '_> {
    /// A call of `f` with `args`, the call's values from stack slot `base` on.
    pub(super) fn math_call(&mut self, base: usize, f: MathFn, args: &[Val]) -> R<Next> {
        let mut ranges = Vec::with_capacity(args.len());
        for v in args {
            let Some(r) = v.range() else {
                return Err(self.err(format!("a Math function of {}", v.describe())));
            };
            self.require_exact(r)?;
            ranges.push(r);
        }
        let at = |k: usize| base + 2 + k;
        let one = |this: &Self| -> R<Range> {
            match ranges.first() {
                Some(&r) => Ok(r),
                // `Math.abs()` and the like: NaN.
                None => Err(this.err("a Math function without its argument (NaN)")),
            }
        };
        let r = match f {
            MathFn::Min | MathFn::Max => {
                let Some(&first) = ranges.first() else {
                    return Err(self.err("`Math.min()`/`Math.max()` without arguments (±Infinity)"));
                };
                self.load(R0, at(0), args[0]);
                let mut r = first;
                for (k, (&b, &v)) in ranges.iter().zip(args).enumerate().skip(1) {
                    self.load(R1, at(k), v);
                    // Keep r0 where it is already the smaller (larger) one.
                    let keep = if f == MathFn::Min {
                        Cond::Sle
                    } else {
                        Cond::Sge
                    };
                    self.emit(|s| {
                        let done = s.label();
                        s.jump_x(keep, R0, R1, done);
                        s.mov(R0, R1);
                        s.bind(done);
                    });
                    r = if f == MathFn::Min {
                        Range::new(r.lo.min(b.lo), r.hi.min(b.hi))
                    } else {
                        Range::new(r.lo.max(b.lo), r.hi.max(b.hi))
                    };
                }
                r
            }
            MathFn::Abs => {
                let a = one(self)?;
                self.load(R0, at(0), args[0]);
                self.emit(|s| {
                    let done = s.label();
                    s.jump_k(Cond::Sge, R0, 0, done);
                    s.insn(Insn::Neg {
                        width: isa::Width::W64,
                        dst: R0,
                    });
                    s.bind(done);
                });
                if a.lo >= 0 {
                    a
                } else if a.hi <= 0 {
                    Range::new(-a.hi, -a.lo)
                } else {
                    Range::new(0, a.hi.max(-a.lo))
                }
            }
            MathFn::Sign => {
                let a = one(self)?;
                self.load(R0, at(0), args[0]);
                self.emit(|s| {
                    let (not_positive, done) = (s.label(), s.label());
                    s.mov_const(R1, 0);
                    s.jump_k(Cond::Sle, R0, 0, not_positive);
                    s.mov_const(R1, 1);
                    s.ja(done);
                    s.bind(not_positive);
                    s.jump_k(Cond::Eq, R0, 0, done);
                    s.mov_const(R1, -1);
                    s.bind(done);
                    s.mov(R0, R1);
                });
                Range::new(a.lo.signum(), a.hi.signum())
            }
            MathFn::Imul => {
                let (Some(_), Some(_)) = (ranges.first(), ranges.get(1)) else {
                    return Err(self.err("`Math.imul` without its two arguments (0 from NaN)"));
                };
                // The low 32 bits of the product are those of the operands' ToInt32s'.
                self.load(R0, at(0), args[0]);
                self.load(R1, at(1), args[1]);
                let [lsh, arsh] = sext32(R0);
                self.emit_all(&[alu64(AluOp::Mul, R0, isa::Operand::Reg(R1)), lsh, arsh]);
                Range::INT32
            }
            MathFn::Integer => {
                let a = one(self)?;
                self.load(R0, at(0), args[0]);
                a
            }
        };
        Ok(self.finish_call(base, Val::num(r), R0))
    }
}
