//! Queue (FIFO) and stack (LIFO) maps: values without keys, pushed and popped whole.

use super::def::{BPF_EXIST, MapError, check_len, invalid};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// A queue's or stack's storage.
#[derive(Debug)]
pub(crate) struct QueueMap {
    lifo: bool,
    value_size: usize,
    max_entries: usize,
    items: Mutex<VecDeque<Vec<u8>>>,
}

impl QueueMap {
    pub(crate) fn new(value_size: u32, max_entries: u32, lifo: bool) -> QueueMap {
        QueueMap {
            lifo,
            value_size: value_size as usize,
            max_entries: max_entries as usize,
            items: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Vec<u8>>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `value`; when full, fails with `E2BIG` unless `flags` is `BPF_EXIST`, which drops the
    /// oldest value to make room.
    pub(crate) fn push(&self, value: &[u8], flags: u64) -> Result<(), MapError> {
        if flags & !BPF_EXIST != 0 {
            return Err(invalid(format!("push flags {flags:#x}")));
        }
        check_len(value, self.value_size)?;
        let mut items = self.lock();
        if items.len() >= self.max_entries {
            if flags != BPF_EXIST {
                return Err(MapError::Full);
            }
            items.pop_front();
        }
        items.push_back(value.to_vec());
        Ok(())
    }

    /// Removes (`take`) or copies the next value: the oldest for a queue, the newest for a
    /// stack.
    pub(crate) fn pop(&self, take: bool) -> Result<Vec<u8>, MapError> {
        let mut items = self.lock();
        let v = match (self.lifo, take) {
            (false, true) => items.pop_front(),
            (true, true) => items.pop_back(),
            (false, false) => items.front().cloned(),
            (true, false) => items.back().cloned(),
        };
        v.ok_or(MapError::NotFound)
    }

    /// Every value, oldest first: a snapshot.
    pub(crate) fn values(&self) -> Vec<Vec<u8>> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn value_size(&self) -> usize {
        self.value_size
    }
}
