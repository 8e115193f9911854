//! Redirect targets: `DEVMAP` and `DEVMAP_HASH` (interfaces: a `u32` ifindex, or
//! `struct bpf_devmap_val` with a program's fd or id after it), `CPUMAP` (CPUs: a `u32` queue
//! size, or `struct bpf_cpumap_val`) and `XSKMAP` (AF_XDP sockets: a `u32`, here the host's
//! handle), which `redirect_map` sends packets to. The host fills them with updates under
//! Linux's rules for each type (`kernel/bpf/devmap.c`, `cpumap.c`, `net/xdp/xskmap.c`);
//! oxbpf sends nothing itself: the redirect a program chose is recorded for the host
//! ([`redirect`](crate::redirect)).
//!
//! The values live in preallocated slots so that a program's `map_lookup_elem` (allowed on
//! device maps and XSKMAPs) returns a pointer to them; programs may not write them
//! ([`MapType::values_read_only`]). The program word of an 8-byte value is kept as given when
//! positive and reads as 0 otherwise (Linux replaces a program fd by the program's id; oxbpf runs
//! no per-entry program).

use super::def::{
    BPF_ANY, BPF_EXIST, BPF_NOEXIST, MapError, MapType, check_len, invalid, next_index, u32_key,
};
use super::hash::HashMap;

/// Largest CPU map queue size Linux accepts (a larger one is `EOVERFLOW`).
pub const CPUMAP_MAX_QSIZE: u32 = 16384;
/// Most entries a CPU map may have (Linux's `NR_CPUS` pre-limit, 8192 on common x86-64
/// configurations; a larger `max_entries` is `E2BIG`).
pub const NR_CPUS: u32 = 8192;

/// A redirect map's storage.
#[derive(Debug)]
pub(crate) struct Targets {
    kind: MapType,
    pub(crate) hash: HashMap,
    value_size: usize,
    max_entries: u32,
}

impl Targets {
    pub(crate) fn new(
        kind: MapType,
        value_size: u32,
        max_entries: u32,
    ) -> Result<Targets, MapError> {
        Ok(Targets {
            kind,
            hash: HashMap::new(4, value_size, max_entries, 1, false, None)?,
            value_size: value_size as usize,
            max_entries,
        })
    }

    /// Whether keys are indices below `max_entries` (every type but `DEVMAP_HASH`).
    fn indexed(&self) -> bool {
        self.kind != MapType::DevMapHash
    }

    /// `value` with its program word (the second `u32` of an 8-byte value) as stored.
    fn stored(&self, value: &[u8]) -> Vec<u8> {
        let mut v = value.to_vec();
        if v.len() == 8 && i32::from_le_bytes([v[4], v[5], v[6], v[7]]) <= 0 {
            v[4..].fill(0);
        }
        v
    }

    /// Sets entry `key` under Linux's rules for the type.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        let i = u32_key(key)?;
        check_len(value, self.value_size)?;
        let first = u32_key(&value[..4])?;
        let prog_fd = (value.len() == 8)
            .then(|| i32::from_le_bytes([value[4], value[5], value[6], value[7]]));
        if flags > BPF_EXIST {
            return Err(invalid(format!("update flags {flags:#x}")));
        }
        match self.kind {
            MapType::DevMapHash => {
                if first == 0 {
                    return Err(invalid("a device hash entry needs an ifindex"));
                }
                let exists = self.hash.lookup(key).is_ok();
                if exists && flags == BPF_NOEXIST {
                    return Err(MapError::Exists);
                }
                // BPF_EXIST on a missing key adds it, as Linux's device hash does.
                self.hash.update(key, &self.stored(value), BPF_ANY, None)
            }
            MapType::XskMap => {
                if i >= self.max_entries {
                    return Err(MapError::Full);
                }
                let exists = self.hash.lookup(key).is_ok();
                match (exists, flags) {
                    (true, BPF_NOEXIST) => Err(MapError::Exists),
                    (false, BPF_EXIST) => Err(MapError::NotFound),
                    _ => self.hash.update(key, value, BPF_ANY, None),
                }
            }
            // DEVMAP and CPUMAP: every index exists (NOEXIST is EEXIST), and a zero ifindex or
            // queue size empties the slot.
            _ => {
                if i >= self.max_entries {
                    return Err(MapError::Full);
                }
                if flags == BPF_NOEXIST {
                    return Err(MapError::Exists);
                }
                if self.kind == MapType::CpuMap {
                    if first > CPUMAP_MAX_QSIZE {
                        return Err(MapError::Overflow);
                    }
                    if i >= crate::cpu::count() {
                        return Err(MapError::NoDevice);
                    }
                }
                if first == 0 {
                    if self.kind == MapType::DevMap && prog_fd.is_some_and(|fd| fd > 0) {
                        return Err(invalid("a program without an ifindex"));
                    }
                    let _ = self.hash.delete(key);
                    return Ok(());
                }
                self.hash.update(key, &self.stored(value), BPF_ANY, None)
            }
        }
    }

    /// The host's lookup: the entry's value (`ENOENT` for an empty slot); Linux does not let
    /// the host look into an XSKMAP (`EOPNOTSUPP`).
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        if self.kind == MapType::XskMap {
            return Err(MapError::OpNotSupported(
                "the host cannot look up an XSKMAP's sockets".into(),
            ));
        }
        u32_key(key)?;
        self.hash.lookup(key)
    }

    /// The value of entry `key` (`redirect_map`'s target), if there is one.
    pub(crate) fn target(&self, key: u32) -> Option<Vec<u8>> {
        self.hash.lookup(&key.to_le_bytes()).ok()
    }

    /// Empties entry `key`: for arrays `EINVAL` past the end and no error for an empty slot;
    /// for `DEVMAP_HASH` `ENOENT` for a missing key.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        let i = u32_key(key)?;
        if !self.indexed() {
            return self.hash.delete(key);
        }
        if i >= self.max_entries {
            return Err(invalid(format!(
                "index {i} past {} entries",
                self.max_entries
            )));
        }
        let _ = self.hash.delete(key);
        Ok(())
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        if self.indexed() {
            next_index(key, self.max_entries)
        } else {
            self.hash.next_key(key)
        }
    }

    /// Every filled entry, in key order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all = self.hash.entries();
        all.sort_by_key(|(k, _)| u32_key(k).unwrap_or(u32::MAX));
        all
    }
}
