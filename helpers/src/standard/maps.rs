//! Map helpers: lookup, update, delete, push, pop, peek, and tail calls through prog arrays.

use super::{EINVAL, EPERM, Env, arg_error, neg};
use crate::map::{MAX_TAIL_CALLS, Map};
use oxbpf_core::{HelperContext, HelperResult, HelperStop};
use std::cell::Cell;
use std::sync::Arc;

/// The map `handle` names, or a helper error.
pub(crate) fn map(env: &Env, handle: u64) -> Result<&Arc<Map>, HelperStop> {
    env.maps
        .by_handle(handle)
        .ok_or_else(|| arg_error("map argument", format!("{handle:#x} is not a map")))
}

/// The map `handle` names, for a helper that changes it: `Ok(Err(-EPERM))` when it is read-only
/// to programs (the verifier refuses such calls; unverified programs get the error).
fn changeable(env: &Env, handle: u64) -> Result<Result<&Arc<Map>, u64>, HelperStop> {
    let m = map(env, handle)?;
    Ok(if m.def().read_only_to_programs() {
        Err(neg(EPERM))
    } else {
        Ok(m)
    })
}

/// `len` bytes of program memory at `addr`, or a helper error naming `what`.
pub(crate) fn read(
    hc: &HelperContext<'_, '_>,
    what: &str,
    addr: u64,
    len: usize,
) -> Result<Vec<u8>, HelperStop> {
    let mut buf = vec![0; len];
    hc.memory
        .read(addr, &mut buf)
        .map_err(|f| arg_error(what, f))?;
    Ok(buf)
}

/// Writes `data` to program memory at `addr`, or a helper error naming `what`.
pub(crate) fn write(
    hc: &HelperContext<'_, '_>,
    what: &str,
    addr: u64,
    data: &[u8],
) -> Result<(), HelperStop> {
    hc.memory.write(addr, data).map_err(|f| arg_error(what, f))
}

/// `map_lookup_elem(map, key)`: a pointer to the value, or 0.
pub(crate) fn lookup(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = map(env, a[0])?;
    let key = read(hc, "key", a[1], m.key_size())?;
    match m.lookup_addr(&key, crate::cpu::current()) {
        Some(addr) => {
            if let Some(r) = m.region() {
                hc.memory.add_shared(&r.memory, r.writable);
            }
            Ok(addr)
        }
        None => Ok(0),
    }
}

/// `map_update_elem(map, key, value, flags)`: 0 or `-errno`.
pub(crate) fn update(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = match changeable(env, a[0])? {
        Ok(m) => m,
        Err(e) => return Ok(e),
    };
    let key = read(hc, "key", a[1], m.key_size())?;
    let value = read(hc, "value", a[2], m.value_size())?;
    Ok(
        match m.update_as(&key, &value, a[3], Some(crate::cpu::current())) {
            Ok(()) => 0,
            Err(e) => e.to_reg(),
        },
    )
}

/// `map_delete_elem(map, key)`: 0 or `-errno`.
pub(crate) fn delete(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = match changeable(env, a[0])? {
        Ok(m) => m,
        Err(e) => return Ok(e),
    };
    let key = read(hc, "key", a[1], m.key_size())?;
    Ok(m.delete(&key).map_or_else(|e| e.to_reg(), |()| 0))
}

/// `map_push_elem(map, value, flags)`.
pub(crate) fn push(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = match changeable(env, a[0])? {
        Ok(m) => m,
        Err(e) => return Ok(e),
    };
    let value = read(hc, "value", a[1], m.value_size())?;
    Ok(m.push(&value, a[2]).map_or_else(|e| e.to_reg(), |()| 0))
}

fn take(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5], remove: bool) -> HelperResult {
    let m = if remove {
        match changeable(env, a[0])? {
            Ok(m) => m,
            Err(e) => return Ok(e),
        }
    } else {
        map(env, a[0])?
    };
    // The destination must be writable before anything is taken from the map.
    let size = m.value_size();
    if !hc
        .memory
        .contains(a[1], size as u64, oxbpf_core::Access::Write)
    {
        return Err(arg_error(
            "value",
            format!("{size} bytes at {:#x} are not writable", a[1]),
        ));
    }
    let r = if remove { m.pop() } else { m.peek() };
    match r {
        Ok(v) => {
            write(hc, "value", a[1], &v)?;
            Ok(0)
        }
        Err(e) => {
            // An empty map still fills the destination (with zeroes): the verifier takes it as
            // written, and the program may read it.
            write(hc, "value", a[1], &vec![0; size])?;
            Ok(e.to_reg())
        }
    }
}

/// `map_pop_elem(map, value)`.
pub(crate) fn pop(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    take(env, hc, a, true)
}

/// `map_peek_elem(map, value)`.
pub(crate) fn peek(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    take(env, hc, a, false)
}

thread_local! {
    /// Tail calls in progress on this thread (each runs nested in the helper call).
    static TAIL_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// `tail_call(ctx, prog_array, index)`: runs the program at `index` on the same context and
/// ends the caller with its result. With no program there, or after [`MAX_TAIL_CALLS`] tail
/// calls in a row, it returns `-ENOENT` / `-E2BIG` and the caller goes on, as in Linux; it
/// returns `-EINVAL` when the program there was verified for another context than the caller
/// (or the caller was not verified), which could have forged what that program trusts.
pub(crate) fn tail_call(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = map(env, a[1])?;
    let Some(target) = m.tail_target(a[2]) else {
        return Ok(neg(2));
    };
    let depth = TAIL_DEPTH.with(Cell::get);
    if depth >= MAX_TAIL_CALLS {
        return Ok(neg(7));
    }
    // A verified target trusts its context as its proofs describe it (packet pointers, say):
    // only a caller verified against the same description may hand it over.
    if let Some(wanted) = target.program().proof_context()
        && hc.memory.proof_context() != Some(wanted)
    {
        return Ok(neg(EINVAL));
    }
    let ctx = hc
        .memory
        .context_mut()
        .ok_or_else(|| arg_error("tail call", "the run has no context"))?;
    TAIL_DEPTH.with(|d| d.set(depth + 1));
    let exec = target.execute(ctx);
    TAIL_DEPTH.with(|d| d.set(depth));
    match exec.result {
        Ok(v) => Err(HelperStop::Exit(v)),
        Err(t) => Err(HelperStop::Error(format!(
            "tail call to program {} trapped: {t}",
            a[2]
        ))),
    }
}
