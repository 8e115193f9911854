//! Maps of maps (`ARRAY_OF_MAPS`, `HASH_OF_MAPS`): inner maps by index or key, each matching
//! the outer map's template ([`MapDef::inner`](super::MapDef::inner)) as Linux's
//! `bpf_map_meta_equal` requires: the same type, key size, value size and flags (and, for
//! arrays without `BPF_F_INNER_MAP`, the same `max_entries`).
//!
//! A program's `map_lookup_elem` on a map of maps gives the inner map's handle, which the map
//! helpers then take like any map's; the host's [`lookup`](super::Map::lookup) gives the inner
//! map's [`id`](super::Map::id), as Linux's syscall gives its id.

use super::Map;
use super::def::{
    BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_NOEXIST, MapDef, MapError, MapType, check_key,
    invalid, next_index, u32_key,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A map of maps' storage.
#[derive(Debug)]
pub(crate) struct MapsOfMaps {
    template: MapDef,
    /// Array semantics (an index below `max_entries`) rather than hash semantics.
    indexed: bool,
    key_size: usize,
    max_entries: u32,
    maps: Mutex<BTreeMap<Vec<u8>, Arc<Map>>>,
}

/// Why `template` cannot be the template of a map of maps, if it cannot: maps of maps do not
/// nest (`EINVAL`), and Linux has no `map_meta_equal` for prog arrays and cgroup storage
/// (`ENOTSUPP`).
pub(crate) fn check_template(template: &MapDef) -> Result<(), MapError> {
    match template.map_type {
        t if t.holds_maps() => Err(invalid("maps of maps do not hold maps of maps")),
        MapType::ProgArray | MapType::CgroupStorage | MapType::PercpuCgroupStorage => {
            Err(MapError::Unsupported(format!(
                "{} maps cannot be inner maps",
                template.map_type.name()
            )))
        }
        _ => Ok(()),
    }
}

/// Whether `inner` may be held by a map whose template is `template`.
fn matches(template: &MapDef, inner: &MapDef) -> bool {
    let same = template.map_type == inner.map_type
        && template.key_size == inner.key_size
        && template.value_size == inner.value_size
        && template.flags == inner.flags;
    let arrays = matches!(template.map_type, MapType::Array | MapType::PercpuArray);
    same && (!arrays
        || template.flags & BPF_F_INNER_MAP != 0
        || template.max_entries == inner.max_entries)
}

impl MapsOfMaps {
    pub(crate) fn new(def: &MapDef, template: MapDef) -> MapsOfMaps {
        MapsOfMaps {
            template,
            indexed: def.map_type == MapType::ArrayOfMaps,
            key_size: def.key_size as usize,
            max_entries: def.max_entries,
            maps: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Vec<u8>, Arc<Map>>> {
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `key`: its size, and for arrays its index (`E2BIG` past the end).
    fn check(&self, key: &[u8]) -> Result<(), MapError> {
        check_key(key, self.key_size)?;
        if self.indexed && u32_key(key)? >= self.max_entries {
            return Err(MapError::Full);
        }
        Ok(())
    }

    /// Puts `map` at `key` under `flags`: arrays take `BPF_ANY` only, hashes follow the update
    /// flags and hold at most `max_entries` maps (`E2BIG`); a map not matching the template is
    /// `EINVAL`.
    pub(crate) fn set(&self, key: &[u8], map: Arc<Map>, flags: u64) -> Result<(), MapError> {
        if flags > BPF_EXIST || (self.indexed && flags != BPF_ANY) {
            return Err(invalid(format!("update flags {flags:#x}")));
        }
        self.check(key)?;
        if !matches(&self.template, map.def()) {
            return Err(invalid(format!(
                "map `{}` does not match the inner map template",
                map.name()
            )));
        }
        let mut maps = self.lock();
        let exists = maps.contains_key(key);
        if !self.indexed {
            match (exists, flags) {
                (true, BPF_NOEXIST) => return Err(MapError::Exists),
                (false, BPF_EXIST) => return Err(MapError::NotFound),
                (false, _) if maps.len() >= self.max_entries as usize => {
                    return Err(MapError::Full);
                }
                _ => {}
            }
        }
        maps.insert(key.to_vec(), map);
        Ok(())
    }

    /// The map at `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Arc<Map>> {
        self.check(key).ok()?;
        self.lock().get(key).cloned()
    }

    /// The host's lookup: the inner map's id.
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.check(key).map_err(|e| match e {
            MapError::Full => MapError::NotFound,
            e => e,
        })?;
        self.lock()
            .get(key)
            .map(|m| m.id().to_le_bytes().to_vec())
            .ok_or(MapError::NotFound)
    }

    /// Removes the map at `key` (`ENOENT` when there is none).
    pub(crate) fn delete(&self, key: &[u8]) -> Result<Arc<Map>, MapError> {
        self.check(key)?;
        self.lock().remove(key).ok_or(MapError::NotFound)
    }

    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        if self.indexed {
            return next_index(key, self.max_entries);
        }
        let maps = self.lock();
        let next = match key {
            Some(k) if maps.contains_key(k) => maps
                .range::<[u8], _>((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded))
                .next(),
            _ => maps.iter().next(),
        };
        next.map(|(k, _)| k.clone()).ok_or(MapError::NotFound)
    }

    /// Every key with its map.
    pub(crate) fn maps(&self) -> Vec<(Vec<u8>, Arc<Map>)> {
        let mut all: Vec<_> = self
            .lock()
            .iter()
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect();
        if self.indexed {
            all.sort_by_key(|(k, _)| u32_key(k).unwrap_or(u32::MAX));
        }
        all
    }

    /// The held map whose handle is `handle`.
    pub(crate) fn by_handle(&self, handle: u64) -> Option<Arc<Map>> {
        self.lock().values().find(|m| m.handle() == handle).cloned()
    }
}
