//! Maps with Linux semantics, shared by the host and by programs on any number of threads.
//!
//! A [`Map`] is created from a [`MapDef`] and reached by programs through its
//! [`handle`](Map::handle), the value `lddw` loads for it; the host uses the methods below, with
//! Linux's rules: update flags, negative errno values ([`MapError`]), iteration by next key.

mod array;
mod def;
mod hash;
mod queue;
pub mod ringbuf;
mod slab;

pub use def::{
    BPF_ANY, BPF_EXIST, BPF_F_RDONLY_PROG, BPF_NOEXIST, MAX_MAP_BYTES, MapDef, MapError, MapType,
    Pinning, RINGBUF_OVERWRITE,
};

use array::ArrayMap;
use def::{invalid, round8};
use hash::HashMap;
use oxbpf_core::{Executable, SharedRegion};
use queue::QueueMap;
use ringbuf::RingBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

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

fn check_def(def: &MapDef) -> Result<(), MapError> {
    let d = def;
    let want = |ok: bool, what: &str| if ok { Ok(()) } else { Err(invalid(what)) };
    want(d.max_entries > 0, "max_entries must not be 0")?;
    // No type here holds maps.
    want(d.inner.is_none(), "only maps of maps hold maps")?;
    match d.map_type {
        MapType::Array | MapType::PercpuArray | MapType::ProgArray => {
            want(d.key_size == 4, "array keys are 4 bytes")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            if d.map_type == MapType::ProgArray {
                want(d.value_size == 4, "prog array values are 4 bytes")?;
            }
        }
        MapType::Hash | MapType::PercpuHash | MapType::LruHash => {
            want(d.key_size > 0, "key_size must not be 0")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            want(d.key_size <= 512, "key_size above 512")?;
        }
        MapType::Queue | MapType::Stack => {
            want(d.key_size == 0, "queue and stack maps have no key")?;
            want(d.value_size > 0, "value_size must not be 0")?;
        }
        MapType::RingBuf => {
            want(
                d.key_size == 0 && d.value_size == 0,
                "ring buffers have no key or value size",
            )?;
            want(
                d.max_entries.is_power_of_two() && d.max_entries >= 4096,
                "a ring buffer's size must be a power of two of at least 4096 bytes",
            )?;
        }
    }
    Ok(())
}

impl Map {
    /// A new, empty map as `def` describes it (per-CPU maps with one value for each of
    /// [`cpu::count`](crate::cpu::count) CPUs).
    pub fn new(def: MapDef) -> Result<Map, MapError> {
        static NEXT_ID: AtomicU32 = AtomicU32::new(1);
        check_def(&def)?;
        let ncpus = if def.map_type.is_percpu() {
            crate::cpu::count()
        } else {
            1
        };
        let store = match def.map_type {
            MapType::Array | MapType::PercpuArray => {
                Store::Array(ArrayMap::new(def.value_size, def.max_entries, ncpus)?)
            }
            MapType::Hash | MapType::PercpuHash | MapType::LruHash => Store::Hash(HashMap::new(
                def.key_size,
                def.value_size,
                def.max_entries,
                ncpus,
                def.map_type == MapType::LruHash,
            )?),
            MapType::Queue | MapType::Stack => Store::Queue(QueueMap::new(
                def.value_size,
                def.max_entries,
                def.map_type == MapType::Stack,
            )),
            MapType::RingBuf => Store::RingBuf(RingBuf::new(
                def.max_entries,
                def.flags & RINGBUF_OVERWRITE != 0,
            )),
            MapType::ProgArray => {
                let n = (def.max_entries as usize).min(1 << 20);
                Store::ProgArray(Mutex::new(vec![None; n]))
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

    /// The memory programs reach values through, for array and hash maps, with whether programs
    /// may write it.
    pub fn region(&self) -> Option<SharedRegion> {
        let slab = match &self.store {
            Store::Array(a) => &a.slab,
            Store::Hash(h) => &h.slab,
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
    /// value at an 8-byte-multiple stride.
    pub fn lookup_len(&self) -> usize {
        if self.def.map_type.is_percpu() {
            round8(self.def.value_size as usize) * crate::cpu::count() as usize
        } else {
            self.def.value_size as usize
        }
    }

    /// The value of `key` (for per-CPU maps, every CPU's value at an 8-byte-multiple stride).
    pub fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Array(a) => a.lookup(key),
            Store::Hash(h) => h.lookup(key),
            _ => Err(self.unsupported("lookup")),
        }
    }

    /// Sets the value of `key` (for per-CPU maps, every CPU's value as [`lookup`](Self::lookup)
    /// returns them) under `flags` ([`BPF_ANY`], [`BPF_NOEXIST`], [`BPF_EXIST`]).
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
            _ => Err(self.unsupported("update")),
        }
    }

    /// One CPU's value of `key` (for maps that are not per-CPU, the value).
    pub fn lookup_on_cpu(&self, key: &[u8], cpu: u32) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Array(a) => a.lookup_cpu(key, cpu),
            Store::Hash(h) if self.def.map_type.is_percpu() => {
                let all = h.lookup(key)?;
                let stride = round8(self.def.value_size as usize);
                let at = stride * (cpu as usize % (all.len() / stride.max(1)).max(1));
                Ok(all[at..at + self.def.value_size as usize].to_vec())
            }
            Store::Hash(h) => h.lookup(key),
            _ => Err(self.unsupported("lookup")),
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

    /// Deletes `key` (arrays cannot: `EINVAL`).
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
            _ => Err(self.unsupported("delete")),
        }
    }

    /// The key after `key` (the first with `None`, or when `key` is absent), as
    /// `BPF_MAP_GET_NEXT_KEY`; `ENOENT` after the last.
    pub fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Array(a) => a.next_key(key),
            Store::Hash(h) => h.next_key(key),
            _ => Err(self.unsupported("next key")),
        }
    }

    /// Every key and value, in iteration order (a snapshot; for queues and stacks the values
    /// oldest first with empty keys, for ring buffers the submitted records not yet drained).
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
        }
    }

    /// Pushes `value` onto a queue or stack (`BPF_EXIST` drops the oldest value when full).
    pub fn push(&self, value: &[u8], flags: u64) -> Result<(), MapError> {
        match &self.store {
            Store::Queue(q) => q.push(value, flags),
            _ => Err(self.unsupported("push")),
        }
    }

    /// Removes and returns the next value of a queue (oldest) or stack (newest).
    pub fn pop(&self) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Queue(q) => q.pop(true),
            _ => Err(self.unsupported("pop")),
        }
    }

    /// The next value of a queue or stack, left in place.
    pub fn peek(&self) -> Result<Vec<u8>, MapError> {
        match &self.store {
            Store::Queue(q) => q.pop(false),
            _ => Err(self.unsupported("peek")),
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

    // What helpers use.

    /// Address of the value of `key` for a program on `cpu`.
    pub(crate) fn lookup_addr(&self, key: &[u8], cpu: u32) -> Option<u64> {
        match &self.store {
            Store::Array(a) => a.lookup_addr(key, cpu),
            Store::Hash(h) => h.lookup_addr(key, cpu),
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
        self.maps.push(m.clone());
        m
    }

    /// Adds an already shared map (a no-op if it is already in the set).
    pub fn insert(&mut self, map: Arc<Map>) {
        if !self.maps.iter().any(|m| Arc::ptr_eq(m, &map)) {
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

    /// The map whose handle is `handle`.
    pub fn by_handle(&self, handle: u64) -> Option<&Arc<Map>> {
        self.maps.iter().find(|m| m.handle() == handle)
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
    }
}
