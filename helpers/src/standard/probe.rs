//! `probe_read` and its `_user`/`_kernel`/`_str` variants: copies from anywhere the program may
//! read, bounds-checked, returning `-EFAULT` (and zeroing the destination) where Linux would.

use super::{EFAULT, Env, neg};
use oxbpf_core::isa::Size;
use oxbpf_core::{Access, HelperContext, HelperResult};

/// `probe_read(dst, size, src)`: 0, or `-EFAULT` with `dst` zeroed when `src` is not readable.
pub(crate) fn read(_: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (dst, size, src) = (a[0], u64::from(a[1] as u32), a[2]);
    if !hc.memory.contains(dst, size, Access::Write) {
        return Ok(neg(EFAULT));
    }
    // `dst` is a region of the run, so `size` is bounded by memory that exists.
    let mut buf = vec![0u8; size as usize];
    let r = match hc.memory.read(src, &mut buf) {
        Ok(()) => 0,
        Err(_) => {
            buf.fill(0);
            neg(EFAULT)
        }
    };
    let _ = hc.memory.write(dst, &buf);
    Ok(r)
}

/// `probe_read_str(dst, size, src)`: copies a NUL-terminated string of at most `size - 1` bytes
/// and a NUL, zeroing the rest of `dst`; returns the length copied with the NUL, or `-EFAULT`
/// with `dst` zeroed.
pub(crate) fn read_str(_: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (dst, size, src) = (a[0], u64::from(a[1] as u32), a[2]);
    if size == 0 {
        return Ok(0);
    }
    if !hc.memory.contains(dst, size, Access::Write) {
        return Ok(neg(EFAULT));
    }
    let mut buf = Vec::new();
    let mut fault = false;
    while (buf.len() as u64) < size - 1 {
        match hc.memory.load(src.wrapping_add(buf.len() as u64), Size::B) {
            Ok(0) => break,
            Ok(b) => buf.push(b as u8),
            Err(_) => {
                fault = true;
                break;
            }
        }
    }
    if fault {
        let _ = hc.memory.write(dst, &vec![0u8; size as usize]);
        return Ok(neg(EFAULT));
    }
    buf.push(0);
    let copied = buf.len() as u64;
    // The rest of `dst` is zeroed (Linux leaves it as it was): the verifier takes all of it as
    // written, and the program may read it.
    buf.resize(size as usize, 0);
    let _ = hc.memory.write(dst, &buf);
    Ok(copied)
}
