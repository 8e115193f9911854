//! LPM tries: values by prefix, looked up by longest-prefix match, as Linux's
//! `kernel/bpf/lpm_trie.c` does.
//!
//! A key is `struct bpf_lpm_trie_key`: a `u32` prefix length (host order) and `key_size - 4`
//! data bytes compared most significant bit first (network order). Updates and deletes name an
//! exact prefix; lookups find the longest stored prefix that matches the key's first
//! `prefixlen` bits. Iteration (next key) follows the trie in post-order: more specific
//! prefixes before the prefixes that contain them, a 0 bit before a 1 bit. Values live in
//! preallocated slots programs access directly (Linux allocates them on demand; here the slots
//! count against [`MAX_MAP_BYTES`](super::MAX_MAP_BYTES)).

use super::def::{BPF_EXIST, BPF_NOEXIST, MapError, check_key, check_len, invalid};
use super::slab::Slab;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A prefix: its length in bits and its data with every bit past the length cleared.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Prefix {
    len: u32,
    bits: Vec<u8>,
}

impl Prefix {
    /// The first `len` bits of `data`.
    fn of(data: &[u8], len: u32) -> Prefix {
        let mut bits = data.to_vec();
        let full = (len / 8) as usize;
        let rem = len % 8;
        if full < bits.len() {
            if rem > 0 {
                bits[full] &= 0xffu8 << (8 - rem);
                bits[full + 1..].fill(0);
            } else {
                bits[full..].fill(0);
            }
        }
        Prefix { len, bits }
    }
}

/// Post-order of the binary trie: within the bits both prefixes have, the first differing
/// bit puts the 0 side first; a prefix of the other comes after it (a child before its
/// parent).
impl Ord for Prefix {
    fn cmp(&self, other: &Prefix) -> Ordering {
        let common = self.len.min(other.len);
        let full = (common / 8) as usize;
        let rem = common % 8;
        let mut diff = self
            .bits
            .iter()
            .zip(&other.bits)
            .take(full)
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| (i, a ^ b));
        if diff.is_none() && rem > 0 {
            let mask = 0xffu8 << (8 - rem);
            let x = (self.bits[full] ^ other.bits[full]) & mask;
            if x != 0 {
                diff = Some((full, x));
            }
        }
        match diff {
            Some((i, x)) => {
                let bit = 0x80u8 >> x.leading_zeros();
                if self.bits[i] & bit == 0 {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            None => other.len.cmp(&self.len),
        }
    }
}

impl PartialOrd for Prefix {
    fn partial_cmp(&self, other: &Prefix) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A stored prefix: its value's slot and the key as last given (Linux keeps the data bytes past
/// the prefix too, and iteration returns them).
#[derive(Debug)]
struct Entry {
    slot: u32,
    key: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    entries: BTreeMap<Prefix, Entry>,
    /// How many entries have each prefix length.
    lens: BTreeMap<u32, usize>,
    free: Vec<u32>,
    fresh: u32,
}

/// An LPM trie's storage.
#[derive(Debug)]
pub(crate) struct LpmTrie {
    pub(crate) slab: Slab,
    key_size: usize,
    max_prefixlen: u32,
    max_entries: u32,
    inner: Mutex<Inner>,
}

impl LpmTrie {
    pub(crate) fn new(
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> Result<LpmTrie, MapError> {
        Ok(LpmTrie {
            slab: Slab::new(max_entries, value_size, 1, None)?,
            key_size: key_size as usize,
            max_prefixlen: (key_size - 4) * 8,
            max_entries,
            inner: Mutex::new(Inner {
                entries: BTreeMap::new(),
                lens: BTreeMap::new(),
                free: Vec::new(),
                fresh: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The prefix length and data of `key`.
    fn split<'k>(&self, key: &'k [u8]) -> Result<(u32, &'k [u8]), MapError> {
        check_key(key, self.key_size)?;
        let len = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
        Ok((len, &key[4..]))
    }

    /// The slot of the longest stored prefix matching `key`.
    fn longest(&self, key: &[u8]) -> Option<u32> {
        let (len, data) = self.split(key).ok()?;
        if len > self.max_prefixlen {
            return None;
        }
        let inner = self.lock();
        inner
            .lens
            .range(..=len)
            .rev()
            .find_map(|(&l, _)| inner.entries.get(&Prefix::of(data, l)).map(|e| e.slot))
    }

    /// Address of the value of the longest prefix matching `key`, for a program.
    pub(crate) fn lookup_addr(&self, key: &[u8]) -> Option<u64> {
        self.longest(key).map(|s| self.slab.addr(s, 0))
    }

    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.split(key)?;
        let s = self.longest(key).ok_or(MapError::NotFound)?;
        Ok(self.slab.read_host(s))
    }

    /// Sets the value of the exact prefix `key` under `flags`.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        if flags > BPF_EXIST {
            return Err(invalid(format!("update flags {flags:#x}")));
        }
        let (len, data) = self.split(key)?;
        if len > self.max_prefixlen {
            return Err(invalid(format!(
                "prefix length {len} above {}",
                self.max_prefixlen
            )));
        }
        check_len(value, self.slab.value_size)?;
        let prefix = Prefix::of(data, len);
        let mut inner = self.lock();
        let slot = match inner.entries.get_mut(&prefix) {
            Some(_) if flags == BPF_NOEXIST => return Err(MapError::Exists),
            Some(e) => {
                e.key = key.to_vec();
                e.slot
            }
            None if flags == BPF_EXIST => return Err(MapError::NotFound),
            None => {
                if inner.entries.len() >= self.max_entries as usize {
                    return Err(MapError::NoSpace);
                }
                let slot = match inner.free.pop() {
                    Some(s) => s,
                    None => {
                        inner.fresh += 1;
                        inner.fresh - 1
                    }
                };
                inner.entries.insert(
                    prefix,
                    Entry {
                        slot,
                        key: key.to_vec(),
                    },
                );
                *inner.lens.entry(len).or_default() += 1;
                slot
            }
        };
        self.slab.write_host(slot, value)
    }

    /// Removes the exact prefix `key`.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        let (len, data) = self.split(key)?;
        if len > self.max_prefixlen {
            return Err(invalid(format!(
                "prefix length {len} above {}",
                self.max_prefixlen
            )));
        }
        let mut inner = self.lock();
        let e = inner
            .entries
            .remove(&Prefix::of(data, len))
            .ok_or(MapError::NotFound)?;
        inner.free.push(e.slot);
        if let Some(n) = inner.lens.get_mut(&len) {
            *n -= 1;
            if *n == 0 {
                inner.lens.remove(&len);
            }
        }
        Ok(())
    }

    /// The stored key after the exact prefix `key` in post-order; the first for none, a bad
    /// length or a prefix not stored.
    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let at = match key {
            Some(k) => {
                let (len, data) = self.split(k)?;
                (len <= self.max_prefixlen).then(|| Prefix::of(data, len))
            }
            None => None,
        };
        let inner = self.lock();
        let next = match at {
            Some(p) if inner.entries.contains_key(&p) => inner
                .entries
                .range((std::ops::Bound::Excluded(p), std::ops::Bound::Unbounded))
                .next(),
            _ => inner.entries.iter().next(),
        };
        next.map(|(_, e)| e.key.clone()).ok_or(MapError::NotFound)
    }

    /// Every entry in post-order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let inner = self.lock();
        inner
            .entries
            .values()
            .map(|e| (e.key.clone(), self.slab.read_host(e.slot)))
            .collect()
    }
}
