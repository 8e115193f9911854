//! Ring buffers: programs reserve records, fill them in place and submit or discard them (or
//! copy one in with `ringbuf_output`); the host drains the submitted records in order.
//!
//! Each record is its own [`SharedMemory`], accessible to the program that reserved it until it
//! submits or discards it. Records count against the capacity as in Linux: an 8-byte header
//! plus the data, rounded up to 8 bytes, until the host consumes them.

use super::def::round8;
use oxbpf_core::SharedMemory;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// `BPF_RB_AVAIL_DATA`.
pub const BPF_RB_AVAIL_DATA: u64 = 0;
/// `BPF_RB_RING_SIZE`.
pub const BPF_RB_RING_SIZE: u64 = 1;
/// `BPF_RB_CONS_POS`.
pub const BPF_RB_CONS_POS: u64 = 2;
/// `BPF_RB_PROD_POS`.
pub const BPF_RB_PROD_POS: u64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reserved,
    Submitted,
    Discarded,
}

#[derive(Debug)]
struct Record {
    mem: Arc<SharedMemory>,
    state: State,
    cost: u64,
}

#[derive(Debug, Default)]
struct Inner {
    records: VecDeque<Record>,
    used: u64,
    prod_pos: u64,
    cons_pos: u64,
    /// Records dropped to make room (overwrite mode).
    dropped: u64,
}

impl Inner {
    /// Drops the oldest record, if it is no longer reserved; false when it cannot.
    fn drop_oldest(&mut self) -> bool {
        match self.records.front() {
            Some(r) if r.state != State::Reserved => {}
            _ => return false,
        }
        let Some(r) = self.records.pop_front() else {
            return false;
        };
        self.used -= r.cost;
        self.cons_pos += r.cost;
        if r.state == State::Submitted {
            self.dropped += 1;
        }
        true
    }
}

/// A ring buffer's storage.
#[derive(Debug)]
pub(crate) struct RingBuf {
    capacity: u64,
    /// Full: drop the oldest records rather than refuse a new one.
    overwrite: bool,
    inner: Mutex<Inner>,
}

impl RingBuf {
    pub(crate) fn new(capacity: u32, overwrite: bool) -> RingBuf {
        RingBuf {
            capacity: u64::from(capacity),
            overwrite,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records dropped to make room for newer ones (overwrite mode).
    pub(crate) fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new record of `size` bytes, or `None` when the ring has no room (in overwrite mode:
    /// not even after dropping every record older than the first still reserved).
    pub(crate) fn reserve(&self, size: u64) -> Option<Arc<SharedMemory>> {
        let cost = round8(usize::try_from(size).ok()?.checked_add(8)?) as u64;
        let mut inner = self.lock();
        if size == 0 || cost > self.capacity {
            return None;
        }
        while inner.used + cost > self.capacity {
            if !self.overwrite || !inner.drop_oldest() {
                return None;
            }
        }
        let mem = Arc::new(SharedMemory::new(size as usize));
        inner.used += cost;
        inner.prod_pos += cost;
        inner.records.push_back(Record {
            mem: mem.clone(),
            state: State::Reserved,
            cost,
        });
        Some(mem)
    }

    /// Submits (or discards) the reserved record at `addr`; false if there is none.
    pub(crate) fn commit(&self, addr: u64, discard: bool) -> bool {
        let mut inner = self.lock();
        match inner
            .records
            .iter_mut()
            .find(|r| r.state == State::Reserved && r.mem.addr() == addr)
        {
            Some(r) => {
                r.state = if discard {
                    State::Discarded
                } else {
                    State::Submitted
                };
                true
            }
            None => false,
        }
    }

    /// Copies `data` in as a submitted record; false when the ring has no room.
    pub(crate) fn output(&self, data: &[u8]) -> bool {
        match self.reserve(data.len() as u64) {
            Some(mem) => {
                mem.write(0, data);
                self.commit(mem.addr(), false)
            }
            None => false,
        }
    }

    /// Hands the submitted records to `f` in order, up to the first still reserved, and frees
    /// their space; returns how many there were.
    pub(crate) fn drain(&self, f: impl FnMut(&[u8])) -> usize {
        self.drain_up_to(usize::MAX, f)
    }

    /// [`drain`](Self::drain), stopping after `max` submitted records.
    pub(crate) fn drain_up_to(&self, max: usize, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while n < max {
            let rec = {
                let mut inner = self.lock();
                match inner.records.front() {
                    Some(r) if r.state != State::Reserved => {}
                    _ => break,
                }
                let Some(rec) = inner.records.pop_front() else {
                    break;
                };
                inner.used -= rec.cost;
                inner.cons_pos += rec.cost;
                rec
            };
            if rec.state == State::Submitted {
                let data = rec.mem.to_vec(0, rec.mem.len()).unwrap_or_default();
                f(&data);
                n += 1;
            }
        }
        n
    }

    /// `ringbuf_query`.
    pub(crate) fn query(&self, flags: u64) -> u64 {
        let inner = self.lock();
        match flags {
            BPF_RB_AVAIL_DATA => inner.prod_pos - inner.cons_pos,
            BPF_RB_RING_SIZE => self.capacity,
            BPF_RB_CONS_POS => inner.cons_pos,
            BPF_RB_PROD_POS => inner.prod_pos,
            _ => 0,
        }
    }

    /// The submitted records not yet drained, in order (a snapshot).
    pub(crate) fn pending(&self) -> Vec<Vec<u8>> {
        self.lock()
            .records
            .iter()
            .filter(|r| r.state == State::Submitted)
            .filter_map(|r| r.mem.to_vec(0, r.mem.len()))
            .collect()
    }
}
