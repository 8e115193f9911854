//! Maps with Linux semantics, shared by the host and by programs on any number of threads.
//!
//! A [`Map`] is created from a [`MapDef`] and reached by programs through its
//! [`handle`](Map::handle), the value `lddw` loads for it; the host uses the methods below, with
//! Linux's rules: update flags, negative errno values ([`MapError`]), iteration by next key.
//!
//! Each type's storage and rules live in a file named for what it holds: `array`, `hash`
//! (hash, per-CPU and LRU hashes), `prefixes` (LPM tries), `queue`, `ringbuf`, `perf` (perf
//! event arrays), `stacks` (stack traces), `fd_array` (cgroup arrays), `of_maps` (maps of maps),
//! `targets` (device, CPU and XSK maps), `sockets` (socket maps), `cgroup_storage`, `bloom`;
//! `check` holds the definition rules.

mod array;
mod bloom;
mod cgroup_storage;
mod check;
mod def;
mod fd_array;
mod hash;
mod jhash;
mod of_maps;
mod perf;
mod prefixes;
mod queue;
pub mod ringbuf;
mod slab;
mod sockets;
mod stacks;
mod targets;

pub use bloom::BLOOM_HASHES;
pub use cgroup_storage::{CGROUP_STORAGE_MAX_VALUE, PERCPU_CGROUP_STORAGE_MAX_VALUE};
pub use def::{
    BPF_ANY, BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_NO_COMMON_LRU,
    BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
    BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST,
    MAX_MAP_BYTES, MapDef, MapError, MapType, Pinning, RINGBUF_OVERWRITE,
};
pub use perf::PERF_DEFAULT_CAPACITY;
pub(crate) use stacks::valid_flags as stacks_valid_flags;
pub use stacks::{
    BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK,
    PERF_MAX_STACK,
};
pub use targets::{CPUMAP_MAX_QSIZE, NR_CPUS};

use array::ArrayMap;
use bloom::BloomFilter;
use cgroup_storage::CgroupStorage;
use def::{invalid, round8, u32_key};
use fd_array::FdArray;
use hash::HashMap;
use of_maps::MapsOfMaps;
use oxbpf_core::{Executable, SharedMemory, SharedRegion};
use perf::PerfEventArray;
use prefixes::LpmTrie;
use queue::QueueMap;
use ringbuf::RingBuf;
use sockets::SocketMap;
use stacks::StackTraceMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use targets::Targets;

/// The value `lddw` loads for map `id`: a tag no program memory has, so a handle never passes a
/// bounds check and helpers recognise it.
pub const MAP_HANDLE_BASE: u64 = 0xffff_b9f0_0000_0000;

/// Most programs a prog array holds, and most tail calls one run makes (Linux's
/// `MAX_TAIL_CALL_CNT`).
pub const MAX_TAIL_CALLS: usize = 33;

/// A program a prog array holds.
pub type TailTarget = Arc<dyn Executable>;

enum Store {
    Array(ArrayMap),
    Hash(HashMap),
    Queue(QueueMap),
    RingBuf(RingBuf),
    ProgArray(Mutex<Vec<Option<TailTarget>>>),
    Perf(PerfEventArray),
    Stacks(StackTraceMap),
    Handles(FdArray<u32>),
    Prefixes(LpmTrie),
    Maps(MapsOfMaps),
    Targets(Targets),
    Sockets(SocketMap),
    Storage(CgroupStorage),
    Bloom(BloomFilter),
}

/// A map.
pub struct Map {
    id: u32,
    def: MapDef,
    store: Store,
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map")
            .field("id", &self.id)
            .field("def", &self.def)
            .finish_non_exhaustive()
    }
}

/// Maps in a [`MapSet`] by id, for an update of a map of maps that names its inner map by id.
fn registry() -> std::sync::MutexGuard<'static, BTreeMap<u32, Weak<Map>>> {
    static REGISTRY: Mutex<BTreeMap<u32, Weak<Map>>> = Mutex::new(BTreeMap::new());
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Map {
    fn drop(&mut self) {
        registry().remove(&self.id);
    }
}

