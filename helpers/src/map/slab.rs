//! Preallocated value storage: `slots` values (each with one copy per CPU for per-CPU maps) in
//! one [`SharedMemory`] that programs access directly, as Linux preallocates map values.

use super::def::{MAX_MAP_BYTES, MapError, check_len, round8};
use oxbpf_core::SharedMemory;
use std::sync::Arc;

/// Value storage of an array or hash map.
#[derive(Debug)]
pub(crate) struct Slab {
    pub(crate) mem: Arc<SharedMemory>,
    pub(crate) value_size: usize,
    stride: usize,
    pub(crate) ncpus: usize,
}

impl Slab {
    /// Zeroed storage for `slots` values of `value_size` bytes, `ncpus` copies each.
    pub(crate) fn new(slots: u32, value_size: u32, ncpus: u32) -> Result<Slab, MapError> {
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
            self.mem.read(self.offset(slot, 0), &mut out);
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
            self.mem.write(self.offset(slot, 0), data);
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
        self.mem.read(self.offset(slot, cpu), &mut out);
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
        self.mem.write(self.offset(slot, cpu), data);
    }

    /// Zeroes every CPU's copy of `slot`.
    pub(crate) fn clear(&self, slot: u32) {
        let len = self.stride * self.ncpus;
        self.mem.fill(self.offset(slot, 0), len, 0);
    }
}
