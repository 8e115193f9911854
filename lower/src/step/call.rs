//! Method calls (`call_method`, `tail_call_method`): the callee, found by `get_field2`,
//! decides what the call is: a `ctx` read, a map method, an `mbpf` helper or a string method.
//! Calls of module functions (`call`) are inlined, in [`inline`](crate::inline).

use super::{Next, R, Step};
use crate::emit::R0;
use crate::value::{MapOp, Range, Val};
use oxbpf_core::isa::Reg;
use oxbpf_helpers::standard;

impl Step<'_, '_> {
    /// `call_method argc`: the object, the method and `argc` arguments on the stack.
    pub(super) fn call_method(&mut self, argc: i64) -> R<Next> {
        if !(0..=8).contains(&argc) {
            return Err(self.err("call with a bad argument count"));
        }
        self.need(argc as usize + 2)?;
        let argc = argc as usize;
        let base = self.depth() - argc - 2;
        let func = self.st.stack[base + 1];
        let args: Vec<Val> = self.st.stack[base + 2..].to_vec();
        let arg = |i: usize| args.get(i).copied().unwrap_or(Val::Undef);
        match func {
            Val::CtxRead(w) => self.ctx_read(base, w, arg(0)),
            Val::MapFn(m, op @ (MapOp::Add | MapOp::Set | MapOp::Get)) => {
                self.counter_call(base, m, op, arg(0), arg(1))
            }
            Val::MapFn(m, MapOp::Submit) => self.ring_submit(base, m, arg(0)),
            Val::MapFn(_, MapOp::CpuId) => {
                let max = self.env.max_helpers;
                self.emit(|a| {
                    a.count_helper(max);
                    a.call(standard::GET_SMP_PROCESSOR_ID);
                });
                Ok(self.finish_call(base, Val::num(Range::UINT32), R0))
            }
            Val::MapFn(m, op) => self.map_call(base, m, op, arg(0), arg(1)),
            Val::MbpfFn(h) => self.helper_call(base, h, &args),
            Val::TextFn(f) => self.text_call(base, f, &args),
            Val::MathFn(f) => self.math_call(base, f, &args),
            // Not a function: a TypeError.
            Val::Undef | Val::Null | Val::Num { .. } | Val::Bool { .. } => Ok(self.fail()),
            _ => Err(self.err(format!("call of {}", func.describe()))),
        }
    }

    /// `tail_call_method argc`: the call, then `return` of its result.
    pub(super) fn tail_call_method(&mut self) -> R<Next> {
        let next = self.call_method(self.ins.int().unwrap_or(-1))?;
        let Some(st) = next.fall else {
            return Ok(next);
        };
        self.st = st;
        let v = self.pop()?;
        self.ret(v)
    }

    /// Drops the call's values and pushes its result (in `reg`).
    pub(crate) fn finish_call(&mut self, base: usize, result: Val, reg: Reg) -> Next {
        self.st.stack.truncate(base);
        self.push_reg(result, reg);
        self.fall()
    }
}
