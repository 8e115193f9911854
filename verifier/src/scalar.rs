//! Scalars: unsigned and signed 64-bit intervals plus known bits, and the ALU operations on them.
//!
//! Every operation over-approximates: the result holds every value the instruction can produce
//! from any values of its operands. 32-bit operations work on the low halves and zero-extend,
//! as the ISA does.

use crate::tnum::Tnum;
use oxbpf_core::isa::{AluOp, ByteOrder, Width};
use std::fmt;

/// A set of 64-bit values: `umin..=umax` as unsigned, `smin..=smax` as signed, and the bits of
/// `bits`, all at once. `id` links registers known to hold the same value (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scalar {
    /// Smallest value, unsigned.
    pub umin: u64,
    /// Largest value, unsigned.
    pub umax: u64,
    /// Smallest value, signed.
    pub smin: i64,
    /// Largest value, signed.
    pub smax: i64,
    /// Known bits.
    pub bits: Tnum,
    /// Registers and stack slots with the same non-zero id hold the same value.
    pub id: u32,
}

impl Scalar {
    /// Any value.
    pub const UNKNOWN: Scalar = Scalar {
        umin: 0,
        umax: u64::MAX,
        smin: i64::MIN,
        smax: i64::MAX,
        bits: Tnum::UNKNOWN,
        id: 0,
    };

    /// Exactly `v`.
    pub fn constant(v: u64) -> Scalar {
        Scalar {
            umin: v,
            umax: v,
            smin: v as i64,
            smax: v as i64,
            bits: Tnum::constant(v),
            id: 0,
        }
    }

    /// Any value in `lo..=hi` (unsigned).
    pub fn urange(lo: u64, hi: u64) -> Scalar {
        Scalar {
            umin: lo,
            umax: hi,
            ..Scalar::UNKNOWN
        }
        .synced()
        .unwrap_or(Scalar::UNKNOWN)
    }

    /// Any value in `lo..=hi` (signed).
    pub fn srange(lo: i64, hi: i64) -> Scalar {
        Scalar {
            smin: lo,
            smax: hi,
            ..Scalar::UNKNOWN
        }
        .synced()
        .unwrap_or(Scalar::UNKNOWN)
    }

    /// Any value with these known bits.
    pub fn from_bits(bits: Tnum) -> Scalar {
        Scalar {
            bits,
            ..Scalar::UNKNOWN
        }
        .synced()
        .unwrap_or(Scalar::UNKNOWN)
    }

    /// Any value that `bytes` zero-extended bytes can hold.
    pub fn of_size(bytes: u32) -> Scalar {
        Scalar::from_bits(Tnum::UNKNOWN.truncate(bytes))
    }

    /// The value, if there is exactly one.
    pub fn as_const(&self) -> Option<u64> {
        (self.umin == self.umax).then_some(self.umin)
    }

    /// Whether `v` is one of the values.
    pub fn contains(&self, v: u64) -> bool {
        (self.umin..=self.umax).contains(&v)
            && (self.smin..=self.smax).contains(&(v as i64))
            && self.bits.contains(v)
    }

    /// Whether every value of `other` is one of ours (ids aside).
    pub fn includes(&self, other: &Scalar) -> bool {
        self.umin <= other.umin
            && other.umax <= self.umax
            && self.smin <= other.smin
            && other.smax <= self.smax
            && self.bits.includes(other.bits)
    }

    /// Every value of either (linked only if both are linked the same way).
    pub fn join(&self, o: &Scalar) -> Scalar {
        Scalar {
            umin: self.umin.min(o.umin),
            umax: self.umax.max(o.umax),
            smin: self.smin.min(o.smin),
            smax: self.smax.max(o.smax),
            bits: self.bits.union(o.bits),
            id: if self.id == o.id { self.id } else { 0 },
        }
    }

