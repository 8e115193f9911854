//! Tristate numbers: for each bit of a 64-bit value, known 0, known 1 or unknown.

/// A value whose bits are `value` where `mask` is 0 and unknown where `mask` is 1
/// (`value & mask == 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tnum {
    /// The known bits (0 where unknown).
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

impl Tnum {
    /// Every bit unknown.
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    /// A known constant.
    pub const fn constant(v: u64) -> Tnum {
        Tnum { value: v, mask: 0 }
    }

    /// The tightest tnum holding every value in `min..=max`.
    pub fn range(min: u64, max: u64) -> Tnum {
        let chi = min ^ max;
        let bits = 64 - chi.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = (1u64 << bits) - 1;
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Whether every bit is known.
    pub fn is_const(self) -> bool {
        self.mask == 0
    }

    /// Whether `v` is one of the values.
    pub fn contains(self, v: u64) -> bool {
        v & !self.mask == self.value
    }

    /// Whether every value of `other` is one of ours.
    pub fn includes(self, other: Tnum) -> bool {
        other.mask & !self.mask == 0 && (other.value & !self.mask) == self.value
    }

    /// The smallest value.
    pub fn min(self) -> u64 {
        self.value
    }

    /// The largest value.
    pub fn max(self) -> u64 {
        self.value | self.mask
    }

    /// The values that are in both (`None` if none is).
    pub fn intersect(self, other: Tnum) -> Option<Tnum> {
        let known_both = !self.mask & !other.mask;
        if (self.value ^ other.value) & known_both != 0 {
            return None;
        }
        let v = self.value | other.value;
        let mu = self.mask & other.mask;
        Some(Tnum {
            value: v & !mu,
            mask: mu,
        })
    }

    /// Sum.
    pub fn wrapping_add(self, o: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(o.mask);
        let sv = self.value.wrapping_add(o.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | o.mask;
        Tnum {
            value: sv & !mu,
            mask: mu,
        }
    }

    /// Difference.
    pub fn wrapping_sub(self, o: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(o.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(o.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | o.mask;
        Tnum {
            value: dv & !mu,
            mask: mu,
        }
    }

    /// Bitwise and.
    pub fn and(self, o: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = o.value | o.mask;
        let v = self.value & o.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or.
    pub fn or(self, o: Tnum) -> Tnum {
        let v = self.value | o.value;
        let mu = self.mask | o.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise exclusive or.
    pub fn xor(self, o: Tnum) -> Tnum {
        let v = self.value ^ o.value;
        let mu = self.mask | o.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// Product: exact for constants, otherwise the known trailing zero bits.
    pub fn wrapping_mul(self, o: Tnum) -> Tnum {
        if self.is_const() && o.is_const() {
            return Tnum::constant(self.value.wrapping_mul(o.value));
        }
        let zeros = self.trailing_known_zeros() + o.trailing_known_zeros();
        if zeros >= 64 {
            return Tnum::constant(0);
        }
        Tnum {
            value: 0,
            mask: u64::MAX << zeros,
        }
    }

    fn trailing_known_zeros(self) -> u32 {
        (self.value | self.mask).trailing_zeros()
    }

    /// Left shift by a constant (`< 64`).
    pub fn shl_by(self, n: u32) -> Tnum {
        Tnum {
            value: self.value << n,
            mask: self.mask << n,
        }
    }

    /// Logical right shift by a constant (`< 64`).
    pub fn shr_by(self, n: u32) -> Tnum {
        Tnum {
            value: self.value >> n,
            mask: self.mask >> n,
        }
    }

    /// Arithmetic right shift of the low `bits` (32 or 64) by a constant (`< bits`), the result
    /// zero-extended from `bits`.
    pub fn sar(self, n: u32, bits: u32) -> Tnum {
        if bits == 32 {
            let v = ((self.value as u32 as i32) >> n) as u32;
            let m = ((self.mask as u32 as i32) >> n) as u32;
            Tnum {
                value: u64::from(v),
                mask: u64::from(m),
            }
        } else {
            Tnum {
                value: ((self.value as i64) >> n) as u64,
                mask: ((self.mask as i64) >> n) as u64,
            }
        }
    }

    /// The low `bytes` bytes, zero-extended.
    pub fn truncate(self, bytes: u32) -> Tnum {
        if bytes >= 8 {
            return self;
        }
        let keep = (1u64 << (bytes * 8)) - 1;
        Tnum {
            value: self.value & keep,
            mask: self.mask & keep,
        }
    }

    /// The low `bytes` bytes sign-extended to 64 bits.
    pub fn sign_extend(self, bytes: u32) -> Tnum {
        if bytes >= 8 {
            return self;
        }
        let shift = 64 - bytes * 8;
        Tnum {
            value: (((self.value << shift) as i64) >> shift) as u64,
            mask: (((self.mask << shift) as i64) >> shift) as u64,
        }
    }

    /// Every value of either.
    pub fn union(self, o: Tnum) -> Tnum {
        let mu = self.mask | o.mask | (self.value ^ o.value);
        Tnum {
            value: self.value & !mu,
            mask: mu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tnum and one of its members.
    fn member() -> impl Strategy<Value = (Tnum, u64)> {
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(v, m, pick)| {
            let t = Tnum {
                value: v & !m,
                mask: m,
            };
            (t, t.value | (pick & m))
        })
    }

    proptest! {
        #[test]
        fn operations_contain_every_concrete_result((a, x) in member(), (b, y) in member(), n in 0u32..64) {
            prop_assert!(a.wrapping_add(b).contains(x.wrapping_add(y)));
            prop_assert!(a.wrapping_sub(b).contains(x.wrapping_sub(y)));
            prop_assert!(a.and(b).contains(x & y));
            prop_assert!(a.or(b).contains(x | y));
            prop_assert!(a.xor(b).contains(x ^ y));
            prop_assert!(a.wrapping_mul(b).contains(x.wrapping_mul(y)));
            prop_assert!(a.shl_by(n).contains(x << n));
            prop_assert!(a.shr_by(n).contains(x >> n));
            prop_assert!(a.sar(n, 64).contains(((x as i64) >> n) as u64));
            prop_assert!(a.sar(n % 32, 32).contains(u64::from(((x as u32 as i32) >> (n % 32)) as u32)));
            prop_assert!(a.union(b).contains(x) && a.union(b).contains(y));
            for bytes in [1, 2, 4] {
                prop_assert!(a.truncate(bytes).contains(x & ((1u64 << (bytes * 8)) - 1)));
                let shift = 64 - bytes * 8;
                prop_assert!(a.sign_extend(bytes).contains((((x << shift) as i64) >> shift) as u64));
            }
            if let Some(i) = a.intersect(b) {
                prop_assert_eq!(i.contains(x) && b.contains(x), i.contains(x));
            } else {
                prop_assert!(!b.contains(x));
            }
        }

        #[test]
        fn a_range_holds_its_bounds(lo in any::<u64>(), len in any::<u64>()) {
            let hi = lo.saturating_add(len % 1_000_000);
            let t = Tnum::range(lo, hi);
            prop_assert!(t.contains(lo) && t.contains(hi) && t.contains(lo + (hi - lo) / 2));
        }
    }
}
