//! Hash, per-CPU hash and LRU hash maps: keys in an ordered index (so iteration order is
//! stable), values in preallocated slots that programs access directly.

use super::def::{BPF_EXIST, BPF_NOEXIST, MapError, check_len, invalid};
use super::slab::Slab;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A hash map's storage.
#[derive(Debug)]
pub(crate) struct HashMap {
    pub(crate) slab: Slab,
    key_size: usize,
    lru: bool,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Key to slot and, for LRU maps, the key's last use.
    index: BTreeMap<Vec<u8>, (u32, u64)>,
    /// Slots freed by deletes, the next one last.
    free: Vec<u32>,
    /// Slots never used yet: `fresh..max_entries`.
    fresh: u32,
    max_entries: u32,
    /// LRU only: the clock, and the keys by last use.
    tick: u64,
    order: BTreeMap<u64, Vec<u8>>,
}

impl Inner {
    /// Marks `key` as just used (LRU maps).
    fn touch(&mut self, key: &[u8]) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((_, last)) = self.index.get_mut(key) {
            let old = std::mem::replace(last, tick);
            self.order.remove(&old);
            self.order.insert(tick, key.to_vec());
        }
    }

    fn remove(&mut self, key: &[u8]) -> Option<u32> {
        let (slot, last) = self.index.remove(key)?;
        self.order.remove(&last);
        self.free.push(slot);
        Some(slot)
    }

    fn take_slot(&mut self) -> Option<u32> {
        self.free.pop().or_else(|| {
            (self.fresh < self.max_entries).then(|| {
                self.fresh += 1;
                self.fresh - 1
            })
        })
    }
}

impl HashMap {
    pub(crate) fn new(
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        ncpus: u32,
        lru: bool,
        lock: Option<u32>,
    ) -> Result<Self, MapError> {
        let slab = Slab::new(max_entries, value_size, ncpus, lock)?;
        Ok(HashMap {
            slab,
            key_size: key_size as usize,
            lru,
            inner: Mutex::new(Inner {
                index: BTreeMap::new(),
                free: Vec::new(),
                fresh: 0,
                max_entries,
                tick: 0,
                order: BTreeMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_key(&self, key: &[u8]) -> Result<(), MapError> {
        if key.len() == self.key_size {
            Ok(())
        } else {
            Err(invalid(format!(
                "key of {} bytes, the map's keys have {}",
                key.len(),
                self.key_size
            )))
        }
    }

    fn find(&self, key: &[u8]) -> Option<u32> {
        let mut inner = self.lock();
        let (slot, _) = *inner.index.get(key)?;
        if self.lru {
            inner.touch(key);
        }
        Some(slot)
    }

    /// Address of the value of `key` on `cpu`, for a program.
    pub(crate) fn lookup_addr(&self, key: &[u8], cpu: u32) -> Option<u64> {
        self.check_key(key).ok()?;
        self.find(key).map(|s| self.slab.addr(s, cpu))
    }

    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.check_key(key)?;
        let s = self.find(key).ok_or(MapError::NotFound)?;
        Ok(self.slab.read_host(s))
    }

    /// Sets the value of `key`: the host's view of it, or with `cpu` one CPU's value (a program;
    /// a new entry's other CPUs start at zero, as in Linux).
    pub(crate) fn update(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: Option<u32>,
    ) -> Result<(), MapError> {
        self.check_key(key)?;
        match cpu {
            Some(_) => check_len(value, self.slab.value_size)?,
            None => check_len(value, self.slab.host_len())?,
        }
        let mut inner = self.lock();
        let slot = match inner.index.get(key).copied() {
            Some(_) if flags == BPF_NOEXIST => return Err(MapError::Exists),
            Some((slot, _)) => slot,
            None if flags == BPF_EXIST => return Err(MapError::NotFound),
            None => {
                let slot = match inner.take_slot() {
                    Some(s) => s,
                    None if self.lru => {
                        let oldest = inner.order.first_key_value().map(|(_, k)| k.clone());
                        match oldest.and_then(|k| inner.remove(&k)) {
                            Some(_) => inner.take_slot().ok_or(MapError::Full)?,
                            None => return Err(MapError::Full),
                        }
                    }
                    None => return Err(MapError::Full),
                };
                inner.index.insert(key.to_vec(), (slot, 0));
                self.slab.clear(slot);
                slot
            }
        };
        if self.lru {
            inner.touch(key);
        }
        match cpu {
            Some(cpu) => self.slab.write_cpu(slot, cpu, value),
            None => self.slab.write_host(slot, value)?,
        }
        Ok(())
    }

    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        self.check_key(key)?;
        self.lock()
            .remove(key)
            .map(|_| ())
            .ok_or(MapError::NotFound)
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let inner = self.lock();
        let next = match key {
            Some(k) if inner.index.contains_key(k) => inner
                .index
                .range::<[u8], _>((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded))
                .next(),
            _ => inner.index.iter().next(),
        };
        next.map(|(k, _)| k.clone()).ok_or(MapError::NotFound)
    }

    /// Every entry, in key order: a snapshot.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let inner = self.lock();
        inner
            .index
            .iter()
            .map(|(k, &(s, _))| (k.clone(), self.slab.read_host(s)))
            .collect()
    }
}