    /// `self` (a loop head's value on an earlier iteration) widened by `new` (its value one
    /// iteration later): each bound that moved goes to the next of the `thresholds` (sorted;
    /// the constants the program compares with, and their neighbours) or to its extreme, and
    /// of the known bits only those below the lowest bit that differs stay (an alignment the
    /// loop keeps).
    pub fn widen(&self, new: &Scalar, thresholds: &[i64]) -> Scalar {
        let mut bits = self.bits.union(new.bits);
        if bits.mask != 0 {
            let low = (1u64 << bits.mask.trailing_zeros()) - 1;
            bits = Tnum {
                value: bits.value & low,
                mask: !low,
            };
        }
        // Unsigned bounds use the non-negative thresholds.
        let up_u = |v: u64| {
            thresholds
                .iter()
                .find(|&&t| t >= 0 && t as u64 >= v)
                .map_or(u64::MAX, |&t| t as u64)
        };
        let down_u = |v: u64| {
            thresholds
                .iter()
                .rev()
                .find(|&&t| t >= 0 && t as u64 <= v)
                .map_or(0, |&t| t as u64)
        };
        let up_s = |v: i64| *thresholds.iter().find(|&&t| t >= v).unwrap_or(&i64::MAX);
        let down_s = |v: i64| {
            *thresholds
                .iter()
                .rev()
                .find(|&&t| t <= v)
                .unwrap_or(&i64::MIN)
        };
        let w = Scalar {
            umin: if new.umin < self.umin {
                down_u(new.umin)
            } else {
                self.umin
            },
            umax: if new.umax > self.umax {
                up_u(new.umax)
            } else {
                self.umax
            },
            smin: if new.smin < self.smin {
                down_s(new.smin)
            } else {
                self.smin
            },
            smax: if new.smax > self.smax {
                up_s(new.smax)
            } else {
                self.smax
            },
            bits,
            // Linked the same way in both: still linked (as in `join`); `State::within` checks
            // the next iteration keeps the link.
            id: if self.id == new.id { self.id } else { 0 },
        };
        w.synced().unwrap_or(Scalar::UNKNOWN)
    }

    /// The same values, without a link to other registers.
    pub fn unlinked(mut self) -> Scalar {
        self.id = 0;
        self
    }

    /// Tightens each view with the others; `None` when no value is left.
    pub fn synced(mut self) -> Option<Scalar> {
        for _ in 0..2 {
            self.umin = self.umin.max(self.bits.min());
            self.umax = self.umax.min(self.bits.max());
            // Unsigned bounds on one side of the sign bit are signed bounds too.
            if (self.umin as i64) <= (self.umax as i64) {
                self.smin = self.smin.max(self.umin as i64);
                self.smax = self.smax.min(self.umax as i64);
            }
            if (self.smin as u64) <= (self.smax as u64) {
                self.umin = self.umin.max(self.smin as u64);
                self.umax = self.umax.min(self.smax as u64);
            }
            if self.umin > self.umax || self.smin > self.smax {
                return None;
            }
            self.bits = self.bits.intersect(Tnum::range(self.umin, self.umax))?;
        }
        (self.umin <= self.umax && self.smin <= self.smax).then_some(self)
    }

    /// The low 32 bits, zero-extended.
    pub fn low32(&self) -> Scalar {
        let bits = self.bits.truncate(4);
        if self.umin >> 32 == self.umax >> 32 {
            Scalar::urange(self.umin & 0xffff_ffff, self.umax & 0xffff_ffff).with_bits(bits)
        } else {
            Scalar::from_bits(bits)
        }
    }

    /// The low 32 bits sign-extended to 64.
    pub fn sext32(&self) -> Scalar {
        let low = self.low32();
        if low.umax <= i32::MAX as u64 {
            low
        } else if low.umin > i32::MAX as u64 {
            Scalar::srange(
                i64::from(low.umin as u32 as i32),
                i64::from(low.umax as u32 as i32),
            )
            .with_bits(low.bits.sign_extend(4))
        } else {
            Scalar::from_bits(low.bits.sign_extend(4))
        }
    }

    fn with_bits(self, bits: Tnum) -> Scalar {
        match self.bits.intersect(bits) {
            Some(b) => Scalar { bits: b, ..self }.synced().unwrap_or(self),
            None => self,
        }
    }

    /// The result of `self op src` at `width` (`self` the destination's old value).
    pub fn alu(&self, op: AluOp, width: Width, src: &Scalar) -> Scalar {
        // Two numbers: the ISA's value, exactly.
        if let (Some(a), Some(b)) = (self.as_const(), src.as_const()) {
            return Scalar::constant(op.value(width, a, b));
        }
        match width {
            Width::W64 => alu64(op, self, src),
            Width::W32 => {
                let (a, b) = (self.low32(), src.low32());
                let r = match op {
                    AluOp::Lsh | AluOp::Rsh => shift(op, &a, &b, 32),
                    AluOp::Arsh => match b.as_const() {
                        Some(n) => Scalar::from_bits(a.bits.sar((n & 31) as u32, 32)),
                        None => Scalar::UNKNOWN,
                    },
                    AluOp::SDiv | AluOp::SMod => Scalar::UNKNOWN,
                    AluOp::MovSx8 | AluOp::MovSx16 => alu64(op, &a, &b),
                    _ => alu64(op, &a, &b),
                };
                r.low32()
            }
        }
    }

