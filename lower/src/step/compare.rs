//! Comparisons: `lt`, `lte`, `gt`, `gte`, `strict_eq`, `strict_neq`, `eq`, `neq` (decided
//! without code where the ranges or the types settle them, else one conditional jump, fused
//! with an `if_true`/`if_false` right after), and the `undefined`/`null` tests. A comparison
//! of a local remembers it, so that the branch on its result narrows the local.

use super::{Next, R, Step};
use crate::bytecode::{Opcode, Operand};
use crate::emit::{R0, R1, R2};
use crate::value::{Cmp, Range, Test, Val};
use oxbpf_core::isa::{self, AluOp};

impl Step<'_, '_> {
    /// A comparison of the two values on top (the right operand on top).
    pub(super) fn compare(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        let (cmp, strict, loose) = match op {
            O::Lt => (Cmp::Lt, false, false),
            O::Lte => (Cmp::Le, false, false),
            O::Gt => (Cmp::Gt, false, false),
            O::Gte => (Cmp::Ge, false, false),
            O::StrictEq => (Cmp::Eq, true, false),
            O::StrictNeq => (Cmp::Ne, true, false),
            O::Eq => (Cmp::Eq, false, true),
            O::Neq => (Cmp::Ne, false, true),
            _ => return Err(self.outside()),
        };
        let vb = self.pop()?;
        let va = self.pop()?;
        let d = self.depth();
        // Values of different types: decided without running anything.
        let decided = match (va, vb) {
            (Val::Num { .. }, Val::Num { .. }) | (Val::Bool { .. }, Val::Bool { .. }) => None,
            (Val::Num { .. } | Val::Bool { .. }, Val::Num { .. } | Val::Bool { .. }) if strict => {
                Some(cmp == Cmp::Ne)
            }
            (Val::Num { .. } | Val::Bool { .. }, Val::Num { .. } | Val::Bool { .. }) => None,
            (Val::Undef | Val::Null, Val::Undef | Val::Null) if strict || loose => {
                Some((va == vb || loose) == (cmp == Cmp::Eq))
            }
            (Val::Undef | Val::Null, Val::Num { .. } | Val::Bool { .. })
            | (Val::Num { .. } | Val::Bool { .. }, Val::Undef | Val::Null)
                if strict || loose =>
            {
                Some(cmp == Cmp::Ne)
            }
            _ => {
                return Err(self.err(format!(
                    "comparison of {} and {}",
                    va.describe(),
                    vb.describe()
                )));
            }
        };
        let (ra, rb) = (va.range(), vb.range());
        // `local op x`, with the range of `x` (less what was added to the local): kept even where this visit decides it, as the
        // branch's states are joined over the visits.
        let test = match (va, vb, ra, rb) {
            (
                Val::Num {
                    from: Some((l, c)), ..
                },
                _,
                _,
                Some(rb),
            ) if decided.is_none() => Some(Test::new(l, cmp, rb.sub(Range::constant(c)))),
            (
                _,
                Val::Num {
                    from: Some((l, c)), ..
                },
                Some(ra),
                _,
            ) if decided.is_none() => Some(Test::new(l, cmp.swap(), ra.sub(Range::constant(c)))),
            _ => None,
        };
        let decided = decided.or_else(|| cmp.decide(ra?, rb?));
        if let Some(t) = decided {
            let r = Range::constant(i128::from(t));
            self.push(Val::Bool { r, test })?;
            return Ok(self.fall());
        }
        let (ra, rb) = (ra.unwrap_or(Range::BOOL), rb.unwrap_or(Range::BOOL));
        if !(ra.exact() || rb.exact()) {
            return Err(self.err("comparison of two numbers beyond ±2^53 (inexact as doubles)"));
        }
        self.load(R0, d, va);
        let b_imm = rb.as_const().and_then(|c| i32::try_from(c).ok());
        if b_imm.is_none() {
            self.load(R1, d + 1, vb);
        }
        let rhs = b_imm.map_or(isa::Operand::Reg(R1), isa::Operand::Imm);
        // A branch right after, on this result alone: one conditional jump.
        if let Some(next) = self.fuse_next
            && let (Some(when), Operand::Label(t)) = (
                match next.opcode {
                    O::IfFalse | O::IfFalse8 => Some(false),
                    O::IfTrue | O::IfTrue8 => Some(true),
                    _ => None,
                },
                &next.operand,
            )
            && self.code.is_some()
        {
            let j = if when { cmp } else { cmp.negate() };
            let t = *t;
            self.emit(|a| {
                let l = a.label_of(t);
                a.jump(j.cond(), R0, rhs, l);
            });
            self.fused = true;
            // The state after the branch instruction, as the analysis computed it.
            let v = Val::Bool {
                r: Range::BOOL,
                test,
            };
            return self.branch_states(v, when, t);
        }
        self.emit(|a| {
            let holds = a.label();
            a.alu_k(AluOp::Mov, R2, 1);
            a.jump(cmp.cond(), R0, rhs, holds);
            a.alu_k(AluOp::Mov, R2, 0);
            a.bind(holds);
        });
        self.push_reg(
            Val::Bool {
                r: Range::BOOL,
                test,
            },
            R2,
        );
        Ok(self.fall())
    }

    /// The successor states of a fused branch (no code).
    fn branch_states(&mut self, v: Val, when: bool, target: u32) -> R<Next> {
        let code = self.code.take();
        let r = self.branch(v, when, target);
        self.code = code;
        r
    }

    /// `is_undefined_or_null`, `is_undefined`, `is_null` of the value on top: known from its
    /// type.
    pub(super) fn nullish_test(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        let v = self.pop()?;
        let r = match (op, v) {
            (
                _,
                Val::Num { .. }
                | Val::Bool { .. }
                | Val::Buf(_)
                | Val::Ctx
                | Val::Maps
                | Val::Map(_)
                | Val::Mbpf
                | Val::Pair(_)
                | Val::Str(_)
                | Val::Func(_),
            ) => 0,
            (O::IsUndefined, Val::Undef) | (O::IsNull, Val::Null) => 1,
            (O::IsUndefinedOrNull, Val::Undef | Val::Null) => 1,
            (O::IsUndefined | O::IsNull, Val::Undef | Val::Null) => 0,
            _ => return Err(self.err(format!("test of {}", v.describe()))),
        };
        self.push_value(Val::boolean(Range::constant(r)))
    }
}
