//! Preallocated value storage: `slots` values (each with one copy per CPU for per-CPU maps) in
//! one [`SharedMemory`] that programs access directly, as Linux preallocates map values.

use super::def::{MAX_MAP_BYTES, MapError, check_len, read_value, round8, write_value};
use oxbpf_core::SharedMemory;
use std::sync::Arc;

/// Value storage of an array or hash map.
#[derive(Debug)]
pub(crate) struct Slab {
    pub(crate) mem: Arc<SharedMemory>,
    pub(crate) value_size: usize,
    stride: usize,
    pub(crate) ncpus: usize,
    /// Where each value holds its `bpf_spin_lock`, which copies leave alone.
    lock: Option<usize>,
}

impl Slab {
    /// Zeroed storage for `slots` values of `value_size` bytes, `ncpus` copies each, each
    /// holding a `bpf_spin_lock` at `lock` if given.
    pub(crate) fn new(
        slots: u32,
        value_size: u32,
        ncpus: u32,
        lock: Option<u32>,
    ) -> Result<Slab, MapError> {
        let stride = round8(value_size as usize);
        let bytes = (stride as u64)
            .saturating_mul(u64::from(slots))
            .saturating_mul(u64::from(ncpus));
        if bytes > MAX_MAP_BYTES {
            return Err(MapError::TooLarge(bytes));
        }
        Ok(Slab {
            mem: Arc::new(SharedMemory::new(bytes as usize)),
            value_size: value_size as usize,
            stride,
            ncpus: ncpus as usize,
            lock: lock.map(|l| l as usize),
        })
    }

    fn offset(&self, slot: u32, cpu: u32) -> usize {
        (slot as usize * self.ncpus + cpu as usize % self.ncpus) * self.stride
    }

    /// The address programs see for `slot`'s value on `cpu`.
    pub(crate) fn addr(&self, slot: u32, cpu: u32) -> u64 {
        self.mem.addr() + self.offset(slot, cpu) as u64
    }

    /// Bytes the host sees for one slot: the value, or for per-CPU maps every CPU's value at a
    /// stride of 8-byte multiples (as Linux's syscall interface lays them out).
    pub(crate) fn host_len(&self) -> usize {
        if self.ncpus == 1 {
            self.value_size
        } else {
            self.stride * self.ncpus
        }
    }

    /// The host's view of `slot` (see [`host_len`](Self::host_len)).
    pub(crate) fn read_host(&self, slot: u32) -> Vec<u8> {
        let mut out = vec![0; self.host_len()];
        if self.ncpus == 1 {
            read_value(&self.mem, self.offset(slot, 0), &mut out, self.lock);
        } else {
            for cpu in 0..self.ncpus {
                let at = cpu * self.stride;
                self.mem.read(
                    self.offset(slot, cpu as u32),
                    &mut out[at..at + self.value_size],
                );
            }
        }
        out
    }

    /// Sets `slot` from the host's view of it.
    pub(crate) fn write_host(&self, slot: u32, data: &[u8]) -> Result<(), MapError> {
        check_len(data, self.host_len())?;
        if self.ncpus == 1 {
            write_value(&self.mem, self.offset(slot, 0), data, self.lock);
        } else {
            for cpu in 0..self.ncpus {
                let at = cpu * self.stride;
                self.mem.write(
                    self.offset(slot, cpu as u32),
                    &data[at..at + self.value_size],
                );
            }
        }
        Ok(())
    }

    /// `slot`'s value on `cpu`.
    pub(crate) fn read_cpu(&self, slot: u32, cpu: u32) -> Vec<u8> {
        let mut out = vec![0; self.value_size];
        read_value(&self.mem, self.offset(slot, cpu), &mut out, self.lock);
        out
    }

    /// Atomically adds `delta` to the first 8 bytes of `slot`'s value on `cpu` (values are
    /// 8-byte aligned); the old value.
    pub(crate) fn fetch_add(&self, slot: u32, cpu: u32, delta: u64) -> Result<u64, MapError> {
        self.mem
            .fetch_add_u64(self.offset(slot, cpu), delta)
            .ok_or(MapError::Full)
    }

    /// Sets `slot`'s value on `cpu` (a program's update).
    pub(crate) fn write_cpu(&self, slot: u32, cpu: u32, data: &[u8]) {
        write_value(&self.mem, self.offset(slot, cpu), data, self.lock);
    }

    /// Zeroes every CPU's copy of `slot`.
    pub(crate) fn clear(&self, slot: u32) {
        let len = self.stride * self.ncpus;
        self.mem.fill(self.offset(slot, 0), len, 0);
    }
}
