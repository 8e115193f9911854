//! Calls of the module's other functions, inlined: each call site runs its own instance of the
//! callee (see [`Inst`]), its arguments in the caller's operand-stack slots, and its `return`
//! goes back to the caller's next instruction with the result where the function was.

use super::emit::{Loc, R0};
use super::module::{Cont, Inst};
use super::step::{Next, R, Step};
use super::value::{Range, Val};

impl Step<'_, '_> {
    /// Argument `k`: `ctx` for the entry function, else the caller's value (or `undefined`).
    pub(super) fn get_arg(&mut self, k: i64) -> R<Next> {
        let Some(base) = self.inst.arg_base else {
            self.push(if k == 0 { Val::Ctx } else { Val::Undef })?;
            return Ok(self.fall());
        };
        if !(0..i64::from(self.fi.f.arg_count)).contains(&k) {
            return Err(self.err("argument index out of range"));
        }
        let at = base + k as usize;
        let v = *self
            .st
            .stack
            .get(at)
            .ok_or_else(|| self.internal("an argument outside the stack"))?;
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            self.emit(|a| a.load(R0, Loc::depth(at)));
            self.push_reg(v, R0);
        } else {
            self.push(v)?;
        }
        Ok(self.fall())
    }

    /// Assigns argument `k` the value on top (`pop`: and drops it).
    pub(super) fn put_arg(&mut self, k: i64, pop: bool) -> R<Next> {
        let (Some(base), true) = (
            self.inst.arg_base,
            (0..i64::from(self.fi.f.arg_count)).contains(&k),
        ) else {
            return Err(self.err("assignment to an argument of the entry function"));
        };
        let at = base + k as usize;
        let v = self.top()?;
        if v.runtime() {
            let i = self.depth() - 1;
            self.load(R0, i, v);
            self.emit(|a| a.store(Loc::depth(at), R0));
        }
        let e = self.internal("an argument outside the stack");
        *self.st.stack.get_mut(at).ok_or(e)? = v;
        if pop {
            self.st.stack.pop();
        }
        Ok(self.fall())
    }

    /// A call of a module function with `argc` arguments, inlined (`tail`: its result is also
    /// this function's).
    pub(super) fn call(&mut self, argc: i64, tail: bool) -> R<Next> {
        if !(0..=255).contains(&argc) {
            return Err(self.err("call with a bad argument count"));
        }
        self.need(argc as usize + 1)?;
        let base = self.depth() - argc as usize - 1;
        let func = self.st.stack[base];
        let k = match func {
            Val::Func(k) => usize::from(k),
            // Not a function: a TypeError.
            Val::Undef | Val::Null | Val::Num { .. } | Val::Bool { .. } => return Ok(self.fail()),
            _ => return Err(self.err(format!("call of {}", func.describe()))),
        };
        let callee = &self.env.funcs[k];
        let params = callee.f.arg_count as usize;
        while self.depth() < base + 1 + params {
            self.st.stack.push(Val::Undef);
        }
        let cont = if tail {
            self.inst.cont
        } else {
            Cont::To {
                inst: self.n,
                idx: self.idx + 1,
                depth: base,
                locals: self.st.locals.len(),
                pairs: self.st.pairs.len(),
            }
        };
        let new = Inst {
            func: k,
            parent: None,
            local_base: self.st.locals.len(),
            pair_base: self.st.pairs.len(),
            arg_base: Some(base + 1),
            stack_base: self.depth(),
            cont,
            depth: self.inst.depth + 1,
        };
        let m = self
            .env
            .callee(self.n, self.ins.pc, new)
            .map_err(|r| self.err(r))?;
        if self.env.inst(m)
            != (Inst {
                parent: Some((self.n, self.ins.pc)),
                ..new
            })
        {
            return Err(self.internal("a call reached with another frame"));
        }
        let first = callee.f.code.first().map_or(0, |i| i.pc);
        self.st
            .locals
            .extend(std::iter::repeat_n(Val::Undef, callee.f.var_count as usize));
        self.st.pairs.extend(std::iter::repeat_n(
            [Val::Undef; 2],
            callee.pair_sites.len(),
        ));
        self.emit(|a| a.goto(m, first));
        Ok(Next {
            fall: None,
            jump: None,
            goto: Some((m, 0, self.st.clone())),
        })
    }

    /// `return v`: the program's result (ToInt32 of a number, else 0), or an inlined function's,
    /// back at its caller.
    pub(super) fn ret(&mut self, v: Val) -> R<Next> {
        let Cont::To {
            inst,
            idx,
            depth,
            locals,
            pairs,
        } = self.inst.cont
        else {
            let i = self.depth();
            match v {
                Val::Num { r, .. } => match self.require_exact(r).map(|()| r.as_const())? {
                    Some(c) => self.emit(|a| a.ret_const(c as u32)),
                    None => self.emit(|a| {
                        a.load(R0, Loc::depth(i));
                        a.ret_reg0();
                    }),
                },
                // ToInt32 applies to numbers only; anything else is 0.
                _ => self.emit(|a| a.ret_const(0)),
            }
            return Ok(Next {
                fall: None,
                jump: None,
                goto: None,
            });
        };
        if matches!(v, Val::Pair(p) if usize::from(p) >= pairs) {
            return Err(self.err("returns an array it made"));
        }
        let v = match v {
            Val::Num { r, .. } => Val::num(r),
            Val::Bool { r, .. } => Val::boolean(r),
            other => other,
        };
        let i = self.depth();
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            self.load(R0, i, v);
        }
        for l in locals..self.st.locals.len() {
            self.forget_local(l as u16);
        }
        self.st.stack.truncate(depth);
        self.st.locals.truncate(locals);
        self.st.pairs.truncate(pairs);
        self.push_reg(v, R0);
        let target = self.env.func_of(inst);
        let pc = target.f.code.get(idx).map(|x| x.pc);
        let Some(pc) = pc else {
            return Err(self.internal("a call at the end of the code"));
        };
        self.emit(|a| a.goto(inst, pc));
        Ok(Next {
            fall: None,
            jump: None,
            goto: Some((inst, idx, self.st.clone())),
        })
    }
}
