//! Conditional jumps: which ways are possible, and what each way teaches about its operands
//! (scalar ranges, null checks, proven context and packet lengths).

use crate::error::VerifyError;
use crate::insn::same_region;
use crate::relate;
use crate::scalar::Scalar;
use crate::state::{CTX_LEN_ID, State};
use crate::types::{Ptr, PtrKind, Value};
use crate::verify::{Checker, Step};
use oxbpf_core::isa::{Cond, Operand, Reg, Width};

/// A condition or its negation (`jset`'s negation has no instruction of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Is(Cond),
    NotSet,
}

fn negate(c: Rel) -> Rel {
    use Cond::*;
    Rel::Is(match c {
        Rel::NotSet => return Rel::Is(Set),
        Rel::Is(Set) => return Rel::NotSet,
        Rel::Is(Eq) => Ne,
        Rel::Is(Ne) => Eq,
        Rel::Is(Gt) => Le,
        Rel::Is(Le) => Gt,
        Rel::Is(Ge) => Lt,
        Rel::Is(Lt) => Ge,
        Rel::Is(Sgt) => Sle,
        Rel::Is(Sle) => Sgt,
        Rel::Is(Sge) => Slt,
        Rel::Is(Slt) => Sge,
    })
}

fn is_signed(c: Rel) -> bool {
    matches!(c, Rel::Is(Cond::Sgt | Cond::Sge | Cond::Slt | Cond::Sle))
}

/// The operands narrowed by `a rel b` holding (64-bit), or `None` if it cannot hold.
fn narrow64(rel: Rel, a: Scalar, b: Scalar) -> Option<(Scalar, Scalar)> {
    let (mut a, mut b) = (a, b);
    match rel {
        Rel::Is(Cond::Eq) => {
            let m = Scalar {
                umin: a.umin.max(b.umin),
                umax: a.umax.min(b.umax),
                smin: a.smin.max(b.smin),
                smax: a.smax.min(b.smax),
                bits: a.bits.intersect(b.bits)?,
                id: 0,
            }
            .synced()?;
            a = Scalar { id: a.id, ..m };
            b = Scalar { id: b.id, ..m };
        }
        Rel::Is(Cond::Ne) => {
            if let (Some(x), Some(y)) = (a.as_const(), b.as_const())
                && x == y
            {
                return None;
            }
            if let Some(c) = b.as_const() {
                a = exclude(a, c)?;
            }
            if let Some(c) = a.as_const() {
                b = exclude(b, c)?;
            }
        }
        Rel::Is(Cond::Gt) => {
            a.umin = a.umin.max(b.umin.checked_add(1)?);
            b.umax = b.umax.min(a.umax.checked_sub(1)?);
        }
        Rel::Is(Cond::Ge) => {
            a.umin = a.umin.max(b.umin);
            b.umax = b.umax.min(a.umax);
        }
        Rel::Is(Cond::Lt) => {
            let (nb, na) = narrow64(Rel::Is(Cond::Gt), b, a)?;
            return Some((na, nb));
        }
        Rel::Is(Cond::Le) => {
            let (nb, na) = narrow64(Rel::Is(Cond::Ge), b, a)?;
            return Some((na, nb));
        }
        Rel::Is(Cond::Sgt) => {
            a.smin = a.smin.max(b.smin.checked_add(1)?);
            b.smax = b.smax.min(a.smax.checked_sub(1)?);
        }
        Rel::Is(Cond::Sge) => {
            a.smin = a.smin.max(b.smin);
            b.smax = b.smax.min(a.smax);
        }
        Rel::Is(Cond::Slt) => {
            let (nb, na) = narrow64(Rel::Is(Cond::Sgt), b, a)?;
            return Some((na, nb));
        }
        Rel::Is(Cond::Sle) => {
            let (nb, na) = narrow64(Rel::Is(Cond::Sge), b, a)?;
            return Some((na, nb));
        }
        Rel::Is(Cond::Set) => {
            if a.bits.max() & b.bits.max() == 0 {
                return None;
            }
        }
        Rel::NotSet => {
            if a.bits.value & b.bits.value != 0 {
                return None;
            }
            if let Some(c) = b.as_const() {
                a.bits.value &= !c;
                a.bits.mask &= !c;
            }
        }
    }
    Some((a.synced()?, b.synced()?))
}

