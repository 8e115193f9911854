//! Arrays of host objects by index, Linux's "fd arrays" (`CGROUP_ARRAY`, and the slots of
//! `PERF_EVENT_ARRAY`): where Linux stores the object a file descriptor names, oxbpf stores the
//! host's `u32` handle (with, for perf event arrays, the reader's record queue).
//!
//! Linux's rules (`bpf_fd_array_map_update_elem`, `fd_array_map_delete_elem`): updates take
//! `BPF_ANY` only (`EINVAL`), an index past the end is `E2BIG`, deleting an empty slot `ENOENT`,
//! and the syscall lookup is not supported (`ENOTSUPP`).

use super::def::{BPF_ANY, MapError, invalid, next_index, u32_key};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// The slots of an fd array: what each filled index holds.
#[derive(Debug)]
pub(crate) struct FdArray<T> {
    max_entries: u32,
    slots: Mutex<BTreeMap<u32, T>>,
}

impl<T> FdArray<T> {
    pub(crate) fn new(max_entries: u32) -> FdArray<T> {
        FdArray {
            max_entries,
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, BTreeMap<u32, T>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index `key` names, checked against the end (`E2BIG`).
    pub(crate) fn index(&self, key: &[u8]) -> Result<u32, MapError> {
        let i = u32_key(key)?;
        if i < self.max_entries {
            Ok(i)
        } else {
            Err(MapError::Full)
        }
    }

    /// Puts `item` at `key` under update `flags` (`BPF_ANY` only); returns what was there.
    pub(crate) fn set(&self, key: &[u8], item: T, flags: u64) -> Result<Option<T>, MapError> {
        if flags != BPF_ANY {
            return Err(invalid(format!("fd array update flags {flags:#x}")));
        }
        let i = self.index(key)?;
        Ok(self.lock().insert(i, item))
    }

    /// Empties slot `key`; `ENOENT` when it was empty.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<T, MapError> {
        let i = self.index(key)?;
        self.lock().remove(&i).ok_or(MapError::NotFound)
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        next_index(key, self.max_entries)
    }
}

/// The syscall lookup of an fd array, which Linux does not support for these types.
pub(crate) fn no_lookup() -> MapError {
    MapError::Unsupported("the host cannot look up a perf event or cgroup array's entries".into())
}