impl Map {
    /// A new, empty map as `def` describes it (per-CPU maps with one value for each of
    /// [`cpu::count`](crate::cpu::count) CPUs; a perf event array of `max_entries` 0 gets one
    /// entry per CPU, as libbpf gives it).
    pub fn new(mut def: MapDef) -> Result<Map, MapError> {
        static NEXT_ID: AtomicU32 = AtomicU32::new(1);
        if def.map_type == MapType::PerfEventArray && def.max_entries == 0 {
            def.max_entries = crate::cpu::count();
        }
        check::check_def(&def)?;
        let ncpus = if def.map_type.is_percpu() {
            crate::cpu::count()
        } else {
            1
        };
        let (k, v, max) = (def.key_size, def.value_size, def.max_entries);
        let store = match def.map_type {
            MapType::Array | MapType::PercpuArray => {
                Store::Array(ArrayMap::new(v, max, ncpus, def.spin_lock)?)
            }
            MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash => {
                let lru = matches!(def.map_type, MapType::LruHash | MapType::LruPercpuHash);
                Store::Hash(HashMap::new(k, v, max, ncpus, lru, def.spin_lock)?)
            }
            MapType::Queue | MapType::Stack => {
                Store::Queue(QueueMap::new(v, max, def.map_type == MapType::Stack))
            }
            MapType::RingBuf => {
                Store::RingBuf(RingBuf::new(max, def.flags & RINGBUF_OVERWRITE != 0))
            }
            MapType::ProgArray => {
                let n = (max as usize).min(1 << 20);
                Store::ProgArray(Mutex::new(vec![None; n]))
            }
            MapType::PerfEventArray => Store::Perf(PerfEventArray::new(max)),
            MapType::StackTrace => Store::Stacks(StackTraceMap::new(v, max)),
            MapType::CgroupArray => Store::Handles(FdArray::new(max)),
            MapType::LpmTrie => Store::Prefixes(LpmTrie::new(k, v, max)?),
            MapType::ArrayOfMaps | MapType::HashOfMaps => {
                let template = def.inner.as_deref().cloned().ok_or_else(|| {
                    invalid("a map of maps needs the definition of its inner maps")
                })?;
                Store::Maps(MapsOfMaps::new(&def, template))
            }
            MapType::DevMap | MapType::DevMapHash | MapType::CpuMap | MapType::XskMap => {
                Store::Targets(Targets::new(def.map_type, v, max)?)
            }
            MapType::SockMap | MapType::SockHash => {
                Store::Sockets(SocketMap::new(def.map_type == MapType::SockMap, k, v, max))
            }
            MapType::CgroupStorage | MapType::PercpuCgroupStorage => {
                Store::Storage(CgroupStorage::new(k, v, ncpus, def.spin_lock))
            }
            MapType::BloomFilter => {
                Store::Bloom(BloomFilter::new(v, max, def.flags & BPF_F_ZERO_SEED != 0))
            }
        };
        Ok(Map {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            def,
            store,
        })
    }

    /// The map's id, unique in this process.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The map's definition.
    pub fn def(&self) -> &MapDef {
        &self.def
    }

    /// The value `lddw` loads for this map (`lddw src=1`, a map by fd, after loading).
    pub fn handle(&self) -> u64 {
        MAP_HANDLE_BASE | u64::from(self.id)
    }

    /// The memory programs reach values through (array, hash, LPM trie, device and XSK maps),
    /// with whether programs may write it.
    pub fn region(&self) -> Option<SharedRegion> {
        let slab = match &self.store {
            Store::Array(a) => &a.slab,
            Store::Hash(h) => &h.slab,
            Store::Prefixes(p) => &p.slab,
            Store::Targets(t) => &t.hash.slab,
            _ => return None,
        };
        Some(SharedRegion {
            memory: slab.mem.clone(),
            writable: !self.def.read_only_to_programs(),
        })
    }

