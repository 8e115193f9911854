//! Stack trace maps: call stacks (instruction pointers, innermost first) by the id
//! `get_stackid` returns, as Linux's `kernel/bpf/stackmap.c` stores them.
//!
//! An id is the stack's `jhash2` masked to the bucket count (`max_entries` rounded up to a
//! power of two); each bucket holds one stack. A different stack hashing to a full bucket is
//! `EEXIST` unless `BPF_F_REUSE_STACKID` replaces it; with `BPF_F_FAST_STACK_CMP` a bucket of the
//! same hash is taken as the same stack without comparing frames. At most `max_entries`
//! stacks are held (Linux's preallocated elements): one more is `ENOMEM`.

use super::def::{MapError, invalid, u32_key};
use super::jhash::jhash2;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// `BPF_F_SKIP_FIELD_MASK`: the low 8 bits of `get_stackid`'s flags, frames to skip.
pub const BPF_F_SKIP_FIELD_MASK: u64 = 0xff;
/// `BPF_F_USER_STACK`: the user-space stack (the host supplies one stack; accepted).
pub const BPF_F_USER_STACK: u64 = 1 << 8;
/// `BPF_F_FAST_STACK_CMP`: a bucket of the same hash is the same stack.
pub const BPF_F_FAST_STACK_CMP: u64 = 1 << 9;
/// `BPF_F_REUSE_STACKID`: a different stack replaces the one in its bucket.
pub const BPF_F_REUSE_STACKID: u64 = 1 << 10;
/// Linux's default `kernel.perf_event_max_stack`: the most frames a stack holds.
pub const PERF_MAX_STACK: u32 = 127;

/// A stored stack.
#[derive(Debug)]
struct Bucket {
    hash: u32,
    ips: Vec<u64>,
}

/// A stack trace map's storage.
#[derive(Debug)]
pub(crate) struct StackTraceMap {
    /// Frames a value holds: `value_size / 8`.
    depth: u32,
    n_buckets: u64,
    max_entries: u32,
    buckets: Mutex<BTreeMap<u32, Bucket>>,
}

/// Whether `flags` are flags `get_stackid` takes.
pub(crate) fn valid_flags(flags: u64) -> bool {
    flags & !(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)
        == 0
}

impl StackTraceMap {
    pub(crate) fn new(value_size: u32, max_entries: u32) -> StackTraceMap {
        StackTraceMap {
            depth: value_size / 8,
            n_buckets: u64::from(max_entries).next_power_of_two(),
            max_entries,
            buckets: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u32, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `stack` (innermost frame first) under `flags` as `bpf_get_stackid` does; its id.
    pub(crate) fn get_stackid(&self, stack: &[u64], flags: u64) -> Result<u32, MapError> {
        if !valid_flags(flags) {
            return Err(invalid(format!("get_stackid flags {flags:#x}")));
        }
        let skip = (flags & BPF_F_SKIP_FIELD_MASK) as usize;
        // The frames Linux collects: the value's depth plus those skipped, at most the sysctl.
        let max_depth = (self.depth as usize + skip).min(PERF_MAX_STACK as usize);
        let trace = &stack[..stack.len().min(max_depth)];
        if trace.len() <= skip {
            return Err(MapError::Fault);
        }
        let ips = &trace[skip..];
        let words: Vec<u32> = ips
            .iter()
            .flat_map(|ip| [*ip as u32, (*ip >> 32) as u32])
            .collect();
        let hash = jhash2(&words, 0);
        let id = (u64::from(hash) & (self.n_buckets - 1)) as u32;
        let mut buckets = self.lock();
        if let Some(b) = buckets.get(&id) {
            if b.hash == hash && (flags & BPF_F_FAST_STACK_CMP != 0 || b.ips == ips) {
                return Ok(id);
            }
            if flags & BPF_F_REUSE_STACKID == 0 {
                return Err(MapError::Exists);
            }
        }
        // A new bucket comes from the preallocated ones before the old one goes back.
        if buckets.len() >= self.max_entries as usize {
            return Err(MapError::NoMemory);
        }
        buckets.insert(
            id,
            Bucket {
                hash,
                ips: ips.to_vec(),
            },
        );
        Ok(id)
    }

    /// The stack with id `key`, its frames zero-padded to the value size.
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        let id = u32_key(key)?;
        let buckets = self.lock();
        let b = buckets.get(&id).ok_or(MapError::NotFound)?;
        let mut value: Vec<u8> = b.ips.iter().flat_map(|ip| ip.to_le_bytes()).collect();
        value.resize(self.depth as usize * 8, 0);
        Ok(value)
    }

    /// Removes stack `key`: `E2BIG` for an id past the buckets, `ENOENT` for an empty one.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        let id = u32_key(key)?;
        if u64::from(id) >= self.n_buckets {
            return Err(MapError::Full);
        }
        self.lock()
            .remove(&id)
            .map(|_| ())
            .ok_or(MapError::NotFound)
    }

    /// The next id holding a stack (Linux's `stack_map_get_next_key`): from the start for none,
    /// an id past the buckets or an empty one.
    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let buckets = self.lock();
        let from = match key.map(u32_key).transpose()? {
            Some(id) if buckets.contains_key(&id) => id.checked_add(1),
            _ => Some(0),
        };
        from.and_then(|f| buckets.range(f..).next().map(|(id, _)| *id))
            .map(|id| id.to_le_bytes().to_vec())
            .ok_or(MapError::NotFound)
    }

    /// Every stack by id.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let ids: Vec<u32> = self.lock().keys().copied().collect();
        ids.into_iter()
            .filter_map(|id| {
                let k = id.to_le_bytes().to_vec();
                self.lookup(&k).ok().map(|v| (k, v))
            })
            .collect()
    }
}
