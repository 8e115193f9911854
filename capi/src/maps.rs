//! Maps from C: created by the host or by an ELF object, reached by handle (found by name), with
//! Linux's operations and errnos.

use crate::ffi;
use crate::handle::{VmState, guard, read, with_vm, write};
use libc::c_char;
use oxbpf::{Map, MapDef, MapError, MapType};
use std::ffi::c_void;
use std::sync::Arc;

const ENOENT: i32 = 2;
const EINVAL: i32 = 22;
const ENOSPC: i32 = 28;

/// The header's `struct oxbpf_map_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OxbpfMapInfo {
    /// The map type (Linux's number).
    pub map_type: u32,
    /// Bytes of a key.
    pub key_size: u32,
    /// Bytes of a value.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Bytes a lookup writes.
    pub lookup_size: u64,
}

/// The map with handle `handle`: the VM's own, then the loaded object's.
fn map_of(s: &VmState, handle: u64) -> Option<Arc<Map>> {
    let own = read(&s.shared.own_maps).by_handle(handle).cloned();
    own.or_else(|| read(&s.shared.code_maps).by_handle(handle).cloned())
}

/// Runs `f` on map `map` of VM `vm`: `-ENOENT` for an unknown VM or map, `-errno` for a failed
/// operation.
fn with_map(vm: *const VmState, map: u64, f: impl FnOnce(&Map) -> Result<i32, MapError>) -> i32 {
    guard(-EINVAL, || {
        with_vm(vm, |s| match map_of(s, map) {
            Some(m) => f(&m).unwrap_or_else(|e| -e.errno()),
            None => -ENOENT,
        })
        .unwrap_or(-ENOENT)
    })
}

/// The `key_size` bytes of a key at `key`.
///
/// # Safety
/// A non-NULL `key` must point to the map's `key_size` readable bytes.
unsafe fn key_of<'a>(map: &Map, key: *const c_void) -> Result<&'a [u8], MapError> {
    // SAFETY: forwarded from the caller.
    unsafe { ffi::bytes(key as *const u8, map.def().key_size as usize) }
        .ok_or_else(|| MapError::Invalid("key is NULL".to_owned()))
}

/// Creates a map owned by the VM (see the header).
///
/// # Safety
/// A non-NULL `name` must be a NUL-terminated string; non-NULL `handle` and `errmsg` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_create(
    vm: *mut VmState,
    name: *const c_char,
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
    handle: *mut u64,
    errmsg: *mut *mut c_char,
) -> i32 {
    guard(-EINVAL, || {
        // SAFETY: the caller passes a NUL-terminated string.
        let name = unsafe { ffi::str(name) };
        let result = with_vm(vm, |s| {
            let name = name.ok_or_else(|| MapError::Invalid("name is NULL or not UTF-8".into()))?;
            if handle.is_null() {
                return Err(MapError::Invalid("handle is NULL".into()));
            }
            let map_type = MapType::from_id(map_type)
                .ok_or_else(|| MapError::Invalid(format!("unknown map type {map_type}")))?;
            let mut maps = write(&s.shared.own_maps);
            if maps.get(name).is_some() {
                return Err(MapError::Invalid(format!("a map named `{name}` exists")));
            }
            let def = MapDef::new(name, map_type, key_size, value_size, max_entries);
            let map = maps.add(Map::new(def.with_flags(flags))?);
            // SAFETY: checked non-NULL; the caller guarantees it is writable.
            unsafe { handle.write(map.handle()) };
            Ok(())
        })
        .unwrap_or_else(|| Err(MapError::Invalid("not a live VM handle".into())));
        let code = match &result {
            Ok(()) => 0,
            Err(e) => -e.errno(),
        };
        // SAFETY: the caller guarantees a non-NULL `errmsg` is writable.
        unsafe { ffi::report(errmsg, result, |()| 0) };
        code
    })
}

/// Finds a map by name (see the header).
///
/// # Safety
/// A non-NULL `name` must be a NUL-terminated string; a non-NULL `handle` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_find(
    vm: *const VmState,
    name: *const c_char,
    handle: *mut u64,
) -> i32 {
    guard(-EINVAL, || {
        // SAFETY: the caller passes a NUL-terminated string.
        let Some(name) = (unsafe { ffi::str(name) }) else {
            return -EINVAL;
        };
        if handle.is_null() {
            return -EINVAL;
        }
        with_vm(vm, |s| {
            let own = read(&s.shared.own_maps).get(name).map(|m| m.handle());
            let found = own.or_else(|| read(&s.shared.code_maps).get(name).map(|m| m.handle()));
            match found {
                Some(h) => {
                    // SAFETY: checked non-NULL; the caller guarantees it is writable.
                    unsafe { handle.write(h) };
                    0
                }
                None => -ENOENT,
            }
        })
        .unwrap_or(-ENOENT)
    })
}