/// `a` without the value `c` where that shrinks a bound.
fn exclude(mut a: Scalar, c: u64) -> Option<Scalar> {
    if a.umin == c {
        a.umin = a.umin.checked_add(1)?;
    }
    if a.umax == c {
        a.umax = a.umax.checked_sub(1)?;
    }
    if a.smin == c as i64 {
        a.smin = a.smin.checked_add(1)?;
    }
    if a.smax == c as i64 {
        a.smax = a.smax.checked_sub(1)?;
    }
    a.synced()
}

/// The operands narrowed by `a rel b` holding at `width`, or `None` if it cannot hold.
fn narrow(rel: Rel, width: Width, a: Scalar, b: Scalar) -> Option<(Scalar, Scalar)> {
    if width == Width::W64 {
        return narrow64(rel, a, b);
    }
    // A 32-bit comparison of values that are their own low halves (and non-negative as 32-bit
    // numbers, for signed comparisons) is the 64-bit comparison.
    let limit = if is_signed(rel) {
        i32::MAX as u64
    } else {
        u64::from(u32::MAX)
    };
    if a.umax <= limit && b.umax <= limit {
        return narrow64(rel, a, b);
    }
    let views = |s: &Scalar| {
        if is_signed(rel) {
            s.sext32()
        } else {
            s.low32()
        }
    };
    narrow64(rel, views(&a), views(&b)).map(|_| (a, b))
}

/// How far below its region's start a pointer may be moved before comparisons with it may
/// wrap around address 0 (no region lies this close to it).
const FAR: i64 = 1 << 16;