    /// The address of byte `offset` of the first value of an array map (for `lddw src=2`,
    /// global data), if it lies inside that value.
    pub fn value_addr(&self, offset: u32) -> Option<u64> {
        match &self.store {
            Store::Array(a) if offset < self.def.value_size => {
                Some(a.slab.mem.addr() + u64::from(offset))
            }
            _ => None,
        }
    }

    fn unsupported(&self, op: &str) -> MapError {
        invalid(format!("{op} on a {} map", self.def.map_type.name()))
    }

    /// Bytes [`lookup`](Self::lookup) returns: the value size, or for per-CPU maps every CPU's
    /// value at an 8-byte-multiple stride (for socket maps the 8-byte cookie, for maps of maps
    /// the 4-byte id of the inner map).
    pub fn lookup_len(&self) -> usize {
        if self.def.map_type.is_percpu() {
            round8(self.def.value_size as usize) * crate::cpu::count() as usize
        } else if matches!(self.store, Store::Sockets(_)) {
            8
        } else {
            self.def.value_size as usize
        }
    }

    /// The value of `key` (for per-CPU maps, every CPU's value at an 8-byte-multiple stride;
    /// for an LPM trie, the value of the longest matching prefix; for a map of maps, the inner
    /// map's [`id`](Self::id); for a stack trace map, the stack's frames zero-padded; for a socket
    /// map, the socket's cookie). Perf event and cgroup arrays have no lookup from the host
    /// (`ENOTSUPP`, see [`handle_at`](Self::handle_at)), XSKMAPs neither (`EOPNOTSUPP`), and a
    /// bloom filter tests values with [`peek_value`](Self::peek_value) (`EINVAL` here).
    pub fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Array(a) => a.lookup(key),
            Store::Hash(h) => h.lookup(key),
            Store::Prefixes(p) => p.lookup(key),
            Store::Maps(m) => m.lookup(key),
            Store::Targets(t) => t.lookup(key),
            Store::Sockets(s) => s.lookup(key),
            Store::Storage(s) => s.lookup(key),
            Store::Stacks(s) => s.lookup(key),
            Store::Perf(_) | Store::Handles(_) => Err(fd_array::no_lookup()),
            _ => Err(self.unsupported("lookup")),
        }
    }

    /// Sets the value of `key` (for per-CPU maps, every CPU's value as [`lookup`](Self::lookup)
    /// returns them) under `flags` ([`BPF_ANY`], [`BPF_NOEXIST`], [`BPF_EXIST`]), with each
    /// type's rules: a queue, stack or bloom filter (empty key) pushes; a perf event array opens
    /// a reader of [`PERF_DEFAULT_CAPACITY`] named by the 4-byte handle in `value`; a map of
    /// maps takes the [`id`](Self::id) of a map in some [`MapSet`] (`EBADF` for an unknown id;
    /// see also [`set_inner`](Self::set_inner)); a socket map takes the socket's cookie; cgroup
    /// storage replaces existing values only. Stack trace maps take no updates (`EINVAL`).
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        self.update_as(key, value, flags, None)
    }

    /// An update by the host (`cpu` = `None`) or by a program on `cpu`.
    pub(crate) fn update_as(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: Option<u32>,
    ) -> Result<(), MapError> {
        match &self.store {
            Store::Array(_) | Store::Hash(_) if flags > BPF_EXIST => {
                Err(invalid(format!("update flags {flags:#x}")))
            }
            Store::Array(a) => a.update(key, value, flags, cpu),
            Store::Hash(h) => h.update(key, value, flags, cpu),
            Store::Queue(q) if key.is_empty() => q.push(value, flags),
            Store::Prefixes(p) => p.update(key, value, flags),
            // Programs change no other map with map_update_elem (Linux's verifier refuses it).
            _ if cpu.is_some() => Err(self.unsupported("a program's update")),
            Store::Bloom(b) if key.is_empty() => b.push(value, flags),
            Store::Perf(p) => p.update(key, value, flags),
            Store::Handles(h) => {
                def::check_len(value, 4)?;
                h.set(key, u32_key(value)?, flags).map(|_| ())
            }
            Store::Maps(m) => {
                def::check_len(value, 4)?;
                let id = u32_key(value)?;
                let inner = registry()
                    .get(&id)
                    .and_then(Weak::upgrade)
                    .ok_or(MapError::BadHandle(id))?;
                m.set(key, inner, flags)
            }
            Store::Targets(t) => t.update(key, value, flags),
            Store::Sockets(s) => s.update(key, value, flags),
            Store::Storage(s) => s.update(key, value, flags),
            _ => Err(self.unsupported("update")),
        }
    }

    /// One CPU's value of `key` (for maps that are not per-CPU, the value).
    pub fn lookup_on_cpu(&self, key: &[u8], cpu: u32) -> Result<Vec<u8>, MapError> {
        let one = |all: Vec<u8>| {
            let stride = round8(self.def.value_size as usize);
            let at = stride * (cpu as usize % (all.len() / stride.max(1)).max(1));
            all[at..at + self.def.value_size as usize].to_vec()
        };
        match &self.store {
            Store::Array(a) => a.lookup_cpu(key, cpu),
            Store::Hash(h) if self.def.map_type.is_percpu() => h.lookup(key).map(one),
            Store::Storage(s) if self.def.map_type.is_percpu() => s.lookup(key).map(one),
            _ => self.lookup(key),
        }
    }

    /// Sets one CPU's value of `key` (for maps that are not per-CPU, the value), as a program
    /// on `cpu` would.
    pub fn update_on_cpu(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: u32,
    ) -> Result<(), MapError> {
        self.update_as(key, value, flags, Some(cpu))
    }

    /// Atomically adds `delta` to the first 8 bytes of element `key` of an array map on `cpu`;
    /// returns the old value.
    pub fn fetch_add(&self, key: &[u8], cpu: u32, delta: u64) -> Result<u64, MapError> {
        match &self.store {
            Store::Array(a) => a.fetch_add(key, cpu, delta),
            _ => Err(self.unsupported("atomic add")),
        }
    }

    /// Submits `data` as one record of a ring buffer, as `bpf_ringbuf_output` does; `E2BIG`
    /// when there is no room.
    pub fn output(&self, data: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::RingBuf(r) if r.output(data) => Ok(()),
            Store::RingBuf(_) => Err(MapError::Full),
            _ => Err(self.unsupported("output")),
        }
    }

    /// Consumes the oldest submitted record of a ring buffer, if any.
    pub fn consume_one(&self) -> Option<Vec<u8>> {
        let Store::RingBuf(r) = &self.store else {
            return None;
        };
        let mut out = None;
        r.drain_up_to(1, |rec| out = Some(rec.to_vec()));
        out
    }

    /// Records a ring buffer in overwrite mode ([`RINGBUF_OVERWRITE`]) dropped to make room.
    pub fn ring_dropped(&self) -> u64 {
        match &self.store {
            Store::RingBuf(r) => r.dropped(),
            _ => 0,
        }
    }

    /// The submitted records of a ring buffer not yet consumed, oldest first (a snapshot).
    pub fn pending_records(&self) -> Vec<Vec<u8>> {
        match &self.store {
            Store::RingBuf(r) => r.pending(),
            _ => Vec::new(),
        }
    }

    /// Deletes `key` with each type's rules (arrays, cgroup storage cannot: `EINVAL`; bloom
    /// filters: `EOPNOTSUPP`; device, CPU and XSK maps empty the slot without error).
    pub fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::Hash(h) => h.delete(key),
            Store::ProgArray(p) => {
                let i = prog_index(key)?;
                let mut p = p.lock().unwrap_or_else(|e| e.into_inner());
                match p.get_mut(i) {
                    Some(slot) => slot.take().map(|_| ()).ok_or(MapError::NotFound),
                    None => Err(MapError::Full),
                }
            }
            Store::Prefixes(p) => p.delete(key),
            Store::Maps(m) => m.delete(key).map(|_| ()),
            Store::Targets(t) => t.delete(key),
            Store::Sockets(s) => s.delete(key),
            Store::Stacks(s) => s.delete(key),
            Store::Perf(p) => p.slots.delete(key).map(|_| ()),
            Store::Handles(h) => h.delete(key).map(|_| ()),
            Store::Bloom(_) => Err(MapError::OpNotSupported(
                "bloom filters have no delete".into(),
            )),
            _ => Err(self.unsupported("delete")),
        }
    }

    /// The key after `key` (the first with `None`, or when `key` is absent), as
    /// `BPF_MAP_GET_NEXT_KEY`; `ENOENT` after the last.
    pub fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Array(a) => a.next_key(key),
            Store::Hash(h) => h.next_key(key),
            Store::Prefixes(p) => p.next_key(key),
            Store::Maps(m) => m.next_key(key),
            Store::Targets(t) => t.next_key(key),
            Store::Sockets(s) => s.next_key(key),
            Store::Stacks(s) => s.next_key(key),
            Store::Perf(p) => p.slots.next_key(key),
            Store::Handles(h) => h.next_key(key),
            Store::Storage(s) => s.next_key(key),
            Store::Bloom(_) => Err(MapError::OpNotSupported(
                "bloom filters have no keys".into(),
            )),
            _ => Err(self.unsupported("next key")),
        }
    }

    /// Every key and value, in iteration order (a snapshot; for queues and stacks the values
    /// oldest first with empty keys, for ring buffers the submitted records not yet drained;
    /// perf event and cgroup arrays give each filled index with its handle, maps of maps each
    /// key with the inner map's id, socket maps each key with its cookie; bloom filters none).
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        match &self.store {
            Store::Hash(h) => h.entries(),
            Store::Array(_) => {
                let mut out = Vec::new();
                let mut key = None;
                while let Ok(k) = self.next_key(key.as_deref()) {
                    if let Ok(v) = self.lookup(&k) {
                        out.push((k.clone(), v));
                    }
                    key = Some(k);
                }
                out
            }
            Store::Queue(q) => q.values().into_iter().map(|v| (Vec::new(), v)).collect(),
            Store::RingBuf(r) => r.pending().into_iter().map(|v| (Vec::new(), v)).collect(),
            Store::ProgArray(p) => {
                let p = p.lock().unwrap_or_else(|e| e.into_inner());
                (0u32..)
                    .zip(p.iter())
                    .filter(|(_, e)| e.is_some())
                    .map(|(i, _)| (i.to_le_bytes().to_vec(), Vec::new()))
                    .collect()
            }
            Store::Perf(p) => p.entries(),
            Store::Handles(h) => h
                .lock()
                .iter()
                .map(|(i, v)| (i.to_le_bytes().to_vec(), v.to_le_bytes().to_vec()))
                .collect(),
            Store::Prefixes(p) => p.entries(),
            Store::Maps(m) => m
                .maps()
                .into_iter()
                .map(|(k, m)| (k, m.id().to_le_bytes().to_vec()))
                .collect(),
            Store::Targets(t) => t.entries(),
            Store::Sockets(s) => s.entries(),
            Store::Stacks(s) => s.entries(),
            Store::Storage(s) => s.entries(),
            Store::Bloom(_) => Vec::new(),
        }
    }

    /// Pushes `value` onto a queue or stack (`BPF_EXIST` drops the oldest value when full), or
    /// adds it to a bloom filter (`BPF_ANY` only).
    pub fn push(&self, value: &[u8], flags: u64) -> Result<(), MapError> {
        match &self.store {
            Store::Queue(q) => q.push(value, flags),
            Store::Bloom(b) => b.push(value, flags),
            _ => Err(self.unsupported("push")),
        }
    }

    /// Removes and returns the next value of a queue (oldest) or stack (newest); bloom filters
    /// have no pop (`EOPNOTSUPP`).
    pub fn pop(&self) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Queue(q) => q.pop(true),
            Store::Bloom(_) => Err(MapError::OpNotSupported("bloom filters have no pop".into())),
            _ => Err(self.unsupported("pop")),
        }
    }

    /// The next value of a queue or stack, left in place (bloom filters test a given value:
    /// [`peek_value`](Self::peek_value)).
    pub fn peek(&self) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Queue(q) => q.pop(false),
            _ => Err(self.unsupported("peek without a value")),
        }
    }

    /// Whether a bloom filter may hold `value` (`map_peek_elem`): `Ok` when every bit it hashes
    /// to is set, `ENOENT` when it surely was never pushed.
    pub fn peek_value(&self, value: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::Bloom(b) => b.peek(value),
            _ => Err(self.unsupported("peek of a value")),
        }
    }

    /// Hands each submitted ring-buffer record to `f`, in order, and frees its space; returns
    /// how many there were (0 for other map types).
    pub fn drain(&self, f: impl FnMut(&[u8])) -> usize {
        match &self.store {
            Store::RingBuf(r) => r.drain(f),
            _ => 0,
        }
    }

    /// Puts `program` at `index` of a prog array, for tail calls.
    pub fn set_program(&self, index: u32, program: TailTarget) -> Result<(), MapError> {
        match &self.store {
            Store::ProgArray(p) => {
                let mut p = p.lock().unwrap_or_else(|e| e.into_inner());
                let slot = p.get_mut(index as usize).ok_or(MapError::Full)?;
                *slot = Some(program);
                Ok(())
            }
            _ => Err(self.unsupported("set program")),
        }
    }

    // Maps of maps.

    /// Puts `map` at `key` of a map of maps (replacing what was there): `EINVAL` unless it
    /// matches the template ([`MapDef::inner`]: type, key and value sizes, flags, and for arrays
    /// `max_entries` unless the template has [`BPF_F_INNER_MAP`]); `E2BIG` for an index past
    /// the end or a full hash of maps.
    pub fn set_inner(&self, key: &[u8], map: Arc<Map>) -> Result<(), MapError> {
        match &self.store {
            Store::Maps(m) => m.set(key, map, BPF_ANY),
            _ => Err(self.unsupported("set inner map")),
        }
    }

    /// The map at `key` of a map of maps.
    pub fn inner(&self, key: &[u8]) -> Option<Arc<Map>> {
        match &self.store {
            Store::Maps(m) => m.get(key),
            _ => None,
        }
    }

    /// Every map a map of maps holds, with its key (none for other types).
    pub fn inner_maps(&self) -> Vec<(Vec<u8>, Arc<Map>)> {
        match &self.store {
            Store::Maps(m) => m.maps(),
            _ => Vec::new(),
        }
    }

    /// The map this map of maps holds whose handle is `handle`.
    pub(crate) fn inner_by_handle(&self, handle: u64) -> Option<Arc<Map>> {
        match &self.store {
            Store::Maps(m) => m.by_handle(handle),
            _ => None,
        }
    }

    // Perf event arrays, cgroup arrays.

    /// Opens a reader on `index` of a perf event array, named by the host's `handle`, keeping
    /// up to `capacity` bytes of records (each record costs perf's 8-byte header, a 4-byte size
    /// and its data, padded to 8 bytes); a reader already there is replaced and its records
    /// dropped. `E2BIG` for an index past the end.
    pub fn perf_open(&self, index: u32, handle: u32, capacity: u64) -> Result<(), MapError> {
        match &self.store {
            Store::Perf(p) => p.open(index, handle, capacity),
            _ => Err(self.unsupported("perf open")),
        }
    }

    /// Closes the reader on `index` of a perf event array, dropping its records (`ENOENT` when
    /// there is none): programs writing there get `-ENOENT`.
    pub fn perf_close(&self, index: u32) -> Result<(), MapError> {
        self.delete(&index.to_le_bytes())
    }

    /// Takes the records written to `index` of a perf event array, oldest first, freeing
    /// their room.
    pub fn take_perf_records(&self, index: u32) -> Vec<Vec<u8>> {
        match &self.store {
            Store::Perf(p) => p.take(index),
            _ => Vec::new(),
        }
    }

    /// Records the reader on `index` of a perf event array dropped because they did not fit
    /// (perf's lost records), since it was opened.
    pub fn perf_lost(&self, index: u32) -> u64 {
        match &self.store {
            Store::Perf(p) => p.lost(index),
            _ => 0,
        }
    }

    /// The host handle at `index` of a perf event array (its reader's) or a cgroup array.
    pub fn handle_at(&self, index: u32) -> Option<u32> {
        match &self.store {
            Store::Perf(p) => p.handle(index),
            Store::Handles(h) => h.lock().get(&index).copied(),
            _ => None,
        }
    }

    /// Appends `data` to the reader on `index` of a perf event array (`perf_event_output`).
    pub(crate) fn perf_output(&self, index: u64, data: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::Perf(p) => p.output(index, data),
            _ => Err(self.unsupported("perf output")),
        }
    }

    // Stack trace maps.

    /// Stores `stack` (instruction pointers, innermost first) in a stack trace map as
    /// `get_stackid` does under `flags` (frames to skip in the low 8 bits,
    /// [`BPF_F_FAST_STACK_CMP`], [`BPF_F_REUSE_STACKID`], [`BPF_F_USER_STACK`]); returns its id.
    /// `EFAULT` when no frame is left after skipping, `EEXIST` when another stack holds its
    /// bucket (without `BPF_F_REUSE_STACKID`), `ENOMEM` when `max_entries` stacks are held.
    pub fn get_stackid(&self, stack: &[u64], flags: u64) -> Result<u32, MapError> {
        match &self.store {
            Store::Stacks(s) => s.get_stackid(stack, flags),
            _ => Err(self.unsupported("get_stackid")),
        }
    }

    // Cgroup storage.

    /// Creates the zeroed storage of `key` in a cgroup storage map, as Linux does when a program
    /// using the map is attached to that cgroup (`EEXIST` when there is one).
    pub fn attach_storage(&self, key: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::Storage(s) => s.attach(key),
            _ => Err(self.unsupported("attach storage")),
        }
    }

    /// Removes the storage of `key` from a cgroup storage map, as Linux does when the last
    /// program is detached (`ENOENT` when there is none).
    pub fn detach_storage(&self, key: &[u8]) -> Result<(), MapError> {
        match &self.store {
            Store::Storage(s) => s.detach(key),
            _ => Err(self.unsupported("detach storage")),
        }
    }

    /// For a cgroup storage map: the memory of cgroup `id`'s storage (created if the host
    /// attached none) and the address of `cpu`'s value in it, for `get_local_storage`.
    pub(crate) fn cgroup_storage(&self, id: u64, cpu: u32) -> Option<(Arc<SharedMemory>, u64)> {
        match &self.store {
            Store::Storage(s) => {
                let mem = s.of_cgroup(id);
                let copies = if self.def.map_type.is_percpu() {
                    crate::cpu::count().max(1)
                } else {
                    1
                };
                let at = (cpu % copies) as usize * s.stride();
                let addr = mem.addr() + at as u64;
                Some((mem, addr))
            }
            _ => None,
        }
    }

    // What helpers use.

    /// Address of the value of `key` for a program on `cpu` (for an LPM trie, of the longest
    /// matching prefix), for the types whose values programs reach.
    pub(crate) fn lookup_addr(&self, key: &[u8], cpu: u32) -> Option<u64> {
        match &self.store {
            Store::Array(a) => a.lookup_addr(key, cpu),
            Store::Hash(h) => h.lookup_addr(key, cpu),
            Store::Prefixes(p) => p.lookup_addr(key),
            Store::Targets(_) if self.def.map_type == MapType::CpuMap => None,
            Store::Targets(t) => t.hash.lookup_addr(key, 0),
            _ => None,
        }
    }

    /// The value of entry `key` of a redirect map, `redirect_map`'s target.
    pub(crate) fn redirect_target(&self, key: u32) -> Option<Vec<u8>> {
        match &self.store {
            Store::Targets(t) => t.target(key),
            _ => None,
        }
    }

    /// The key size helpers read.
    pub(crate) fn key_size(&self) -> usize {
        self.def.key_size as usize
    }

    /// The value size helpers read and write.
    pub(crate) fn value_size(&self) -> usize {
        match &self.store {
            Store::Queue(q) => q.value_size(),
            Store::Bloom(b) => b.value_size(),
            _ => self.def.value_size as usize,
        }
    }

    pub(crate) fn ringbuf(&self) -> Option<&RingBuf> {
        match &self.store {
            Store::RingBuf(r) => Some(r),
            _ => None,
        }
    }

    pub(crate) fn tail_target(&self, index: u64) -> Option<TailTarget> {
        match &self.store {
            Store::ProgArray(p) => {
                let p = p.lock().unwrap_or_else(|e| e.into_inner());
                p.get(usize::try_from(index).ok()?).cloned().flatten()
            }
            _ => None,
        }
    }
}

