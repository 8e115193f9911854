//! Tracing output: `perf_event_output` into perf event arrays and `get_stackid` into stack
//! trace maps.

use super::maps::{map, read};
use super::{EINVAL, Env, PERF_MAPS, STACK_TRACE_MAPS, arg_error, neg};
use crate::map::stacks_valid_flags;
use oxbpf_core::{Access, HelperContext, HelperResult};

/// `BPF_F_INDEX_MASK`: the low 32 bits of `perf_event_output`'s flags, the index.
const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
/// `BPF_F_CURRENT_CPU`: the index of the CPU the program runs on.
const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;

/// `perf_event_output(ctx, map, flags, data, size)`: appends `size` bytes at `data` as one
/// record to the reader on index `flags & BPF_F_INDEX_MASK` (`BPF_F_CURRENT_CPU`: the current
/// CPU's). 0, or `-EINVAL` for flags above the index, `-E2BIG` for an index past the end,
/// `-ENOENT` for an index with no reader, `-ENOSPC` when the reader's buffer is full (the record
/// is counted lost), as Linux's.
pub(crate) fn perf_event_output(
    env: &Env,
    hc: &mut HelperContext<'_, '_>,
    a: [u64; 5],
) -> HelperResult {
    let m = map(env, hc, a[1])?;
    if !PERF_MAPS.contains(m.def().map_type as u32) {
        return Ok(neg(EINVAL));
    }
    let (flags, addr, size) = (a[2], a[3], a[4]);
    if !hc.memory.contains(addr, size, Access::Read) {
        return Err(arg_error(
            "data",
            format!("{size} bytes at {addr:#x} are not readable"),
        ));
    }
    if flags & !BPF_F_INDEX_MASK != 0 {
        return Ok(neg(EINVAL));
    }
    let index = match flags & BPF_F_INDEX_MASK {
        BPF_F_CURRENT_CPU => u64::from(crate::cpu::current()),
        i => i,
    };
    let data = read(hc, "data", addr, size as usize)?;
    Ok(m.perf_output(index, &data)
        .map_or_else(|e| e.to_reg(), |()| 0))
}

/// `get_stackid(ctx, map, flags)`: stores the host's current stack
/// ([`HostEnv::stack`](crate::HostEnv::stack)) in the stack trace map; its id, or `-EINVAL` for
/// unknown flags, `-EFAULT` for no stack (or no frame left after skipping), `-EEXIST` for a
/// bucket holding another stack, `-ENOMEM` for a full map.
pub(crate) fn get_stackid(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = map(env, hc, a[1])?;
    if !STACK_TRACE_MAPS.contains(m.def().map_type as u32) || !stacks_valid_flags(a[2]) {
        return Ok(neg(EINVAL));
    }
    let stack = (env.host.stack)();
    Ok(m.get_stackid(&stack, a[2])
        .map_or_else(|e| e.to_reg(), u64::from))
}
