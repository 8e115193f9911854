//! Array and per-CPU array maps: `max_entries` preallocated values indexed by a `u32` key.

use super::def::{BPF_NOEXIST, MapError, check_len, invalid};
use super::slab::Slab;

/// An array map's storage.
#[derive(Debug)]
pub(crate) struct ArrayMap {
    pub(crate) slab: Slab,
    max_entries: u32,
}

/// The index a 4-byte key names.
fn index(key: &[u8]) -> Result<u32, MapError> {
    let k: [u8; 4] = key
        .try_into()
        .map_err(|_| invalid("array keys are 4 bytes"))?;
    Ok(u32::from_le_bytes(k))
}

impl ArrayMap {
    pub(crate) fn new(
        value_size: u32,
        max_entries: u32,
        ncpus: u32,
        lock: Option<u32>,
    ) -> Result<Self, MapError> {
        Ok(ArrayMap {
            slab: Slab::new(max_entries, value_size, ncpus, lock)?,
            max_entries,
        })
    }

    fn slot(&self, key: &[u8]) -> Result<Option<u32>, MapError> {
        let i = index(key)?;
        Ok((i < self.max_entries).then_some(i))
    }

    /// Address of element `key` on `cpu`, for a program.
    pub(crate) fn lookup_addr(&self, key: &[u8], cpu: u32) -> Option<u64> {
        self.slot(key)
            .ok()
            .flatten()
            .map(|s| self.slab.addr(s, cpu))
    }

    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        let s = self.slot(key)?.ok_or(MapError::NotFound)?;
        Ok(self.slab.read_host(s))
    }

    /// Sets element `key`: the host's view of it, or with `cpu` one CPU's value (a program).
    pub(crate) fn update(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: Option<u32>,
    ) -> Result<(), MapError> {
        let s = self.slot(key)?.ok_or(MapError::Full)?;
        if flags == BPF_NOEXIST {
            return Err(MapError::Exists);
        }
        match cpu {
            Some(cpu) => {
                check_len(value, self.slab.value_size)?;
                self.slab.write_cpu(s, cpu, value);
                Ok(())
            }
            None => self.slab.write_host(s, value),
        }
    }

    /// One CPU's value of element `key`.
    pub(crate) fn lookup_cpu(&self, key: &[u8], cpu: u32) -> Result<Vec<u8>, MapError> {
        let s = self.slot(key)?.ok_or(MapError::NotFound)?;
        Ok(self.slab.read_cpu(s, cpu))
    }

    /// Atomically adds `delta` to the first 8 bytes of element `key` on `cpu`; the old value.
    pub(crate) fn fetch_add(&self, key: &[u8], cpu: u32, delta: u64) -> Result<u64, MapError> {
        let s = self.slot(key)?.ok_or(MapError::Full)?;
        if self.slab.value_size < 8 {
            return Err(invalid("atomic add needs 8-byte values"));
        }
        self.slab.fetch_add(s, cpu, delta)
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let next = match key.map(index).transpose()? {
            Some(i) if i < self.max_entries => i.checked_add(1),
            _ => Some(0),
        };
        match next {
            Some(n) if n < self.max_entries => Ok(n.to_le_bytes().to_vec()),
            _ => Err(MapError::NotFound),
        }
    }
}