fn prog_index(key: &[u8]) -> Result<usize, MapError> {
    let k: [u8; 4] = key
        .try_into()
        .map_err(|_| invalid("prog array keys are 4 bytes"))?;
    Ok(u32::from_le_bytes(k) as usize)
}

/// The maps of one loaded object, which its programs reach by handle and the host by name.
#[derive(Clone, Debug, Default)]
pub struct MapSet {
    maps: Vec<Arc<Map>>,
}

impl MapSet {
    /// An empty set.
    pub fn new() -> MapSet {
        MapSet::default()
    }

    /// Adds `map`; returns it shared.
    pub fn add(&mut self, map: Map) -> Arc<Map> {
        let m = Arc::new(map);
        registry().insert(m.id(), Arc::downgrade(&m));
        self.maps.push(m.clone());
        m
    }

    /// Adds an already shared map (a no-op if it is already in the set).
    pub fn insert(&mut self, map: Arc<Map>) {
        if !self.maps.iter().any(|m| Arc::ptr_eq(m, &map)) {
            registry().insert(map.id(), Arc::downgrade(&map));
            self.maps.push(map);
        }
    }

    /// Removes the map whose handle is `handle`; returns it.
    pub fn remove(&mut self, handle: u64) -> Option<Arc<Map>> {
        let i = self.maps.iter().position(|m| m.handle() == handle)?;
        Some(self.maps.remove(i))
    }