    /// `-self` at `width`.
    pub fn neg(&self, width: Width) -> Scalar {
        Scalar::constant(0).alu(AluOp::Sub, width, self)
    }

    /// The low `bytes` bytes, zero-extended (what a load of that width reads back of a store).
    pub fn truncate(&self, bytes: u32) -> Scalar {
        if let Some(v) = self.as_const() {
            let mask = if bytes >= 8 {
                u64::MAX
            } else {
                (1u64 << (bytes * 8)) - 1
            };
            return Scalar::constant(v & mask);
        }
        Scalar::from_bits(self.bits.truncate(bytes)).meet_or(*self, bytes)
    }

    /// The result of a byte-order instruction on the low `bits` (the ISA's value for a number;
    /// on this machine `le` or `be` only truncates, the other swaps).
    pub fn endian(&self, order: ByteOrder, bits: u8) -> Scalar {
        let bytes = u32::from(bits / 8);
        if let Some(v) = self.as_const() {
            return Scalar::constant(order.value(bits, v));
        }
        if order.swaps() {
            Scalar::of_size(bytes)
        } else {
            self.truncate(bytes)
        }
    }

    /// For a truncation to `bytes`: keeps our own bounds when they already fit.
    fn meet_or(self, original: Scalar, bytes: u32) -> Scalar {
        if bytes >= 8 || original.umax < 1u64 << (bytes * 8) {
            original.unlinked()
        } else {
            self
        }
    }

    /// The low `bytes` sign-extended to 64 bits.
    pub fn sign_extend(&self, bytes: u32) -> Scalar {
        let half = 1u64 << (bytes * 8 - 1);
        if self.umax < half {
            return self.unlinked();
        }
        let lo = -(half as i64);
        Scalar::srange(lo, half as i64 - 1).with_bits(self.bits.truncate(bytes).sign_extend(bytes))
    }
}

fn alu64(op: AluOp, a: &Scalar, b: &Scalar) -> Scalar {
    let r = match op {
        AluOp::Mov => return b.unlinked(),
        AluOp::MovSx8 => return b.sign_extend(1),
        AluOp::MovSx16 => return b.sign_extend(2),
        AluOp::MovSx32 => return b.sign_extend(4),
        AluOp::Add => {
            let bits = a.bits.wrapping_add(b.bits);
            let u = match (a.umin.checked_add(b.umin), a.umax.checked_add(b.umax)) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => (0, u64::MAX),
            };
            let s = match (a.smin.checked_add(b.smin), a.smax.checked_add(b.smax)) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => (i64::MIN, i64::MAX),
            };
            bounded(u, s, bits)
        }
        AluOp::Sub => {
            let bits = a.bits.wrapping_sub(b.bits);
            let u = if a.umin >= b.umax {
                (a.umin - b.umax, a.umax - b.umin)
            } else {
                (0, u64::MAX)
            };
            let s = match (a.smin.checked_sub(b.smax), a.smax.checked_sub(b.smin)) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => (i64::MIN, i64::MAX),
            };
            bounded(u, s, bits)
        }
        AluOp::Mul => {
            let bits = a.bits.wrapping_mul(b.bits);
            let u = match a.umax.checked_mul(b.umax) {
                Some(hi) => (a.umin * b.umin, hi),
                None => (0, u64::MAX),
            };
            bounded(u, (i64::MIN, i64::MAX), bits)
        }
        AluOp::Div => {
            if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
                return Scalar::constant(x.checked_div(y).unwrap_or(0));
            }
            // x / 0 = 0, and dividing by at least 1 never grows x.
            let (lo, hi) = match a.umax.checked_div(b.umin) {
                Some(hi) => (a.umin / b.umax, hi),
                None => (0, a.umax),
            };
            Scalar::urange(lo, hi)
        }
        AluOp::Mod => {
            if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
                return Scalar::constant(if y == 0 { x } else { x % y });
            }
            let hi = if b.umin > 0 {
                a.umax.min(b.umax - 1)
            } else {
                a.umax
            };
            Scalar::urange(0, hi)
        }
        AluOp::SDiv | AluOp::SMod => Scalar::UNKNOWN,
        AluOp::And => bounded(
            (0, a.umax.min(b.umax)),
            (i64::MIN, i64::MAX),
            a.bits.and(b.bits),
        ),
        AluOp::Or => bounded(
            (a.umin.max(b.umin), u64::MAX),
            (i64::MIN, i64::MAX),
            a.bits.or(b.bits),
        ),
        AluOp::Xor => Scalar::from_bits(a.bits.xor(b.bits)),
        AluOp::Lsh | AluOp::Rsh => shift(op, a, b, 64),
        AluOp::Arsh => match b.as_const() {
            Some(n) => {
                let n = (n & 63) as u32;
                bounded((0, u64::MAX), (a.smin >> n, a.smax >> n), a.bits.sar(n, 64))
            }
            None => Scalar::UNKNOWN,
        },
    };
    r.unlinked()
}

