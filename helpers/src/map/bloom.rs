//! Bloom filters: values without keys, pushed (`map_push_elem`) to set bits and peeked
//! (`map_peek_elem`) to test them, as Linux's `kernel/bpf/bloom_filter.c` does: a value pushed
//! is always found (no false negatives); one never pushed may be (false positives).
//!
//! Linux takes the number of hash functions from `map_extra`'s low 4 bits, 5 when 0;
//! [`MapDef`](super::MapDef) has no `map_extra`, so every filter here uses 5. The bit array holds
//! `max_entries * 5 * 7 / 5` bits rounded up to a power of two (at least 64), as Linux sizes
//! it, and each hash is `jhash2` (or `jhash` for values not a multiple of 4 bytes) seeded with a
//! random seed (0 under `BPF_F_ZERO_SEED`) plus the function's index.

use super::def::{BPF_ANY, MapError, check_len, invalid};
use super::jhash::{jhash, jhash2};
use std::sync::{Mutex, MutexGuard};

/// Hash functions per value (Linux's default when `map_extra` is 0).
pub const BLOOM_HASHES: u32 = 5;

/// Bytes the bit array of a filter of `max_entries` takes (Linux's sizing).
pub(crate) fn bitset_bytes(max_entries: u32) -> u64 {
    bits(max_entries).div_ceil(64) * 8
}

/// Bits of the array: a power of two, or 2^32 when the sizing overflows as in Linux.
fn bits(max_entries: u32) -> u64 {
    let n = u64::from(max_entries) * u64::from(BLOOM_HASHES);
    let n = (n / 5) * 7;
    if u64::from(max_entries) * u64::from(BLOOM_HASHES) > u64::from(u32::MAX) || n > 1 << 31 {
        1 << 32
    } else {
        n.max(64).next_power_of_two()
    }
}

/// A bloom filter's storage.
#[derive(Debug)]
pub(crate) struct BloomFilter {
    value_size: usize,
    seed: u32,
    mask: u64,
    bitset: Mutex<Vec<u64>>,
}

impl BloomFilter {
    pub(crate) fn new(value_size: u32, max_entries: u32, zero_seed: bool) -> BloomFilter {
        let nbits = bits(max_entries);
        BloomFilter {
            value_size: value_size as usize,
            seed: if zero_seed {
                0
            } else {
                crate::env::prandom_u32()
            },
            mask: nbits - 1,
            bitset: Mutex::new(vec![0; nbits.div_ceil(64) as usize]),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u64>> {
        self.bitset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bit hash function `i` picks for `value`.
    fn bit(&self, value: &[u8], i: u32) -> u64 {
        let seed = self.seed.wrapping_add(i);
        let h = if value.len().is_multiple_of(4) {
            let words: Vec<u32> = value
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect();
            jhash2(&words, seed)
        } else {
            jhash(value, seed)
        };
        u64::from(h) & self.mask
    }

    /// Adds `value` (`map_push_elem`; flags must be `BPF_ANY`).
    pub(crate) fn push(&self, value: &[u8], flags: u64) -> Result<(), MapError> {
        if flags != BPF_ANY {
            return Err(invalid(format!("bloom filter push flags {flags:#x}")));
        }
        check_len(value, self.value_size)?;
        let mut bits = self.lock();
        for i in 0..BLOOM_HASHES {
            let b = self.bit(value, i);
            bits[(b / 64) as usize] |= 1 << (b % 64);
        }
        Ok(())
    }

    /// Whether `value` may have been pushed (`map_peek_elem`): `ENOENT` when it surely was not.
    pub(crate) fn peek(&self, value: &[u8]) -> Result<(), MapError> {
        check_len(value, self.value_size)?;
        let bits = self.lock();
        for i in 0..BLOOM_HASHES {
            let b = self.bit(value, i);
            if bits[(b / 64) as usize] & (1 << (b % 64)) == 0 {
                return Err(MapError::NotFound);
            }
        }
        Ok(())
    }

    pub(crate) fn value_size(&self) -> usize {
        self.value_size
    }
}
