//! Socket maps (`SOCKMAP` by index, `SOCKHASH` by key): the host's sockets, named by their
//! 64-bit cookie, under Linux's rules (`net/core/sock_map.c`).
//!
//! Where Linux's update takes a socket's file descriptor, the host's takes the socket's cookie
//! (a `u32` or `u64` value, as the map's value size says); Linux's lookup from user space gives
//! the cookie back, for 8-byte values only (`ENOSPC` otherwise), and so does this one.
//! Programs may delete entries (Linux allows `map_delete_elem` on socket maps from any program
//! type); their lookups and updates take and return socket pointers in Linux, which oxbpf's
//! programs have none of: a program's lookup finds nothing and its update is `EINVAL`, and the
//! verifier's type sets refuse both ([`standard`](crate::standard)).

use super::def::{
    BPF_EXIST, BPF_NOEXIST, MapError, check_key, check_len, invalid, next_index, u32_key,
};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A socket map's storage: cookies by key.
#[derive(Debug)]
pub(crate) struct SocketMap {
    /// `SOCKMAP`: keys are indices below `max_entries`.
    indexed: bool,
    key_size: usize,
    value_size: usize,
    max_entries: u32,
    cookies: Mutex<BTreeMap<Vec<u8>, u64>>,
}

impl SocketMap {
    pub(crate) fn new(
        indexed: bool,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> SocketMap {
        SocketMap {
            indexed,
            key_size: key_size as usize,
            value_size: value_size as usize,
            max_entries,
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Vec<u8>, u64>> {
        self.cookies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores the cookie in `value` at `key` under `flags`.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        check_key(key, self.key_size)?;
        check_len(value, self.value_size)?;
        let cookie = match *value {
            [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d])),
            _ => u64::from_le_bytes(value.try_into().map_err(|_| invalid("socket value"))?),
        };
        if flags > BPF_EXIST {
            return Err(invalid(format!("update flags {flags:#x}")));
        }
        if self.indexed && u32_key(key)? >= self.max_entries {
            return Err(MapError::Full);
        }
        let mut cookies = self.lock();
        let exists = cookies.contains_key(key);
        match (exists, flags) {
            (true, BPF_NOEXIST) => return Err(MapError::Exists),
            (false, BPF_EXIST) => return Err(MapError::NotFound),
            (false, _) if cookies.len() >= self.max_entries as usize => return Err(MapError::Full),
            _ => {}
        }
        cookies.insert(key.to_vec(), cookie);
        Ok(())
    }

    /// The cookie at `key` (8-byte values only: `ENOSPC` otherwise).
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        check_key(key, self.key_size)?;
        if self.value_size != 8 {
            return Err(MapError::NoSpace);
        }
        self.lock()
            .get(key)
            .map(|c| c.to_le_bytes().to_vec())
            .ok_or(MapError::NotFound)
    }

    /// Removes `key`: for `SOCKMAP` `EINVAL` past the end or for an empty slot, for
    /// `SOCKHASH` `ENOENT` for a missing key.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        check_key(key, self.key_size)?;
        if self.indexed && u32_key(key)? >= self.max_entries {
            return Err(invalid("index past the end"));
        }
        match self.lock().remove(key) {
            Some(_) => Ok(()),
            None if self.indexed => Err(invalid("no socket at that index")),
            None => Err(MapError::NotFound),
        }
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        if self.indexed {
            return next_index(key, self.max_entries);
        }
        let cookies = self.lock();
        let next = match key {
            Some(k) if cookies.contains_key(k) => cookies
                .range::<[u8], _>((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded))
                .next(),
            _ => cookies.iter().next(),
        };
        next.map(|(k, _)| k.clone()).ok_or(MapError::NotFound)
    }

    /// Every key with its cookie (as 8 bytes), in key order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all: Vec<_> = self
            .lock()
            .iter()
            .map(|(k, c)| (k.clone(), c.to_le_bytes().to_vec()))
            .collect();
        if self.indexed {
            all.sort_by_key(|(k, _)| u32_key(k).unwrap_or(u32::MAX));
        }
        all
    }
}
