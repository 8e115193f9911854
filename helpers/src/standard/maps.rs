//! Map helpers: lookup, update, delete, push, pop, peek, and tail calls through prog arrays;
//! and how helpers find a map from the number a program passes.

use super::{
    DELETE_MAPS, E2BIG, EINVAL, EPERM, Env, KEYED_MAPS, LOOKUP_MAPS, MAP_OF_MAPS, PUSH_MAPS,
    QUEUE_MAPS, arg_error, neg,
};
use crate::map::{MAX_TAIL_CALLS, Map};
use oxbpf_core::{Access, HelperContext, HelperResult, HelperStop, MapTypes, SharedMemory};
use std::cell::Cell;
use std::sync::{Arc, Mutex, Weak};

/// The inner maps runs look up through maps of maps, each kept alive until the run that looked
/// it up ends, as Linux keeps an inner map alive while a program may use it: the host may
/// replace or delete the entry meanwhile, and the run still reaches the map by its handle.
///
/// A run is told apart by a one-byte token memory the first such lookup adds to the run's
/// regions: the run holds the token until it ends, so the pins of a run whose token is gone
/// are dropped.
#[derive(Debug, Default)]
pub(crate) struct Pins(Mutex<Vec<RunPins>>);

/// The maps one run pinned.
#[derive(Debug)]
struct RunPins {
    token: Weak<SharedMemory>,
    addr: u64,
    maps: Vec<Arc<Map>>,
}

impl RunPins {
    /// Whether these are the pins of the run `hc` belongs to: its token is alive (so its
    /// address is no other memory's) and a region of that run.
    fn of(&self, hc: &HelperContext<'_, '_>) -> bool {
        self.token
            .upgrade()
            .is_some_and(|_| hc.memory.contains(self.addr, 1, Access::Read))
    }
}

impl Pins {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RunPins>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `map` alive until the run of `hc` ends.
    fn pin(&self, hc: &mut HelperContext<'_, '_>, map: Arc<Map>) {
        let mut runs = self.lock();
        runs.retain(|r| r.token.strong_count() > 0);
        if let Some(r) = runs.iter_mut().find(|r| r.of(hc)) {
            if !r.maps.iter().any(|m| Arc::ptr_eq(m, &map)) {
                r.maps.push(map);
            }
            return;
        }
        let token = Arc::new(SharedMemory::new(1));
        hc.memory.add_shared(&token, false);
        runs.push(RunPins {
            token: Arc::downgrade(&token),
            addr: token.addr(),
            maps: vec![map],
        });
    }

    /// The maps the run of `hc` pinned.
    pub(crate) fn maps_of(&self, hc: &HelperContext<'_, '_>) -> Vec<Arc<Map>> {
        let runs = self.lock();
        runs.iter()
            .find(|r| r.of(hc))
            .map_or_else(Vec::new, |r| r.maps.clone())
    }

    /// The map with `handle` the run of `hc` pinned.
    fn find(&self, hc: &HelperContext<'_, '_>, handle: u64) -> Option<Arc<Map>> {
        let runs = self.lock();
        let r = runs.iter().find(|r| r.of(hc))?;
        r.maps.iter().find(|m| m.handle() == handle).cloned()
    }
}

/// The map `handle` names: one of the set, one a map of maps of the set holds, or one this
/// run looked up through a map of maps; else a helper error.
pub(crate) fn map(
    env: &Env,
    hc: &HelperContext<'_, '_>,
    handle: u64,
) -> Result<Arc<Map>, HelperStop> {
    env.maps
        .find(handle)
        .or_else(|| env.pins.find(hc, handle))
        .ok_or_else(|| arg_error("map argument", format!("{handle:#x} is not a map")))
}

/// Whether `m` is of one of `types`.
fn takes(types: MapTypes, m: &Map) -> bool {
    types.contains(m.def().map_type as u32)
}

