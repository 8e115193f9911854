//! The operand stack: pushes, pops and loads of values (a run-time value's bits in its slot's
//! location, a constant's nowhere until loaded), and the opcodes that only move values
//! (`drop`, `dup`, `swap`, `rot3l`, ...).

use super::{Next, R, Step};
use crate::bytecode::Opcode;
use crate::emit::{Loc, R0, SCRATCH};
use crate::value::{Range, Val};
use oxbpf_core::isa::Reg;

impl Step<'_, '_> {
    /// Pops the value on top of this function's operand stack.
    pub(crate) fn pop(&mut self) -> R<Val> {
        let v = self.top()?;
        self.st.stack.pop();
        Ok(v)
    }

    /// The value on top of this function's operand stack (not its caller's).
    pub(crate) fn top(&self) -> R<Val> {
        self.need(1)?;
        Ok(self.st.stack[self.depth() - 1])
    }

    /// Fails unless this function's operand stack holds `n` values (its caller's do not count).
    pub(crate) fn need(&self, n: usize) -> R<()> {
        if self.depth() < self.inst.stack_base + n {
            return Err(self.err("operand stack underflow"));
        }
        Ok(())
    }

    /// The operand stack's depth, the callers' values included.
    pub(crate) fn depth(&self) -> usize {
        self.st.stack.len()
    }

    /// Pushes `v`; a run-time value's bits are in `reg` (ignored for the others).
    pub(crate) fn push_reg(&mut self, v: Val, reg: Reg) {
        let d = self.depth();
        if v.runtime() {
            if let Some(c) = v.range().and_then(Range::as_const) {
                self.emit(|a| a.store_const(Loc::depth(d), c));
            } else {
                self.emit(|a| a.store(Loc::depth(d), reg));
            }
        }
        self.st.stack.push(v);
    }

    /// Pushes a value whose bits are nowhere yet (a constant, or an object).
    pub(crate) fn push(&mut self, v: Val) -> R<()> {
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            return Err(self.internal("a run-time value without bits"));
        }
        self.push_reg(v, R0);
        Ok(())
    }

    /// Loads the value at stack position `i` (0 = bottom) into `reg`.
    pub(crate) fn load(&mut self, reg: Reg, i: usize, v: Val) {
        match v.range().and_then(Range::as_const) {
            Some(c) => self.emit(|a| a.mov_const(reg, c)),
            None => self.emit(|a| a.load(reg, Loc::depth(i))),
        }
    }

    /// Pops a number or boolean into `reg`, with its range.
    pub(super) fn pop_num(&mut self, reg: Reg, what: &str) -> R<Range> {
        let v = self.pop()?;
        let Some(r) = v.range() else {
            return Err(self.err(format!("{what} is {}, not a number", v.describe())));
        };
        self.require_exact(r)?;
        let i = self.depth();
        self.load(reg, i, v);
        Ok(r)
    }

    /// Refuses a value a double may hold rounded (a 64-bit field beyond 2^53): only
    /// comparisons with exact values see it the same way as QuickJS.
    pub(crate) fn require_exact(&self, r: Range) -> R<()> {
        if r.exact() {
            Ok(())
        } else {
            Err(self.err("a value that may reach 2^53, which a double rounds"))
        }
    }

    /// `drop`, `nip`, `dup`, `insert2`, `perm3`, `swap`, `rot3l` and the like.
    pub(super) fn stack_op(&mut self, op: Opcode) -> R<Next> {
        use Opcode as O;
        let (n, from): (usize, &[usize]) = match op {
            O::Drop => (1, &[]),
            O::Nip => (2, &[1]),
            O::Nip1 => (3, &[1, 2]),
            O::Dup => (1, &[0, 0]),
            O::Dup1 => (2, &[0, 0, 1]),
            O::Dup2 => (2, &[0, 1, 0, 1]),
            O::Dup3 => (3, &[0, 1, 2, 0, 1, 2]),
            O::Insert2 => (2, &[1, 0, 1]),
            O::Insert3 => (3, &[2, 0, 1, 2]),
            O::Insert4 => (4, &[3, 0, 1, 2, 3]),
            O::Perm3 => (3, &[1, 0, 2]),
            O::Perm4 => (4, &[2, 0, 1, 3]),
            O::Perm5 => (5, &[3, 0, 1, 2, 4]),
            O::Swap => (2, &[1, 0]),
            O::Swap2 => (4, &[2, 3, 0, 1]),
            O::Rot3l => (3, &[1, 2, 0]),
            O::Rot3r => (3, &[2, 0, 1]),
            O::Rot4l => (4, &[1, 2, 3, 0]),
            O::Rot5l => (5, &[1, 2, 3, 4, 0]),
            _ => return Err(self.outside()),
        };
        self.shuffle(n, from)
    }

    /// Moves stack values: the new stack's slot `i` takes the old slot `from[i]` of the top
    /// `n` (positions relative to the first of them).
    fn shuffle(&mut self, n: usize, from: &[usize]) -> R<Next> {
        self.need(n)?;
        let d = self.depth();
        let base = d - n;
        let old: Vec<Val> = self.st.stack[base..].to_vec();
        let mut new = Vec::with_capacity(from.len());
        let mut moves = Vec::new();
        for (i, &f) in from.iter().enumerate() {
            let v = old[f];
            if v.runtime() && f != i {
                moves.push((base + f, base + i, v));
            }
            new.push(v);
        }
        if moves.len() > 5 {
            return Err(self.internal("too many stack moves"));
        }
        self.emit(|a| {
            for (&(src, _, _), r) in moves.iter().zip(SCRATCH) {
                a.load(r, Loc::depth(src));
            }
            for (&(_, dst, _), r) in moves.iter().zip(SCRATCH) {
                a.store(Loc::depth(dst), r);
            }
        });
        self.st.stack.truncate(base);
        self.st.stack.extend(new);
        Ok(self.fall())
    }
}
