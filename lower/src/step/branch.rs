//! Control flow within a function: `if_true`/`if_false` on a value's truth (decided without
//! code where its range settles it; a comparison of a local narrows the local on each side),
//! and `goto`.

use super::{Next, R, Step};
use crate::bytecode::Operand;
use crate::emit::{Loc, R0};
use crate::value::{Range, Val};
use oxbpf_core::isa::Cond;

impl Step<'_, '_> {
    /// `if_true`/`if_false` (`when`: which truth jumps) on the value on top.
    pub(super) fn if_op(&mut self, when: bool) -> R<Next> {
        let target = match self.ins.operand {
            Operand::Label(t) => t,
            _ => return Err(self.err("branch without a target")),
        };
        let v = self.pop()?;
        self.branch(v, when, target)
    }

    /// `goto`.
    pub(super) fn goto(&mut self) -> R<Next> {
        match self.ins.operand {
            Operand::Label(t) => {
                self.emit(|a| a.jump_to(t));
                Ok(Next {
                    fall: None,
                    jump: Some((t, self.st.clone())),
                    goto: None,
                })
            }
            _ => Err(self.err("jump without a target")),
        }
    }

    /// Conditional branches on `v`: to `target` when its truth is `when`.
    pub(super) fn branch(&mut self, v: Val, when: bool, target: u32) -> R<Next> {
        let (r, test) = match v {
            Val::Num { r, .. } => (r, None),
            Val::Bool { r, test } => (r, test),
            Val::Undef | Val::Null => (Range::constant(0), None),
            Val::Buf(_) | Val::Ctx | Val::Maps | Val::Map(_) => (Range::constant(1), None),
            _ => return Err(self.err(format!("branch on {}", v.describe()))),
        };
        let truth = if r.lo > 0 || r.hi < 0 {
            Some(true)
        } else if r.as_const() == Some(0) {
            Some(false)
        } else {
            None
        };
        let mut taken = self.st.clone();
        let mut fall = self.st.clone();
        if let Some((l, op, k)) = test {
            let (t_op, f_op) = if when {
                (op, op.negate())
            } else {
                (op.negate(), op)
            };
            for (s, o) in [(&mut taken, t_op), (&mut fall, f_op)] {
                if let Val::Num { r, from } = s.locals[usize::from(l)] {
                    s.locals[usize::from(l)] = Val::Num {
                        r: r.narrow(o, k),
                        from,
                    };
                }
            }
        }
        match truth {
            Some(t) if t == when => {
                self.emit(|a| a.jump_to(target));
                Ok(Next {
                    fall: None,
                    jump: Some((target, taken)),
                    goto: None,
                })
            }
            Some(_) => Ok(Next {
                fall: Some(fall),
                jump: None,
                goto: None,
            }),
            None => {
                let i = self.depth();
                self.emit(|a| {
                    a.load(R0, Loc::depth(i));
                    let l = a.label_of(target);
                    a.jump_k(if when { Cond::Ne } else { Cond::Eq }, R0, 0, l);
                });
                Ok(Next {
                    fall: Some(fall),
                    jump: Some((target, taken)),
                    goto: None,
                })
            }
        }
    }
}
