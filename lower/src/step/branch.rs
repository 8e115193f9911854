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
        if let Some(t) = test {
            let (t_op, f_op) = if when {
                (t.op, t.op.negate())
            } else {
                (t.op.negate(), t.op)
            };
            // The taken side is where the value's truth is `when`.
            let (t_holds, f_holds) = (t.when[usize::from(when)], t.when[usize::from(!when)]);
            for (s, o, holds) in [(&mut taken, t_op, t_holds), (&mut fall, f_op, f_holds)] {
                if !holds {
                    continue;
                }
                if let Val::Num { r, from, drift } = s.locals[usize::from(t.local)] {
                    s.locals[usize::from(t.local)] = Val::Num {
                        r: r.narrow(o, t.k),
                        from,
                        drift,
                    };
                }
            }
        }
        // `a && b`, `a || b`: the value was duplicated before the branch, and its copy stays on
        // the stack on one side: there, its truth is known.
        let after_dup = self.idx > 0
            && !self.fi.targets.contains(&self.ins.pc)
            && self.fi.f.code[self.idx - 1].opcode == crate::bytecode::Opcode::Dup;
        if after_dup
            && let (Val::Bool { .. }, Some(Val::Bool { test, .. })) = (v, self.st.stack.last())
        {
            let test = *test;
            for (s, truth) in [(&mut taken, when), (&mut fall, !when)] {
                if let Some(top) = s.stack.last_mut() {
                    *top = Val::Bool {
                        r: Range::constant(i128::from(truth)),
                        test,
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