impl Checker<'_> {
    /// Whether `p` points at a byte of its own region, a stack frame, a map value or a ring
    /// record (not one past it, where another region may start), or, for a lookup or a
    /// reservation not checked yet, is null (0, which no stack address is).
    fn inside_own_region(&self, p: &Ptr) -> bool {
        let size = match p.kind {
            PtrKind::Stack { .. } => {
                return !p.nullable && p.off_min >= -self.frame_size && p.off_max < 0;
            }
            PtrKind::MapValue { map } => self.env.maps[map as usize].value_size,
            PtrKind::Record { size } => size,
            _ => return false,
        };
        p.off_min >= 0 && p.off_max < i64::from(size)
    }

    /// A conditional jump at `pc` to `target`.
    #[allow(clippy::too_many_arguments, reason = "the instruction's fields")]
    pub(crate) fn branch(
        &mut self,
        pc: usize,
        st: &mut State,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
        target: usize,
    ) -> Result<Step, VerifyError> {
        let a = self.read(pc, st, dst)?;
        let b = self.operand(pc, st, src)?;
        let src_reg = match src {
            Operand::Reg(r) => Some(r),
            Operand::Imm(_) => None,
        };
        let rel = Rel::Is(cond);
        let (taken, fall) = match (a, b) {
            (Value::Scalar(x), Value::Scalar(y)) => {
                let side = |rel: Rel, st: &State| {
                    narrow(rel, width, x, y).map(|(nx, ny)| {
                        let mut s = st.clone();
                        set_scalar(&mut s, dst, nx);
                        if let Some(r) = src_reg {
                            set_scalar(&mut s, r, ny);
                        }
                        if width == Width::W64 {
                            len_fact(&mut s, rel, (Some(dst), nx), (src_reg, ny));
                        }
                        s
                    })
                };
                (side(rel, st), side(negate(rel), st))
            }
            (Value::Ptr(p), Value::Scalar(z)) | (Value::Scalar(z), Value::Ptr(p))
                if z.as_const() == Some(0) && matches!(cond, Cond::Eq | Cond::Ne) =>
            {
                if width == Width::W32 {
                    return Err(self.error(
                        pc,
                        format!("32-bit comparison of {p:?} with 0", p = Value::Ptr(p)),
                    ));
                }
                let leaks = self.env.settings.allow_pointer_leaks;
                if p.off_min < -FAR && !leaks {
                    // `ctx - c == 0` says whether the context lies at `c`.
                    return Err(self.leak(pc, format!("comparing {} with 0", Value::Ptr(p))));
                }
                // A pointer into memory the host describes (the packet, the context moved far)
                // may be 0 at run time: both ways are walked, as the verifier may not skip code
                // a run reaches.
                let may_be_zero = p.off_min < -FAR
                    || matches!(
                        p.kind,
                        PtrKind::Packet | PtrKind::PacketEnd | PtrKind::PacketMeta
                    );
                let (is_null, not_null) = if p.nullable {
                    let mut null = st.clone();
                    null.refs.retain(|r| r.0 != p.id);
                    null.for_each_linked(p.id, |v| *v = Value::constant(0));
                    let mut some = st.clone();
                    some.for_each_linked(p.id, |v| {
                        if let Value::Ptr(q) = v {
                            q.nullable = false;
                        }
                    });
                    (Some(null), Some(some))
                } else if may_be_zero {
                    (Some(st.clone()), Some(st.clone()))
                } else {
                    (None, Some(st.clone()))
                };
                match cond {
                    Cond::Eq => (is_null, not_null),
                    _ => (not_null, is_null),
                }
            }
            // Whether two map handles are the same map (the inner map a lookup gave and one
            // the program names) says nothing of where either lies: both ways are walked.
            (Value::Ptr(x), Value::Ptr(y))
                if matches!(x.kind, PtrKind::Map { .. })
                    && matches!(y.kind, PtrKind::Map { .. })
                    && matches!(cond, Cond::Eq | Cond::Ne)
                    && width == Width::W64
                    && !x.nullable
                    && !y.nullable =>
            {
                (Some(st.clone()), Some(st.clone()))
            }
            // Two pointers inside two regions that do not overlap (a stack slot and a map
            // value, say, or the null a lookup may give) are never equal, wherever the regions
            // lie: `==` is false and `!=` true, which tells the program nothing of the host's
            // layout.
            (Value::Ptr(x), Value::Ptr(y))
                if matches!(cond, Cond::Eq | Cond::Ne)
                    && width == Width::W64
                    && !same_region(&x, &y)
                    // Frames may share memory (a callee's below what its caller uses), so one
                    // side is a stack pointer and the other not.
                    && (matches!(x.kind, PtrKind::Stack { .. })
                        != matches!(y.kind, PtrKind::Stack { .. }))
                    && self.inside_own_region(&x)
                    && self.inside_own_region(&y) =>
            {
                match cond {
                    Cond::Eq => (None, Some(st.clone())),
                    _ => (Some(st.clone()), None),
                }
            }
            (Value::Ptr(x), Value::Ptr(y)) => {
                if width == Width::W32 {
                    return Err(self.error(pc, "32-bit comparison of pointers".into()));
                }
                let leaks = self.env.settings.allow_pointer_leaks;
                if !same_region(&x, &y) && !leaks {
                    // Where two regions lie relative to each other is the host's business.
                    return Err(self.leak(pc, format!("comparing {a} with {b}")));
                }
                if (x.off_min < -FAR || y.off_min < -FAR) && !leaks {
                    // A pointer moved far below its region may wrap around address 0: the
                    // unsigned comparison would then tell where the region lies.
                    return Err(self.leak(
                        pc,
                        format!("comparing {a} with {b} (an offset may wrap around address 0)"),
                    ));
                }
                (
                    Some(end_check(st, rel, &x, &y)),
                    Some(end_check(st, negate(rel), &x, &y)),
                )
            }
            (x, y) => {
                if let Value::Ptr(p) = if x.is_ptr() { x } else { y }
                    && p.nullable
                {
                    return Err(self.error(
                        pc,
                        format!(
                            "{} may be null; compare it with 0 before anything else",
                            Value::Ptr(p)
                        ),
                    ));
                }
                if (x.is_ptr() || y.is_ptr()) && !self.env.settings.allow_pointer_leaks {
                    // Branching on a pointer against a number tells the program its address,
                    // a bit at a time.
                    return Err(self.leak(pc, format!("comparing {a} with the number {b}")));
                }
                (Some(st.clone()), Some(st.clone()))
            }
        };
        Ok(match (taken, fall) {
            (Some(t), Some(f)) => {
                *st = f;
                Step::Fork(target, Box::new(t))
            }
            (Some(t), None) => {
                *st = t;
                Step::Goto(target)
            }
            (None, Some(f)) => {
                *st = f;
                Step::Goto(pc + 1)
            }
            (None, None) => Step::Stop,
        })
    }
}

