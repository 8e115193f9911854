//! `trace_printk(fmt, fmt_size, arg1, arg2, arg3)`: formats like Linux's `bpf_trace_printk` and
//! hands the line to the host's sink.
//!
//! Conversions: `%d %i %u %x %X` with an optional `l`, `ll` or `h`/`hh` length, `%p` (as
//! `0x…`), `%c`, `%s` (a string in program memory, at most 256 bytes) and `%%`; at most three
//! arguments. Anything else gives `-EINVAL` and no line, as in Linux.

use super::maps::read;
use super::{EINVAL, Env, neg};
use oxbpf_core::isa::Size;
use oxbpf_core::{HelperContext, HelperResult};

/// Longest `%s` argument copied.
const MAX_STR: u64 = 256;

pub(crate) fn trace_printk(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let size = a[1] as u32 as usize;
    if !hc
        .memory
        .contains(a[0], size as u64, oxbpf_core::Access::Read)
    {
        return Ok(neg(EINVAL));
    }
    let raw = read(hc, "fmt", a[0], size)?;
    let fmt = match raw.iter().position(|&b| b == 0) {
        Some(n) => &raw[..n],
        None => return Ok(neg(EINVAL)),
    };
    match format(hc, fmt, [a[2], a[3], a[4]]) {
        Some(line) => {
            let line = String::from_utf8_lossy(&line);
            let line = line.strip_suffix('\n').unwrap_or(&line);
            (env.host.trace)(line);
            Ok(line.len() as u64)
        }
        None => Ok(neg(EINVAL)),
    }
}

/// A NUL-terminated string at `addr`, cut at [`MAX_STR`] bytes or the first unreadable one.
fn string(hc: &HelperContext<'_, '_>, addr: u64) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..MAX_STR {
        match hc.memory.load(addr.wrapping_add(i), Size::B) {
            Ok(0) | Err(_) => break,
            Ok(b) => s.push(b as u8),
        }
    }
    s
}

/// The formatted line, or `None` for an invalid format.
fn format(hc: &HelperContext<'_, '_>, fmt: &[u8], args: [u64; 3]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut next = args.into_iter();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let mut longs = 0;
        let mut shorts = 0;
        loop {
            match fmt.get(i) {
                Some(b'l') => longs += 1,
                Some(b'h') => shorts += 1,
                _ => break,
            }
            i += 1;
        }
        let conv = *fmt.get(i)?;
        i += 1;
        if conv == b'%' && longs + shorts == 0 {
            out.push(b'%');
            continue;
        }
        if longs > 2 || shorts > 2 || (longs > 0 && shorts > 0) {
            return None;
        }
        let v = next.next()?;
        // Without `l`/`ll`, the argument is an `int` (32 bits); `h`/`hh` narrow further.
        let bits = match (longs, shorts) {
            (0, 0) => 32,
            (_, 1) => 16,
            (_, 2) => 8,
            _ => 64,
        };
        let unsigned = if bits == 64 {
            v
        } else {
            v & ((1u64 << bits) - 1)
        };
        let signed = ((unsigned << (64 - bits)) as i64) >> (64 - bits);
        let text = match conv {
            b'd' | b'i' => signed.to_string(),
            b'u' => unsigned.to_string(),
            b'x' => format!("{unsigned:x}"),
            b'X' => format!("{unsigned:X}"),
            b'p' if longs + shorts == 0 => format!("{v:#x}"),
            b'c' if longs + shorts == 0 => char::from(v as u8).to_string(),
            b's' if longs + shorts == 0 => {
                out.extend_from_slice(&string(hc, v));
                continue;
            }
            _ => return None,
        };
        out.extend_from_slice(text.as_bytes());
    }
    Some(out)
}
