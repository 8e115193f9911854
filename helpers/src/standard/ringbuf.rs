//! Ring-buffer helpers.

use super::maps::{map, read};
use super::{Env, arg_error, neg};
use oxbpf_core::{Access, HelperContext, HelperResult};

/// `EAGAIN`: no room in the ring.
const EAGAIN: i64 = 11;

fn ring(env: &Env, handle: u64) -> Result<&crate::map::ringbuf::RingBuf, oxbpf_core::HelperStop> {
    map(env, handle)?
        .ringbuf()
        .ok_or_else(|| arg_error("map argument", "not a ring buffer"))
}

/// `ringbuf_output(ringbuf, data, size, flags)`: 0 or `-EAGAIN`.
pub(crate) fn output(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let r = ring(env, a[0])?;
    let size = a[2];
    if !hc.memory.contains(a[1], size, Access::Read) {
        return Err(arg_error(
            "data",
            format!("{size} bytes at {:#x} are not readable", a[1]),
        ));
    }
    let data = read(hc, "data", a[1], size as usize)?;
    Ok(if r.output(&data) { 0 } else { neg(EAGAIN) })
}

/// `ringbuf_reserve(ringbuf, size, flags)`: a pointer to a new record, or 0.
pub(crate) fn reserve(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let r = ring(env, a[0])?;
    if a[2] != 0 {
        return Ok(0);
    }
    match r.reserve(a[1]) {
        Some(mem) => {
            hc.memory.add_shared(&mem, true);
            Ok(mem.addr())
        }
        None => Ok(0),
    }
}

fn commit(env: &Env, hc: &mut HelperContext<'_, '_>, addr: u64, discard: bool) -> HelperResult {
    if !env.maps.commit_record(addr, discard) {
        return Err(arg_error(
            "record",
            format!("{addr:#x} is not a reserved ring-buffer record"),
        ));
    }
    hc.memory.remove_shared(addr);
    Ok(0)
}

/// `ringbuf_submit(data, flags)`.
pub(crate) fn submit(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    commit(env, hc, a[0], false)
}

/// `ringbuf_discard(data, flags)`.
pub(crate) fn discard(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    commit(env, hc, a[0], true)
}

/// `ringbuf_query(ringbuf, flags)`.
pub(crate) fn query(env: &Env, _: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    Ok(ring(env, a[0])?.query(a[1]))
}