/// After `x rel y` (64-bit), where one side is the context's length: what that teaches about
/// the other (see `relate`).
fn len_fact(st: &mut State, rel: Rel, x: (Option<Reg>, Scalar), y: (Option<Reg>, Scalar)) {
    // (smaller side, larger side, whether strictly smaller)
    let (lo, hi, strict) = match rel {
        Rel::Is(Cond::Le) => (x, y, false),
        Rel::Is(Cond::Lt) => (x, y, true),
        Rel::Is(Cond::Ge) => (y, x, false),
        Rel::Is(Cond::Gt) => (y, x, true),
        _ => return,
    };
    // (Where the facts are the packet's, the context's length is fixed: no copy of it in r2.)
    if hi.1.id == CTX_LEN_ID && !st.facts_of_packet {
        relate::compared_with_len(st, lo.0, lo.1, strict);
    }
}

/// Sets register `r` to the narrowed `v`, and every value linked to it; a value linked to the
/// context length raises the proven length.
fn set_scalar(st: &mut State, r: Reg, v: Scalar) {
    if v.id == CTX_LEN_ID {
        st.ctx_min = st.ctx_min.max(v.umin);
    }
    if v.id != 0 {
        st.for_each_linked(v.id, |x| *x = Value::Scalar(v));
    }
    st.set_reg(r.idx(), Value::Scalar(v));
}

/// The state on the way where `x rel y` holds, for two pointers: a pointer into the context or
/// the packet compared with its end proves that many bytes present.
fn end_check(st: &State, rel: Rel, x: &Ptr, y: &Ptr) -> State {
    let mut s = st.clone();
    // (data pointer, end, whether `data < end` rather than `data <= end` holds)
    let found = match rel {
        Rel::Is(Cond::Le) => Some((x, y, false)),
        Rel::Is(Cond::Lt) => Some((x, y, true)),
        Rel::Is(Cond::Ge) => Some((y, x, false)),
        Rel::Is(Cond::Gt) => Some((y, x, true)),
        _ => None,
    };
    // `start + off < end` (or `<=`) proves `off + 1` (or `off`) bytes present for the smallest
    // offset the pointer may have; a negative one proves nothing.
    if let Some((data, end, strict)) = found
        && let Some(len) = data
            .off_min
            .checked_add(i64::from(strict))
            .filter(|&n| n > 0)
    {
        let len = len as u64;
        match (data.kind, end.kind) {
            (PtrKind::Ctx, PtrKind::CtxEnd) if end.fixed() == Some(0) => {
                s.ctx_min = s.ctx_min.max(len);
            }
            (PtrKind::Packet, PtrKind::PacketEnd) if end.fixed() == Some(0) => {
                s.pkt_min = s.pkt_min.max(len);
            }
            // The metadata ends where the packet data starts.
            (PtrKind::PacketMeta, PtrKind::Packet) if end.fixed() == Some(0) => {
                s.meta_min = s.meta_min.max(len);
            }
            _ => {}
        }
    }
    // `data + index + k < end` (or `<=`): the packet holds `index + k + 1` (or `k`) bytes, for
    // every pointer moved by that index (in a packet context the length facts are the
    // packet's: the context's length is fixed).
    if let Some((data, end, strict)) = found
        && data.kind == PtrKind::Packet
        && end.kind == PtrKind::PacketEnd
        && end.fixed() == Some(0)
        && data.var != 0
        && data.off_min >= 0
        && let Some(k) = data.var_off.checked_add(i64::from(strict))
    {
        s.add_len_fact(data.var, k);
    }
    s
}
