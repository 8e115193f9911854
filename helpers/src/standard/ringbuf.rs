//! Ring-buffer helpers.

use super::maps::{map, read};
use super::{Env, arg_error, neg};
use crate::map::Map;
use oxbpf_core::{Access, HelperContext, HelperResult, HelperStop};
use std::sync::Arc;

/// `EAGAIN`: no room in the ring.
const EAGAIN: i64 = 11;

/// The ring buffer `handle` names (its map), or a helper error.
fn ring(env: &Env, hc: &HelperContext<'_, '_>, handle: u64) -> Result<Arc<Map>, HelperStop> {
    let m = map(env, hc, handle)?;
    match m.ringbuf() {
        Some(_) => Ok(m),
        None => Err(arg_error("map argument", "not a ring buffer")),
    }
}

/// `ringbuf_output(ringbuf, data, size, flags)`: 0 or `-EAGAIN`.
pub(crate) fn output(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = ring(env, hc, a[0])?;
    let size = a[2];
    if !hc.memory.contains(a[1], size, Access::Read) {
        return Err(arg_error(
            "data",
            format!("{size} bytes at {:#x} are not readable", a[1]),
        ));
    }
    let data = read(hc, "data", a[1], size as usize)?;
    let sent = m.ringbuf().is_some_and(|r| r.output(&data));
    Ok(if sent { 0 } else { neg(EAGAIN) })
}

/// `ringbuf_reserve(ringbuf, size, flags)`: a pointer to a new record, or 0.
pub(crate) fn reserve(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = ring(env, hc, a[0])?;
    if a[2] != 0 {
        return Ok(0);
    }
    match m.ringbuf().and_then(|r| r.reserve(a[1])) {
        Some(mem) => {
            hc.memory.add_shared(&mem, true);
            Ok(mem.addr())
        }
        None => Ok(0),
    }
}

fn commit(env: &Env, hc: &mut HelperContext<'_, '_>, addr: u64, discard: bool) -> HelperResult {
    let committed = env.maps.commit_record(addr, discard)
        || env
            .pins
            .maps_of(hc)
            .iter()
            .any(|m| m.ringbuf().is_some_and(|r| r.commit(addr, discard)));
    if !committed {
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
pub(crate) fn query(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = ring(env, hc, a[0])?;
    Ok(m.ringbuf().map_or(0, |r| r.query(a[1])))
}
