//! Indexed elements: `b[i]` reads and writes of module buffers (`get_array_el`,
//! `put_array_el`) with indices proven inside, the elements of `[lo, hi]` arrays (through
//! [`calls`](crate::calls)), and `to_propkey` of a numeric index.

use super::{Next, R, Step};
use crate::emit::{R0, R1, R2};
use crate::module::ModVar;
use crate::value::{Range, Val};
use oxbpf_core::isa::{AluOp, Reg, Size};

impl Step<'_, '_> {
    /// The module buffer of module variable `k`: its offset in the globals and length.
    pub(crate) fn buf(&self, k: u16) -> R<(u32, u32)> {
        match self.fi.vars.get(usize::from(k)) {
            Some(ModVar::Buf { off, len }) => Ok((*off, *len)),
            _ => Err(self.internal("not a buffer")),
        }
    }

    /// `to_propkey`, `to_propkey2`: a number stays as it is.
    pub(super) fn property_key(&mut self) -> R<Next> {
        match self.top().ok() {
            Some(v) if v.runtime() => Ok(self.fall()),
            _ => Err(self.err("a property key that is not a number")),
        }
    }

    /// The index of a buffer access in `reg`, proven inside `len`.
    fn buf_index(&mut self, reg: Reg, len: u32) -> R<()> {
        let r = self.pop_num(reg, "the index")?;
        if !r.within(Range::new(0, i128::from(len) - 1)) {
            return Err(self.err(format!("the index may be outside the {len}-byte buffer")));
        }
        Ok(())
    }

    /// `get_array_el`: `b[i]` of a buffer, or an element of a `[lo, hi]` array.
    pub(super) fn get_array_el(&mut self) -> R<Next> {
        let idx = self.pop()?;
        let obj = self.pop()?;
        if let Val::Pair(p) = obj {
            return self.pair_get(p, idx);
        }
        let Val::Buf(k) = obj else {
            return Err(self.err(format!("indexing {}", obj.describe())));
        };
        self.st.stack.push(obj);
        self.st.stack.push(idx);
        let (off, len) = self.buf(k)?;
        self.buf_index(R0, len)?;
        self.st.stack.pop();
        let g = self.env.globals;
        self.emit(|a| {
            a.map_value(R1, g, off);
            a.alu(AluOp::Add, R1, R0);
            a.ldx(Size::B, R0, R1, 0);
        });
        self.push_reg(Val::num(Range::new(0, 255)), R0);
        Ok(self.fall())
    }

    /// `put_array_el`: `b[i] = v` of a buffer (ToUint8 of a number, 0 for `undefined`), or of
    /// an element of a `[lo, hi]` array.
    pub(super) fn put_array_el(&mut self) -> R<Next> {
        let v = self.pop()?;
        let i = self.depth();
        self.need(2)?;
        if let [.., Val::Pair(p), idx] = self.st.stack[..] {
            self.st.stack.truncate(i - 2);
            return self.pair_put(p, idx, v, i);
        }
        match v {
            Val::Num { r, .. } | Val::Bool { r, .. } => {
                self.require_exact(r)?;
                self.load(R2, i, v);
            }
            // ToNumber(undefined) is NaN, stored as 0.
            Val::Undef => self.emit(|a| a.mov_const(R2, 0)),
            _ => return Err(self.err(format!("storing {} in a Uint8Array", v.describe()))),
        }
        let idx = self.pop()?;
        let obj = self.pop()?;
        let Val::Buf(k) = obj else {
            return Err(self.err(format!("indexing {}", obj.describe())));
        };
        self.st.stack.push(idx);
        let (off, len) = self.buf(k)?;
        self.buf_index(R0, len)?;
        let g = self.env.globals;
        self.emit(|a| {
            a.map_value(R1, g, off);
            a.alu(AluOp::Add, R1, R0);
            a.stx(Size::B, R1, 0, R2);
        });
        Ok(self.fall())
    }
}
