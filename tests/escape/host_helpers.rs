//! The host helpers every VM of this suite has: their ids, what they do, their registration.

use crate::harness::AIM_DROP;
use oxbpf::{Arg, HelperContext, HelperResult, HelperStop, Proto, Vm};

/// `poke(dst, value)`, no prototype: stores the 8-byte `value` at `dst`.
pub(crate) const POKE: u32 = 1000;
/// `nudge(dst, delta, width)`, no prototype: adds `delta` to the `width`-byte number at `dst`.
pub(crate) const NUDGE: u32 = 1001;
/// `fill(dst, len, byte)`, no prototype: sets `len` bytes at `dst` to `byte`.
pub(crate) const FILL: u32 = 1002;
/// `aim(dst, len)`, prototype `MemOut, Size`: fills the buffer with the address `dst - AIM_DROP`.
pub(crate) const AIM: u32 = 1003;
/// `ident(x)`, prototype `Scalar`: returns `x`.
pub(crate) const IDENT: u32 = 1004;
/// `ident_any(x)`, prototype `Any`: returns `x`.
pub(crate) const IDENT_ANY: u32 = 1005;
/// `first_word(src, len)`, prototype `Mem, Size`: the first 8 bytes at `src`, as a number.
pub(crate) const FIRST_WORD: u32 = 1006;
/// `copy(dst, dst_len, src, src_len)`, prototype `MemOut, Size, Mem, Size`.
pub(crate) const COPY: u32 = 1007;
/// `count(dst, len)`, prototype `MemOut, Size`: fills the buffer with 1, 2, 3, ...
pub(crate) const COUNT: u32 = 1008;

fn fault(f: impl std::fmt::Display) -> HelperStop {
    HelperStop::Error(f.to_string())
}

fn read_mem(hc: &HelperContext<'_, '_>, addr: u64, len: u64) -> Result<Vec<u8>, HelperStop> {
    let mut buf = vec![0; len.min(4096) as usize];
    hc.memory.read(addr, &mut buf).map_err(fault)?;
    Ok(buf)
}

fn poke(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    hc.memory.write(a[0], &a[1].to_le_bytes()).map_err(fault)?;
    Ok(0)
}

fn nudge(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let width = a[2].clamp(1, 8) as usize;
    let mut bytes = [0u8; 8];
    hc.memory.read(a[0], &mut bytes[..width]).map_err(fault)?;
    let moved = u64::from_le_bytes(bytes).wrapping_add(a[1]).to_le_bytes();
    hc.memory.write(a[0], &moved[..width]).map_err(fault)?;
    Ok(0)
}

fn fill(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes = vec![a[2] as u8; a[1].min(4096) as usize];
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn aim(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let word = a[0].wrapping_sub(AIM_DROP).to_le_bytes();
    let bytes: Vec<u8> = (0..a[1].min(4096) as usize).map(|i| word[i % 8]).collect();
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn first_word(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let mut word = [0u8; 8];
    let bytes = read_mem(hc, a[0], a[1].min(8))?;
    word[..bytes.len()].copy_from_slice(&bytes);
    Ok(u64::from_le_bytes(word))
}

fn copy(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes = read_mem(hc, a[2], a[1].min(a[3]))?;
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn count(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes: Vec<u8> = (1..=a[1].min(4096)).map(|i| i as u8).collect();
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

pub(crate) fn register_host_helpers(vm: &mut Vm) {
    use Arg::{Any, Mem, MemOut, Size, Unused};
    let mem_out = Proto::scalar([MemOut, Size, Unused, Unused, Unused]);
    vm.register_helper(POKE, "poke", poke);
    vm.register_helper(NUDGE, "nudge", nudge);
    vm.register_helper(FILL, "fill", fill);
    vm.register_helper_with_proto(AIM, "aim", mem_out, aim);
    vm.register_helper_with_proto(IDENT, "ident", Proto::numbers(1), |_, a| Ok(a[0]));
    let any = Proto::scalar([Any, Unused, Unused, Unused, Unused]);
    vm.register_helper_with_proto(IDENT_ANY, "ident_any", any, |_, a| Ok(a[0]));
    let mem = Proto::scalar([Mem, Size, Unused, Unused, Unused]);
    vm.register_helper_with_proto(FIRST_WORD, "first_word", mem, first_word);
    let copy_proto = Proto::scalar([MemOut, Size, Mem, Size, Unused]);
    vm.register_helper_with_proto(COPY, "copy", copy_proto, copy);
    vm.register_helper_with_proto(COUNT, "count", mem_out, count);
}