    /// The map named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Map>> {
        self.maps.iter().find(|m| m.name() == name)
    }

    /// The map of the set whose handle is `handle` (not the maps its maps of maps hold: see
    /// [`find`](Self::find)).
    pub fn by_handle(&self, handle: u64) -> Option<&Arc<Map>> {
        self.maps.iter().find(|m| m.handle() == handle)
    }

    /// The map whose handle is `handle`: one of the set, or one a map of maps of the set holds
    /// now (what a program's `map_lookup_elem` on a map of maps hands out).
    pub fn find(&self, handle: u64) -> Option<Arc<Map>> {
        if let Some(m) = self.by_handle(handle) {
            return Some(m.clone());
        }
        self.maps
            .iter()
            .filter(|m| m.def().map_type.holds_maps())
            .find_map(|m| m.inner_by_handle(handle))
    }

    /// Every map, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Map>> {
        self.maps.iter()
    }

    /// Number of maps.
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// The memory of every array and hash map, which programs using the set may access.
    pub fn regions(&self) -> Vec<SharedRegion> {
        self.maps.iter().filter_map(|m| m.region()).collect()
    }

    /// Submits (or discards) the reserved ring-buffer record at `addr`, in whichever ring buffer
    /// holds it; false if none does.
    pub(crate) fn commit_record(&self, addr: u64, discard: bool) -> bool {
        self.maps
            .iter()
            .filter_map(|m| m.ringbuf())
            .any(|r| r.commit(addr, discard))
            || self
                .maps
                .iter()
                .filter(|m| m.def().map_type.holds_maps())
                .flat_map(|m| m.inner_maps())
                .any(|(_, m)| m.ringbuf().is_some_and(|r| r.commit(addr, discard)))
    }
}
