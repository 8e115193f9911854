//! Cgroup storage (`CGROUP_STORAGE`, `PERCPU_CGROUP_STORAGE`): one value per cgroup (and
//! attach type) a program is attached to, as Linux's `kernel/bpf/local_storage.c` keeps them.
//!
//! A key is `struct bpf_cgroup_storage_key` (a `u64` cgroup id and a `u32` attach type, 16
//! bytes with padding), or a bare `u64` cgroup id shared by every attach type. Entries exist
//! only where the host attached ([`Map::attach_storage`](super::Map::attach_storage)), as Linux
//! creates them on attach: updates replace existing values only (`ENOENT` otherwise;
//! `BPF_NOEXIST` is `EINVAL`), deletes are `EINVAL`, and iteration is newest first. Each value is
//! its own shared memory, for the `get_local_storage` helper to hand to programs.

use super::def::{
    BPF_ANY, BPF_EXIST, BPF_F_LOCK, MapError, check_key, invalid, read_value, round8, write_value,
};
use oxbpf_core::SharedMemory;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Largest value of a shared cgroup storage (Linux: 64 KiB less its element header).
pub const CGROUP_STORAGE_MAX_VALUE: u32 = u16::MAX as u32 - 128;
/// Largest value of a per-CPU cgroup storage (Linux's `PCPU_MIN_UNIT_SIZE`).
pub const PERCPU_CGROUP_STORAGE_MAX_VALUE: u32 = 32 * 1024;

/// What a key compares by: the cgroup id and, for 16-byte keys, the attach type.
type StorageKey = (u64, Option<u32>);

#[derive(Debug, Default)]
struct Inner {
    values: BTreeMap<StorageKey, Arc<SharedMemory>>,
    /// Keys, newest first (Linux adds each storage at the head of the map's list).
    order: Vec<StorageKey>,
}

/// A cgroup storage map's storage.
#[derive(Debug)]
pub(crate) struct CgroupStorage {
    key_size: usize,
    value_size: usize,
    ncpus: usize,
    /// Where a value holds its `bpf_spin_lock`, which copies leave alone.
    lock: Option<usize>,
    inner: Mutex<Inner>,
}

impl CgroupStorage {
    pub(crate) fn new(key_size: u32, value_size: u32, ncpus: u32, lock: Option<u32>) -> Self {
        CgroupStorage {
            key_size: key_size as usize,
            value_size: value_size as usize,
            ncpus: ncpus as usize,
            lock: lock.map(|l| l as usize),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self, key: &[u8]) -> Result<StorageKey, MapError> {
        check_key(key, self.key_size)?;
        let id = u64::from_le_bytes(key[..8].try_into().map_err(|_| invalid("cgroup id"))?);
        let attach =
            (self.key_size == 16).then(|| u32::from_le_bytes([key[8], key[9], key[10], key[11]]));
        Ok((id, attach))
    }

    fn key_bytes(&self, k: StorageKey) -> Vec<u8> {
        let mut out = k.0.to_le_bytes().to_vec();
        if let Some(t) = k.1 {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
        }
        out
    }

    /// Bytes one storage holds: the value, or every CPU's at an 8-byte stride.
    fn host_len(&self) -> usize {
        if self.ncpus == 1 {
            self.value_size
        } else {
            round8(self.value_size) * self.ncpus
        }
    }

    /// Creates the zeroed storage of `key` (a program attached to that cgroup); `EEXIST` if
    /// there is one.
    pub(crate) fn attach(&self, key: &[u8]) -> Result<(), MapError> {
        let k = self.key(key)?;
        let mut inner = self.lock();
        if inner.values.contains_key(&k) {
            return Err(MapError::Exists);
        }
        inner
            .values
            .insert(k, Arc::new(SharedMemory::new(self.host_len())));
        inner.order.insert(0, k);
        Ok(())
    }

    /// Removes the storage of `key` (the last program detached); `ENOENT` if there is none.
    pub(crate) fn detach(&self, key: &[u8]) -> Result<(), MapError> {
        let k = self.key(key)?;
        let mut inner = self.lock();
        inner.values.remove(&k).ok_or(MapError::NotFound)?;
        inner.order.retain(|o| *o != k);
        Ok(())
    }

    /// The memory of `key`'s storage (every CPU's copy at an 8-byte stride when per-CPU).
    pub(crate) fn memory(&self, key: &[u8]) -> Option<Arc<SharedMemory>> {
        let k = self.key(key).ok()?;
        self.lock().values.get(&k).cloned()
    }

    /// The storage a program attached to cgroup `id` gets (`get_local_storage`): the one the
    /// host attached for that cgroup (of any attach type), or else one created now, zeroed,
    /// as attaching the program would have (attach type 0, `BPF_CGROUP_INET_INGRESS`, for
    /// 16-byte keys).
    pub(crate) fn of_cgroup(&self, id: u64) -> Arc<SharedMemory> {
        let mut inner = self.lock();
        if let Some((_, m)) = inner.values.iter().find(|(k, _)| k.0 == id) {
            return m.clone();
        }
        let k = (id, (self.key_size == 16).then_some(0));
        let m = Arc::new(SharedMemory::new(self.host_len()));
        inner.values.insert(k, m.clone());
        inner.order.insert(0, k);
        m
    }

    /// Bytes from one CPU's value to the next in a storage's memory.
    pub(crate) fn stride(&self) -> usize {
        round8(self.value_size)
    }

    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        let mem = self.memory(key).ok_or(MapError::NotFound)?;
        let mut out = vec![0; self.host_len()];
        read_value(&mem, 0, &mut out, self.lock);
        Ok(out)
    }

    /// Replaces the value of an existing storage.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        let allowed = if self.ncpus == 1 {
            flags & !(BPF_F_LOCK | BPF_EXIST) == 0 && flags & BPF_F_LOCK == 0
        } else {
            flags == BPF_ANY || flags == BPF_EXIST
        };
        if !allowed {
            return Err(invalid(format!("cgroup storage update flags {flags:#x}")));
        }
        super::def::check_len(value, self.host_len())?;
        let mem = self.memory(key).ok_or(MapError::NotFound)?;
        write_value(&mem, 0, value, self.lock);
        Ok(())
    }

    /// The key after `key`, newest first; `ENOENT` after the last or for a key not stored.
    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let inner = self.lock();
        let at = match key {
            None => 0,
            Some(k) => {
                let k = self.key(k)?;
                inner
                    .order
                    .iter()
                    .position(|o| *o == k)
                    .ok_or(MapError::NotFound)?
                    + 1
            }
        };
        inner
            .order
            .get(at)
            .map(|k| self.key_bytes(*k))
            .ok_or(MapError::NotFound)
    }

    /// Every key and value, newest first.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let keys: Vec<StorageKey> = self.lock().order.clone();
        keys.into_iter()
            .filter_map(|k| {
                let kb = self.key_bytes(k);
                self.lookup(&kb).ok().map(|v| (kb, v))
            })
            .collect()
    }
}