/// `Lsh`/`Rsh` at `bits` (32 or 64; the operands already the low halves for 32).
fn shift(op: AluOp, a: &Scalar, b: &Scalar, bits: u32) -> Scalar {
    let Some(n) = b.as_const() else {
        // A shift by one of a few amounts (`x << (ihl_or_ext ? 2 : 3)`): whatever each gives.
        if b.umax < u64::from(bits) {
            return (b.umin..=b.umax)
                .map(|n| shift(op, a, &Scalar::constant(n), bits))
                .reduce(|x, y| x.join(&y))
                .unwrap_or(Scalar::UNKNOWN);
        }
        return match op {
            AluOp::Rsh => Scalar::urange(0, a.umax),
            _ => Scalar::UNKNOWN,
        };
    };
    let n = (n & u64::from(bits - 1)) as u32;
    match op {
        AluOp::Rsh => bounded(
            (a.umin >> n, a.umax >> n),
            (i64::MIN, i64::MAX),
            a.bits.shr_by(n),
        ),
        _ if a.umax.leading_zeros() >= n => bounded(
            (a.umin << n, a.umax << n),
            (i64::MIN, i64::MAX),
            a.bits.shl_by(n),
        ),
        _ => Scalar::from_bits(a.bits.shl_by(n)),
    }
}

fn bounded(u: (u64, u64), s: (i64, i64), bits: Tnum) -> Scalar {
    Scalar {
        umin: u.0,
        umax: u.1,
        smin: s.0,
        smax: s.1,
        bits,
        id: 0,
    }
    .synced()
    .unwrap_or(Scalar::UNKNOWN)
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.as_const() {
            return write!(f, "{}", v as i64);
        }
        if *self == Scalar::UNKNOWN {
            return write!(f, "scalar");
        }
        write!(f, "scalar(")?;
        let mut parts = Vec::new();
        if self.umin != 0 || self.umax != u64::MAX {
            parts.push(format!("u{}..={}", self.umin, self.umax));
        }
        if (self.smin != i64::MIN || self.smax != i64::MAX)
            && (self.smin as u64, self.smax as u64) != (self.umin, self.umax)
        {
            parts.push(format!("s{}..={}", self.smin, self.smax));
        }
        if self.bits.mask != u64::MAX && self.bits != Tnum::range(self.umin, self.umax) {
            parts.push(format!("bits={:#x}/{:#x}", self.bits.value, self.bits.mask));
        }
        write!(f, "{})", parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::Scalar;
    use oxbpf_core::isa::{AluOp, Width};
    use proptest::prelude::*;

    proptest! {
        /// A shift by any amount of a small range holds every concrete result, at both widths.
        #[test]
        fn shifts_by_a_range_hold_every_result(
            lo in any::<u64>(), len in 0u64..100_000, x in any::<u64>(),
            s_lo in 0u64..40, s_len in 0u64..24, n in any::<u64>(),
        ) {
            let hi = lo.saturating_add(len);
            let a = Scalar::urange(lo, hi);
            let s = Scalar::urange(s_lo, s_lo + s_len);
            let x = lo + x % (hi - lo + 1);
            let n = s_lo + n % (s_len + 1);
            for width in [Width::W64, Width::W32] {
                for op in [AluOp::Lsh, AluOp::Rsh] {
                    let r = a.alu(op, width, &s);
                    prop_assert!(r.contains(op.value(width, x, n)), "{op:?} {width:?} {x} {n}: {r}");
                }
            }
        }
    }
}
