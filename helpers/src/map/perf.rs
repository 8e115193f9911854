//! Perf event arrays: per-index queues of records that programs write with
//! `perf_event_output` and the host drains, as a perf ring buffer per CPU that user space reads.
//!
//! An index holds records only while the host has a reader open on it ([`Map::perf_open`],
//! or an update with the reader's handle as value): writing to an index with no reader is
//! `ENOENT`, as in Linux. Each reader has a capacity in bytes, counted as perf counts a
//! `PERF_RECORD_SAMPLE` carrying raw data: an 8-byte header, a 4-byte size and the data, padded
//! to 8 bytes. A record that does not fit is dropped and counted as lost
//! ([`Map::perf_lost`]), and `perf_event_output` returns `-ENOSPC`, as Linux's does: a program
//! cannot make the host hold more than the reader allowed.
//!
//! [`Map::perf_open`]: super::Map::perf_open
//! [`Map::perf_lost`]: super::Map::perf_lost

use super::def::{MAX_MAP_BYTES, MapError, check_len, round8, u32_key};
use super::fd_array::FdArray;
use std::collections::VecDeque;

/// The capacity of a reader opened by an update (rather than [`Map::perf_open`]): 8 pages, BCC's
/// default per-CPU perf buffer.
///
/// [`Map::perf_open`]: super::Map::perf_open
pub const PERF_DEFAULT_CAPACITY: u64 = 8 * 4096;

/// One index's reader: its queue of records and what it has lost.
#[derive(Debug)]
pub(crate) struct Reader {
    handle: u32,
    capacity: u64,
    used: u64,
    records: VecDeque<Vec<u8>>,
    lost: u64,
}

/// Bytes a record of `len` data bytes takes in a perf buffer.
fn cost(len: usize) -> u64 {
    8 + round8(4usize.saturating_add(len)) as u64
}

/// A perf event array's storage.
#[derive(Debug)]
pub(crate) struct PerfEventArray {
    pub(crate) slots: FdArray<Reader>,
    max_entries: u32,
}

impl PerfEventArray {
    pub(crate) fn new(max_entries: u32) -> PerfEventArray {
        PerfEventArray {
            slots: FdArray::new(max_entries),
            max_entries,
        }
    }

    /// Opens a reader on `index` holding up to `capacity` bytes of records, named by the
    /// host's `handle`; a reader already there is replaced (its records dropped).
    pub(crate) fn open(&self, index: u32, handle: u32, capacity: u64) -> Result<(), MapError> {
        if capacity > MAX_MAP_BYTES {
            return Err(MapError::TooLarge(capacity));
        }
        let reader = Reader {
            handle,
            capacity,
            used: 0,
            records: VecDeque::new(),
            lost: 0,
        };
        self.slots
            .set(&index.to_le_bytes(), reader, super::def::BPF_ANY)
            .map(|_| ())
    }

    /// An update with a 4-byte handle as value: a reader of [`PERF_DEFAULT_CAPACITY`].
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        check_len(value, 4)?;
        let reader = Reader {
            handle: u32_key(value)?,
            capacity: PERF_DEFAULT_CAPACITY,
            used: 0,
            records: VecDeque::new(),
            lost: 0,
        };
        self.slots.set(key, reader, flags).map(|_| ())
    }

    /// Appends `data` as one record to the reader on `index` (`bpf_perf_event_output`):
    /// `E2BIG` past the end, `ENOENT` without a reader, `ENOSPC` (and one more lost record)
    /// when it does not fit.
    pub(crate) fn output(&self, index: u64, data: &[u8]) -> Result<(), MapError> {
        if index >= u64::from(self.max_entries) {
            return Err(MapError::Full);
        }
        let mut slots = self.slots.lock();
        let reader = slots.get_mut(&(index as u32)).ok_or(MapError::NotFound)?;
        let cost = cost(data.len());
        if cost > reader.capacity - reader.used {
            reader.lost += 1;
            return Err(MapError::NoSpace);
        }
        reader.used += cost;
        reader.records.push_back(data.to_vec());
        Ok(())
    }

    /// Takes every record of the reader on `index`, oldest first, freeing its room.
    pub(crate) fn take(&self, index: u32) -> Vec<Vec<u8>> {
        let mut slots = self.slots.lock();
        match slots.get_mut(&index) {
            Some(r) => {
                r.used = 0;
                r.records.drain(..).collect()
            }
            None => Vec::new(),
        }
    }

    /// Records the reader on `index` has lost since it was opened.
    pub(crate) fn lost(&self, index: u32) -> u64 {
        self.slots.lock().get(&index).map_or(0, |r| r.lost)
    }

    /// The handle of the reader on `index`.
    pub(crate) fn handle(&self, index: u32) -> Option<u32> {
        self.slots.lock().get(&index).map(|r| r.handle)
    }

    /// Every open index with its reader's handle.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.slots
            .lock()
            .iter()
            .map(|(i, r)| (i.to_le_bytes().to_vec(), r.handle.to_le_bytes().to_vec()))
            .collect()
    }
}
