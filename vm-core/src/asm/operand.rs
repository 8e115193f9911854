//! Operand parsers of the assembler: registers, immediates, memory operands, jump targets.

use super::AsmErrorKind;
use crate::isa::Reg;
use std::collections::HashMap;

/// `%rN` with `N` in `0..=10`.
pub(super) fn parse_reg(s: &str) -> Result<Reg, AsmErrorKind> {
    s.strip_prefix("%r")
        .filter(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u8>().ok())
        .and_then(Reg::new)
        .ok_or(AsmErrorKind::InvalidRegister)
}

/// Splits an optional sign from a number's text.
fn sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn hex_digits(s: &str) -> Option<&str> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    (!h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
}

fn dec_digits(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// A 32-bit immediate: hex (any text with `0x`) must fit in `u32` and is reinterpreted as `i32`;
/// decimal must fit in `i32`.
pub(super) fn parse_imm32(s: &str) -> Result<i32, AsmErrorKind> {
    let bad = || AsmErrorKind::InvalidImmediate(s.into());
    let (neg, body) = sign(s);
    if s.contains("0x") || s.contains("0X") {
        let v =
            u32::from_str_radix(hex_digits(body).ok_or_else(bad)?, 16).map_err(|_| bad())? as i32;
        Ok(if neg { v.wrapping_neg() } else { v })
    } else {
        let v = i64::from(
            dec_digits(body)
                .ok_or_else(bad)?
                .parse::<u32>()
                .map_err(|_| bad())?,
        );
        i32::try_from(if neg { -v } else { v }).map_err(|_| bad())
    }
}

/// A 64-bit immediate: hex must fit in `u64`, decimal in `i64`.
pub(super) fn parse_imm64(s: &str) -> Result<u64, AsmErrorKind> {
    let bad = || AsmErrorKind::InvalidImmediate(s.into());
    let (neg, body) = sign(s);
    let v = if s.contains("0x") || s.contains("0X") {
        u64::from_str_radix(hex_digits(body).ok_or_else(bad)?, 16).map_err(|_| bad())?
    } else {
        let v = i128::from(
            dec_digits(body)
                .ok_or_else(bad)?
                .parse::<u64>()
                .map_err(|_| bad())?,
        );
        let v = if neg { -v } else { v };
        return i64::try_from(v).map(|v| v as u64).map_err(|_| bad());
    };
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// A memory offset: signed decimal in `i16`, or hex up to `0xffff` reinterpreted as `i16`.
fn parse_off(s: &str, neg: bool, whole: &str) -> Result<i16, AsmErrorKind> {
    let bad = || AsmErrorKind::InvalidOffset(whole.into());
    if let Some(h) = hex_digits(s) {
        let v = u16::from_str_radix(h, 16).map_err(|_| bad())? as i16;
        Ok(if neg { v.wrapping_neg() } else { v })
    } else {
        let v = i32::from(
            dec_digits(s)
                .ok_or_else(bad)?
                .parse::<u16>()
                .map_err(|_| bad())?,
        );
        i16::try_from(if neg { -v } else { v }).map_err(|_| bad())
    }
}

/// `[%rN]`, `[%rN+off]` or `[%rN-off]`.
pub(super) fn parse_mem(s: &str) -> Result<(Reg, i16), AsmErrorKind> {
    let inner = s
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| AsmErrorKind::InvalidOffset(s.into()))?;
    match inner.find(['+', '-']) {
        None => Ok((parse_reg(inner)?, 0)),
        Some(i) => {
            let reg = parse_reg(&inner[..i])?;
            let off = parse_off(&inner[i + 1..], inner.as_bytes()[i] == b'-', s)?;
            Ok((reg, off))
        }
    }
}

/// A jump target for the instruction at `pc`: `+N`/`-N` relative to the next instruction, or a label.
/// Returns the offset from `pc + 1`.
pub(super) fn parse_target(
    s: &str,
    pc: usize,
    labels: &HashMap<&str, usize>,
) -> Result<i64, AsmErrorKind> {
    if s.starts_with(['+', '-']) {
        let (neg, body) = sign(s);
        let v = dec_digits(body)
            .and_then(|d| d.parse::<i64>().ok())
            .ok_or_else(|| AsmErrorKind::InvalidOffset(s.into()))?;
        return Ok(if neg { -v } else { v });
    }
    let target = labels
        .get(s)
        .ok_or_else(|| AsmErrorKind::UnknownLabel(s.into()))?;
    Ok(*target as i64 - (pc as i64 + 1))
}