/// The map `handle` names, for a helper that changes it and takes `types`: `Ok(Err(-EPERM))`
/// when it is read-only to programs, `Ok(Err(-EINVAL))` when it is of another type (the
/// verifier refuses such calls; unverified programs get the error).
fn changeable(
    env: &Env,
    hc: &HelperContext<'_, '_>,
    handle: u64,
    types: MapTypes,
) -> Result<Result<Arc<Map>, u64>, HelperStop> {
    let m = map(env, hc, handle)?;
    Ok(if !takes(types, &m) {
        Err(neg(EINVAL))
    } else if m.def().read_only_to_programs() {
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

/// `map_lookup_elem(map, key)`: a pointer to the value, or 0; for a map of maps, the inner
/// map's handle (pinned for the rest of the run), or 0.
pub(crate) fn lookup(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = map(env, hc, a[0])?;
    if !takes(LOOKUP_MAPS, &m) && !takes(MAP_OF_MAPS, &m) {
        return Ok(0);
    }
    let key = read(hc, "key", a[1], m.key_size())?;
    if takes(MAP_OF_MAPS, &m) {
        return Ok(match m.inner(&key) {
            Some(inner) => {
                let handle = inner.handle();
                env.pins.pin(hc, inner);
                handle
            }
            None => 0,
        });
    }
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

/// `get_local_storage(map, flags)`: the value of the cgroup storage of the host's cgroup
/// ([`HostEnv::cgroup_id`](crate::HostEnv::cgroup_id)), this CPU's for a per-CPU storage; it
/// is created, zeroed, if the host attached none (the program runs attached to that cgroup).
/// Linux's flags must be 0; a map of another type fails the run (the verifier refuses both).
pub(crate) fn local_storage(
    env: &Env,
    hc: &mut HelperContext<'_, '_>,
    a: [u64; 5],
) -> HelperResult {
    let m = map(env, hc, a[0])?;
    if a[1] != 0 {
        return Err(arg_error("flags", format!("{:#x} (Linux takes 0)", a[1])));
    }
    let Some((memory, addr)) = m.cgroup_storage(env.host.cgroup_id, crate::cpu::current()) else {
        return Err(arg_error(
            "map argument",
            format!("map `{}` is no cgroup storage", m.name()),
        ));
    };
    hc.memory
        .add_shared(&memory, !m.def().read_only_to_programs());
    Ok(addr)
}

/// `map_update_elem(map, key, value, flags)`: 0 or `-errno`.
pub(crate) fn update(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = match changeable(env, hc, a[0], KEYED_MAPS)? {
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
    let m = match changeable(env, hc, a[0], DELETE_MAPS)? {
        Ok(m) => m,
        Err(e) => return Ok(e),
    };
    let key = read(hc, "key", a[1], m.key_size())?;
    Ok(m.delete(&key).map_or_else(|e| e.to_reg(), |()| 0))
}

/// `map_push_elem(map, value, flags)`: onto a queue or stack, or into a bloom filter.
pub(crate) fn push(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = match changeable(env, hc, a[0], PUSH_MAPS)? {
        Ok(m) => m,
        Err(e) => return Ok(e),
    };
    let value = read(hc, "value", a[1], m.value_size())?;
    Ok(m.push(&value, a[2]).map_or_else(|e| e.to_reg(), |()| 0))
}

fn take(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5], remove: bool) -> HelperResult {
    let m = if remove {
        match changeable(env, hc, a[0], QUEUE_MAPS)? {
            Ok(m) => m,
            Err(e) => return Ok(e),
        }
    } else {
        let m = map(env, hc, a[0])?;
        if m.def().map_type == crate::MapType::BloomFilter {
            // A bloom filter's peek tests the value it is given and leaves it as it is.
            let value = read(hc, "value", a[1], m.value_size())?;
            return Ok(m.peek_value(&value).map_or_else(|e| e.to_reg(), |()| 0));
        }
        if !takes(QUEUE_MAPS, &m) {
            return Ok(neg(EINVAL));
        }
        m
    };
    // The destination must be writable before anything is taken from the map.
    let size = m.value_size();
    if !hc.memory.contains(a[1], size as u64, Access::Write) {
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
    let m = map(env, hc, a[1])?;
    let Some(target) = m.tail_target(a[2]) else {
        return Ok(neg(2));
    };
    let depth = TAIL_DEPTH.with(Cell::get);
    if depth >= MAX_TAIL_CALLS {
        return Ok(neg(E2BIG));
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
