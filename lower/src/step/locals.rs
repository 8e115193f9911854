//! The function's locals: `get_loc`, `put_loc`, `set_loc` and their short and checked forms
//! (a `let` read or assigned before its initialisation throws), `set_loc_uninitialized`, and
//! `inc_loc`, `dec_loc`, `add_loc`. A value read from a local remembers it, so that a
//! comparison of it can narrow the local on each branch.

use super::{Next, R, Step};
use crate::bytecode::Opcode;
use crate::emit::{Loc, R0, R1};
use crate::value::{Range, Val};
use oxbpf_core::isa::AluOp;

impl Step<'_, '_> {
    /// Local `l` of the function, as an index into the state's locals.
    fn local(&self, l: i64) -> R<u16> {
        let at = self.inst.local_base as i64 + l;
        if (0..i64::from(self.fi.f.var_count)).contains(&l) && at < self.st.locals.len() as i64 {
            Ok(at as u16)
        } else {
            Err(self.err("local index out of range"))
        }
    }

    /// A local was written: forget what stack values said about it.
    pub(crate) fn forget_local(&mut self, l: u16) {
        for v in &mut self.st.stack {
            match v {
                Val::Num { from, .. } if from.is_some_and(|f| f.0 == l) => *from = None,
                Val::Bool { test, .. } if test.is_some_and(|t| t.local == l) => *test = None,
                _ => {}
            }
        }
    }

    /// The opcodes of locals.
    pub(super) fn local_op(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        if op == O::GetLoc0Loc1 {
            for l in [0, 1] {
                self.get_local(self.local(l)?, false)?;
            }
            return Ok(self.fall());
        }
        let l = self.local(self.ins.int().unwrap_or(-1))?;
        match op {
            op if op.gets_local() => {
                if !self.get_local(l, op == O::GetLocCheck)? {
                    return Ok(self.fail());
                }
            }
            op if op.puts_local() || op.sets_local() => {
                let v = self.top()?;
                if op == O::PutLocCheck && self.st.locals[usize::from(l)] == Val::Uninit {
                    // Assignment before `let` initialised it: a ReferenceError.
                    return Ok(self.fail());
                }
                let i = self.depth() - 1;
                if v.runtime() {
                    self.load(R0, i, v);
                    self.emit(|a| a.store(Loc::Local(l), R0));
                }
                self.forget_local(l);
                self.st.locals[usize::from(l)] = match v {
                    Val::Num { r, drift, .. } => Val::drifting(r, drift),
                    Val::Bool { r, .. } => Val::boolean(r),
                    other => other,
                };
                // `set_loc` keeps the value on the stack.
                if !op.sets_local() {
                    self.st.stack.pop();
                }
            }
            O::SetLocUninitialized => {
                self.forget_local(l);
                self.st.locals[usize::from(l)] = Val::Uninit;
            }
            O::IncLoc | O::DecLoc | O::AddLoc => {
                let cur = self.st.locals[usize::from(l)];
                let Some(a) = cur.range() else {
                    return Err(self.err(format!("arithmetic on {}", cur.describe())));
                };
                self.emit(|s| s.load(R0, Loc::Local(l)));
                let b = match op {
                    O::IncLoc => {
                        self.emit(|s| s.alu_k(AluOp::Add, R0, 1));
                        Range::constant(1)
                    }
                    O::DecLoc => {
                        self.emit(|s| s.alu_k(AluOp::Sub, R0, 1));
                        Range::constant(-1)
                    }
                    _ => {
                        let b = self.pop_num(R1, "the addend")?;
                        self.emit(|s| s.alu(AluOp::Add, R0, R1));
                        b
                    }
                };
                let r = a.add(b);
                if !r.exact() {
                    return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
                }
                self.emit(|s| s.store(Loc::Local(l), R0));
                self.forget_local(l);
                self.st.locals[usize::from(l)] = Val::drifting(r, cur.drift().map(|d| d.add(b)));
            }
            _ => return Err(self.outside()),
        }
        Ok(self.fall())
    }

    /// Pushes local `l`; `false` when reading it throws (a `let` before its initialisation).
    fn get_local(&mut self, l: u16, checked: bool) -> R<bool> {
        let v = self.st.locals[usize::from(l)];
        if v == Val::Mixed {
            return Err(self.err(format!(
                "local {l} read where paths reach it with different kinds of value"
            )));
        }
        if v == Val::Uninit {
            if checked {
                return Ok(false);
            }
            return Err(self.err("read of an uninitialised local"));
        }
        let v = match v {
            Val::Num { r, drift, .. } => Val::Num {
                r,
                from: Some((l, 0)),
                drift,
            },
            other => other,
        };
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            self.emit(|a| a.load(R0, Loc::Local(l)));
            self.push_reg(v, R0);
        } else {
            self.push(v)?;
        }
        Ok(true)
    }
}
