//! `ctx.readU8/readU16LE/readU32LE(off)`: a load from the context blob's data after a bounds
//! check against its length; an offset outside the data (QuickJS's RangeError) gives the
//! hook's default return, as on QuickJS.

use super::{Next, R, Step};
use crate::emit::{R_BLOB, R_LEN, R0, R1, sext32};
use crate::value::{Range, Read, Val};
use oxbpf_core::isa::{AluOp, Cond, Size};

impl Step<'_, '_> {
    /// The read `w` at offset `off` (the call's values from stack position `base`).
    pub(super) fn ctx_read(&mut self, base: usize, w: Read, off: Val) -> R<Next> {
        let Some(r) = off.range().filter(|_| matches!(off, Val::Num { .. })) else {
            // `typeof off !== "number"`: a TypeError.
            return Ok(self.fail());
        };
        self.require_exact(r)?;
        let h = self.env.header;
        let width = w.width();
        self.load(R0, base + 2, off);
        let r = if r.within(Range::INT32) {
            r
        } else {
            self.emit_all(&sext32(R0));
            Range::INT32
        };
        if r.hi < 0 {
            return Ok(self.fail());
        }
        self.emit(|a| {
            if r.lo < 0 {
                a.fail_if_k(Cond::Slt, R0, 0);
            }
            a.mov(R1, R0);
            a.alu_k(AluOp::Add, R1, i64::from(h) + width);
            a.fail_if_x(Cond::Gt, R1, R_LEN);
            a.mov(R1, R_BLOB);
            a.alu(AluOp::Add, R1, R0);
            let h = i64::from(h);
            match w {
                Read::U8 => a.ldx(Size::B, R0, R1, h),
                Read::U16 => {
                    a.ldx(Size::H, R0, R1, h);
                    a.le(16, R0);
                }
                Read::U32 => {
                    a.ldx(Size::W, R0, R1, h);
                    a.le(32, R0);
                }
            }
        });
        let range = match w {
            Read::U8 => Range::new(0, 255),
            Read::U16 => Range::new(0, 65535),
            Read::U32 => Range::UINT32,
        };
        Ok(self.finish_call(base, Val::num(range), R0))
    }
}
