//! Values the instruction itself gives: integers (`push_i32 n`, `push_2`, ...), constant-pool
//! numbers that are integers, booleans, `undefined` and `null`. (String literals are in
//! [`calls`](crate::calls), with the strings they make.)

use super::{Next, R, Step};
use crate::bytecode::Constant;
use crate::value::{Range, Val};

impl Step<'_, '_> {
    /// `push_i8/i16/i32 n`, `push_minus1`, `push_0` to `push_7`.
    pub(super) fn push_int(&mut self) -> R<Next> {
        let Some(c) = self.ins.int() else {
            return Err(self.outside());
        };
        self.push_value(Val::num(Range::constant(i128::from(c))))
    }

    /// `push_const(8) k`: constant `k` of the function, which must be an integer (a double
    /// without a fraction, and not -0, counts).
    pub(super) fn push_const(&mut self) -> R<Next> {
        let c = self
            .ins
            .int()
            .and_then(|i| self.fi.f.constants.get(i as usize));
        match c {
            Some(Constant::Int(v)) => self.push_value(Val::num(Range::constant(i128::from(*v)))),
            Some(Constant::Float(x))
                if x.fract() == 0.0
                    && x.abs() <= 9.0e15
                    && !(*x == 0.0 && x.is_sign_negative()) =>
            {
                self.push_value(Val::num(Range::constant(*x as i128)))
            }
            _ => Err(self.err("a constant that is not an integer")),
        }
    }

    /// `push_true`, `push_false`.
    pub(super) fn push_bool(&mut self, b: bool) -> R<Next> {
        self.push_value(Val::boolean(Range::constant(i128::from(b))))
    }

    /// Pushes `v`, a value whose bits are nowhere yet, and falls through.
    pub(super) fn push_value(&mut self, v: Val) -> R<Next> {
        self.push(v)?;
        Ok(self.fall())
    }
}
