//! The value of each ALU operation and byte-order instruction, per width: the one definition
//! of what they compute, shared by the interpreter and the verifier's constant folding (the
//! compiled backends emit the same operations as Cranelift IR and are tested against it).
//! Conditions have theirs in [`Cond::holds`](super::Cond::holds).

use super::{AluOp, ByteOrder, Width};

impl AluOp {
    /// `a op b` at `width` (for 32 bits, on the low halves, zero-extended): division by zero
    /// gives 0, modulo by zero the dividend, signed overflow wraps, shift amounts are masked to
    /// the width, and sign-extending moves extend `b`'s low bits to the width.
    #[inline(always)]
    pub fn value(self, width: Width, a: u64, b: u64) -> u64 {
        match width {
            Width::W64 => self.value64(a, b),
            Width::W32 => u64::from(self.value32(a as u32, b as u32)),
        }
    }

    /// `a op b` on 64 bits.
    #[inline(always)]
    pub fn value64(self, a: u64, b: u64) -> u64 {
        match self {
            AluOp::Add => a.wrapping_add(b),
            AluOp::Sub => a.wrapping_sub(b),
            AluOp::Mul => a.wrapping_mul(b),
            AluOp::Div => a.checked_div(b).unwrap_or(0),
            AluOp::SDiv if b == 0 => 0,
            AluOp::SDiv => (a as i64).wrapping_div(b as i64) as u64,
            AluOp::Mod => a.checked_rem(b).unwrap_or(a),
            AluOp::SMod if b == 0 => a,
            AluOp::SMod => (a as i64).wrapping_rem(b as i64) as u64,
            AluOp::Or => a | b,
            AluOp::And => a & b,
            AluOp::Xor => a ^ b,
            AluOp::Lsh => a << (b & 63),
            AluOp::Rsh => a >> (b & 63),
            AluOp::Arsh => ((a as i64) >> (b & 63)) as u64,
            AluOp::Mov => b,
            AluOp::MovSx8 => i64::from(b as i8) as u64,
            AluOp::MovSx16 => i64::from(b as i16) as u64,
            AluOp::MovSx32 => i64::from(b as i32) as u64,
        }
    }

    /// `a op b` on 32 bits.
    #[inline(always)]
    pub fn value32(self, a: u32, b: u32) -> u32 {
        match self {
            AluOp::Add => a.wrapping_add(b),
            AluOp::Sub => a.wrapping_sub(b),
            AluOp::Mul => a.wrapping_mul(b),
            AluOp::Div => a.checked_div(b).unwrap_or(0),
            AluOp::SDiv if b == 0 => 0,
            AluOp::SDiv => (a as i32).wrapping_div(b as i32) as u32,
            AluOp::Mod => a.checked_rem(b).unwrap_or(a),
            AluOp::SMod if b == 0 => a,
            AluOp::SMod => (a as i32).wrapping_rem(b as i32) as u32,
            AluOp::Or => a | b,
            AluOp::And => a & b,
            AluOp::Xor => a ^ b,
            AluOp::Lsh => a << (b & 31),
            AluOp::Rsh => a >> (b & 31),
            AluOp::Arsh => ((a as i32) >> (b & 31)) as u32,
            AluOp::Mov | AluOp::MovSx32 => b,
            AluOp::MovSx8 => i32::from(b as i8) as u32,
            AluOp::MovSx16 => i32::from(b as i16) as u32,
        }
    }
}

impl ByteOrder {
    /// The instruction on the low `bits` (16, 32 or 64) of `v`, zero-extended: `le`/`be`
    /// convert from that byte order to this machine's (programs see memory in its order), so on
    /// a little-endian machine `le` only truncates and `be` swaps.
    #[inline(always)]
    pub fn value(self, bits: u8, v: u64) -> u64 {
        match (self.swaps(), bits) {
            (false, 16) => v & 0xffff,
            (false, 32) => v & 0xffff_ffff,
            (false, _) => v,
            (true, 16) => u64::from((v as u16).swap_bytes()),
            (true, 32) => u64::from((v as u32).swap_bytes()),
            (true, _) => v.swap_bytes(),
        }
    }

    /// Whether the instruction reverses the bytes on this machine (otherwise it only truncates).
    #[inline(always)]
    pub const fn swaps(self) -> bool {
        match self {
            ByteOrder::Le => cfg!(target_endian = "big"),
            ByteOrder::Be => cfg!(target_endian = "little"),
            ByteOrder::Swap => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_overflow_and_shifts() {
        assert_eq!(AluOp::Div.value(Width::W64, 7, 0), 0);
        assert_eq!(AluOp::Mod.value(Width::W64, 7, 0), 7);
        assert_eq!(
            AluOp::SDiv.value(Width::W64, i64::MIN as u64, -1i64 as u64),
            i64::MIN as u64
        );
        assert_eq!(
            AluOp::SMod.value(Width::W64, i64::MIN as u64, -1i64 as u64),
            0
        );
        assert_eq!(
            AluOp::SMod.value(Width::W32, -7i32 as u32 as u64, 2),
            (-1i32) as u32 as u64
        );
        assert_eq!(AluOp::Lsh.value(Width::W64, 1, 65), 2);
        assert_eq!(AluOp::Lsh.value(Width::W32, 1, 33), 2);
        assert_eq!(AluOp::Arsh.value(Width::W32, 0x8000_0000, 31), 0xffff_ffff);
        assert_eq!(AluOp::Add.value(Width::W32, u64::MAX, 1), 0);
        assert_eq!(
            AluOp::MovSx8.value(Width::W64, 0, 0x80),
            0xffff_ffff_ffff_ff80
        );
        assert_eq!(AluOp::MovSx8.value(Width::W32, 0, 0x80), 0xffff_ff80);
        assert_eq!(
            AluOp::MovSx32.value(Width::W64, 0, 0x8000_0000),
            0xffff_ffff_8000_0000
        );
    }

    #[test]
    fn byte_orders_follow_the_machine() {
        let v = 0x1122_3344_5566_7788u64;
        assert_eq!(ByteOrder::Swap.value(16, v), 0x8877);
        assert_eq!(ByteOrder::Swap.value(64, v), 0x8877_6655_4433_2211);
        let from_le = u64::from(u32::from_le(v as u32));
        assert_eq!(ByteOrder::Le.value(32, v), from_le);
        let from_be = u64::from(u16::from_be(v as u16));
        assert_eq!(ByteOrder::Be.value(16, v), from_be);
    }
}