/// Describes a map (see the header).
///
/// # Safety
/// A non-NULL `info` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_info(
    vm: *const VmState,
    map: u64,
    info: *mut OxbpfMapInfo,
) -> i32 {
    if info.is_null() {
        return -EINVAL;
    }
    with_map(vm, map, |m| {
        let def = m.def();
        let out = OxbpfMapInfo {
            map_type: def.map_type as u32,
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            lookup_size: m.lookup_len() as u64,
        };
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { info.write(out) };
        Ok(0)
    })
}

/// Copies the value of `key` into `value` (see the header).
///
/// # Safety
/// A non-NULL `key` must point to the map's key size in readable bytes; a non-NULL `value` to
/// `value_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_lookup(
    vm: *const VmState,
    map: u64,
    key: *const c_void,
    value: *mut c_void,
    value_len: usize,
) -> i32 {
    with_map(vm, map, |m| {
        // SAFETY: forwarded from the caller.
        let key = unsafe { key_of(m, key) }?;
        // SAFETY: the caller guarantees `value_len` writable bytes at a non-NULL `value`.
        let out = unsafe { ffi::bytes_mut(value as *mut u8, value_len) }
            .ok_or_else(|| MapError::Invalid("value is NULL".into()))?;
        let v = m.lookup(key)?;
        match out.get_mut(..v.len()) {
            Some(dst) => {
                dst.copy_from_slice(&v);
                Ok(0)
            }
            None => Ok(-ENOSPC),
        }
    })
}

/// Sets the value of `key` (see the header).
///
/// # Safety
/// A non-NULL `key` must point to the map's key size in readable bytes; a non-NULL `value` to
/// `value_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_update(
    vm: *const VmState,
    map: u64,
    key: *const c_void,
    value: *const c_void,
    value_len: usize,
    flags: u64,
) -> i32 {
    with_map(vm, map, |m| {
        // SAFETY: forwarded from the caller.
        let key = unsafe { key_of(m, key) }?;
        // SAFETY: the caller guarantees `value_len` readable bytes at a non-NULL `value`.
        let value = unsafe { ffi::bytes(value as *const u8, value_len) }
            .ok_or_else(|| MapError::Invalid("value is NULL".into()))?;
        m.update(key, value, flags).map(|()| 0)
    })
}

/// Deletes `key` (see the header).
///
/// # Safety
/// A non-NULL `key` must point to the map's key size in readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_delete(vm: *const VmState, map: u64, key: *const c_void) -> i32 {
    with_map(vm, map, |m| {
        // SAFETY: forwarded from the caller.
        let key = unsafe { key_of(m, key) }?;
        m.delete(key).map(|()| 0)
    })
}

/// The key after `key` (see the header).
///
/// # Safety
/// A non-NULL `key` must point to the map's key size in readable bytes; a non-NULL `next_key`
/// to as many writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_map_next_key(
    vm: *const VmState,
    map: u64,
    key: *const c_void,
    next_key: *mut c_void,
) -> i32 {
    with_map(vm, map, |m| {
        let key = if key.is_null() {
            None
        } else {
            // SAFETY: forwarded from the caller.
            Some(unsafe { key_of(m, key) }?)
        };
        let size = m.def().key_size as usize;
        if next_key.is_null() {
            return Err(MapError::Invalid("next_key is NULL".into()));
        }
        let next = m.next_key(key)?;
        // SAFETY: checked non-NULL; the caller guarantees `key_size` writable bytes.
        let out = unsafe { std::slice::from_raw_parts_mut(next_key as *mut u8, size) };
        match out.get_mut(..next.len()) {
            Some(dst) => {
                dst.copy_from_slice(&next);
                Ok(0)
            }
            None => Ok(-ENOSPC),
        }
    })
}

/// The host's ring-buffer record consumer.
type DrainFn = unsafe extern "C" fn(*mut c_void, *const c_void, usize);

/// Consumes a ring buffer's records (see the header).
///
/// # Safety
/// A non-NULL `callback` must be callable with `ctx` and each record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_ringbuf_drain(
    vm: *const VmState,
    map: u64,
    callback: Option<DrainFn>,
    ctx: *mut c_void,
) -> libc::c_long {
    let mut count: usize = 0;
    let r = with_map(vm, map, |m| {
        let Some(cb) = callback else {
            return Err(MapError::Invalid("callback is NULL".into()));
        };
        if m.def().map_type != MapType::RingBuf {
            return Err(MapError::Invalid("not a ring buffer".into()));
        }
        count = m.drain(|record| {
            // SAFETY: the caller guarantees `cb` accepts `ctx` and a record, which stays
            // valid for the call.
            unsafe { cb(ctx, record.as_ptr() as *const c_void, record.len()) }
        });
        Ok(0)
    });
    if r < 0 {
        libc::c_long::from(r)
    } else {
        count as libc::c_long
    }
}
