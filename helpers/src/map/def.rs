//! What a map is: its Linux type id, sizes and flags, and the errors map operations return.

use oxbpf_core::SharedMemory;
use thiserror::Error;

/// Declares [`MapType`] from one table: each type's variant, Linux id and name (without the
/// `BPF_MAP_TYPE_` prefix, lower case), and the id and name lookups derived from it.
macro_rules! map_types {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $name:literal;)*) => {
        /// Map types by their Linux id (`enum bpf_map_type`), those oxbpf implements.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum MapType {
            $($(#[$doc])* $variant = $id,)*
        }

        impl MapType {
            /// Every type, by id.
            pub const ALL: &'static [MapType] = &[$(MapType::$variant),*];

            /// The name without the `BPF_MAP_TYPE_` prefix, lower case.
            pub fn name(self) -> &'static str {
                match self {
                    $(MapType::$variant => $name,)*
                }
            }
        }
    };
}

map_types! {
    /// `BPF_MAP_TYPE_HASH`.
    Hash = 1, "hash";
    /// `BPF_MAP_TYPE_ARRAY` (also global data: `.data`, `.rodata`, `.bss`).
    Array = 2, "array";
    /// `BPF_MAP_TYPE_PROG_ARRAY`: programs for tail calls.
    ProgArray = 3, "prog_array";
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: per-index record queues a host reader drains
    /// (`perf_event_output`).
    PerfEventArray = 4, "perf_event_array";
    /// `BPF_MAP_TYPE_PERCPU_HASH`.
    PercpuHash = 5, "percpu_hash";
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`.
    PercpuArray = 6, "percpu_array";
    /// `BPF_MAP_TYPE_STACK_TRACE`: stacks by id (`get_stackid`).
    StackTrace = 7, "stack_trace";
    /// `BPF_MAP_TYPE_CGROUP_ARRAY`: host cgroup handles by index.
    CgroupArray = 8, "cgroup_array";
    /// `BPF_MAP_TYPE_LRU_HASH`.
    LruHash = 9, "lru_hash";
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`.
    LruPercpuHash = 10, "lru_percpu_hash";
    /// `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix match on `u32 prefixlen` + data keys.
    LpmTrie = 11, "lpm_trie";
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`: maps by index.
    ArrayOfMaps = 12, "array_of_maps";
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`: maps by key.
    HashOfMaps = 13, "hash_of_maps";
    /// `BPF_MAP_TYPE_DEVMAP`: redirect targets (interfaces) by index.
    DevMap = 14, "devmap";
    /// `BPF_MAP_TYPE_SOCKMAP`: sockets (by cookie) by index.
    SockMap = 15, "sockmap";
    /// `BPF_MAP_TYPE_CPUMAP`: redirect targets (CPUs) by CPU number.
    CpuMap = 16, "cpumap";
    /// `BPF_MAP_TYPE_XSKMAP`: redirect targets (AF_XDP sockets) by index.
    XskMap = 17, "xskmap";
    /// `BPF_MAP_TYPE_SOCKHASH`: sockets (by cookie) by key.
    SockHash = 18, "sockhash";
    /// `BPF_MAP_TYPE_CGROUP_STORAGE`: one value per attached cgroup.
    CgroupStorage = 19, "cgroup_storage";
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`: one value per attached cgroup and CPU.
    PercpuCgroupStorage = 21, "percpu_cgroup_storage";
    /// `BPF_MAP_TYPE_QUEUE`: FIFO.
    Queue = 22, "queue";
    /// `BPF_MAP_TYPE_STACK`: LIFO.
    Stack = 23, "stack";
    /// `BPF_MAP_TYPE_DEVMAP_HASH`: redirect targets (interfaces) by key.
    DevMapHash = 25, "devmap_hash";
    /// `BPF_MAP_TYPE_RINGBUF`.
    RingBuf = 27, "ringbuf";
    /// `BPF_MAP_TYPE_BLOOM_FILTER`: set membership without false negatives.
    BloomFilter = 30, "bloom_filter";
}

impl MapType {
    /// The type with Linux id `id`.
    pub fn from_id(id: u32) -> Option<MapType> {
        MapType::ALL.iter().copied().find(|t| *t as u32 == id)
    }

    /// The type by its name without the `BPF_MAP_TYPE_` prefix, any case (`"hash"`,
    /// `"percpu_array"`, `"ringbuf"`).
    pub fn from_name(name: &str) -> Option<MapType> {
        MapType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Whether each CPU has its own copy of every value.
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuHash
                | MapType::PercpuArray
                | MapType::LruPercpuHash
                | MapType::PercpuCgroupStorage
        )
    }

    /// Whether the map holds maps (`ARRAY_OF_MAPS`, `HASH_OF_MAPS`).
    pub fn holds_maps(self) -> bool {
        matches!(self, MapType::ArrayOfMaps | MapType::HashOfMaps)
    }

    /// Whether `map_lookup_elem` from a program returns something other than a pointer to a
    /// value of the map: the inner map (its handle) for maps of maps. (Linux also returns an
    /// AF_XDP socket for XSKMAP and a socket for SOCKMAP/SOCKHASH; oxbpf returns a read-only
    /// pointer to the XSKMAP value and refuses sockets, see [`standard`](crate::standard).)
    pub fn lookup_returns_map(self) -> bool {
        self.holds_maps()
    }

    /// Whether programs only read the values `map_lookup_elem` returns whatever the flags: device
    /// maps (Linux sets `BPF_F_RDONLY_PROG` on them) and XSKMAPs (whose lookups Linux answers
    /// with a socket programs cannot write).
    pub fn values_read_only(self) -> bool {
        matches!(
            self,
            MapType::DevMap | MapType::DevMapHash | MapType::XskMap
        )
    }
}

/// `BPF_ANY`: create or replace.
pub const BPF_ANY: u64 = 0;
/// `BPF_NOEXIST`: create only.
pub const BPF_NOEXIST: u64 = 1;
/// `BPF_EXIST`: replace only (for queues and stacks: push even when full, dropping the oldest).
pub const BPF_EXIST: u64 = 2;
/// Map flag of oxbpf's own (outside the bits Linux defines): a ring buffer that, when full,
/// drops its oldest consumed-or-submitted records to make room for a new one instead of
/// refusing it, counting what it dropped ([`Map::ring_dropped`](super::Map::ring_dropped)).
pub const RINGBUF_OVERWRITE: u32 = 1 << 31;

/// Update (and host lookup) flag `BPF_F_LOCK`: copy the value under its `bpf_spin_lock`
/// (only for maps whose values have one).
pub const BPF_F_LOCK: u64 = 4;

/// Map flag `BPF_F_NO_PREALLOC`: allocate elements on demand (required by LPM tries).
pub const BPF_F_NO_PREALLOC: u32 = 1;
/// Map flag `BPF_F_NO_COMMON_LRU`: an LRU list per CPU (LRU hash maps only).
pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
/// Map flag `BPF_F_NUMA_NODE`: `numa_node` is set (accepted and ignored).
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
/// Map flag `BPF_F_RDONLY`: the syscall side may only read (accepted, not enforced on the host).
pub const BPF_F_RDONLY: u32 = 1 << 3;
/// Map flag `BPF_F_WRONLY`: the syscall side may only write (accepted, not enforced on the
/// host).
pub const BPF_F_WRONLY: u32 = 1 << 4;
/// Map flag `BPF_F_STACK_BUILD_ID`: stack maps of build ids and offsets (not supported here).
pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
/// Map flag `BPF_F_ZERO_SEED`: hash with seed 0 (bloom filters), for reproducible tests.
pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
/// Map flag `BPF_F_RDONLY_PROG`: programs may read the values but not write them.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// Map flag `BPF_F_WRONLY_PROG`: programs may write the values but not read them (accepted;
/// the verifier does not enforce it yet).
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
/// Map flag `BPF_F_PRESERVE_ELEMS`: perf event arrays keep their entries when the map's file
/// is closed (accepted and ignored).
pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
/// Map flag `BPF_F_INNER_MAP`: an array used as an inner map may differ in `max_entries` from
/// the template.
pub const BPF_F_INNER_MAP: u32 = 1 << 12;
/// `BPF_F_ACCESS_MASK`: the access flags every map type accepts.
pub const BPF_F_ACCESS_MASK: u32 =
    BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

/// Whether the access flags agree with each other (Linux's `bpf_map_flags_access_ok`): not
/// both read-only and write-only to programs.
pub(crate) fn access_ok(flags: u32) -> bool {
    flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
}

/// Whether and how a map is shared by name with other objects (libbpf's `pinning` attribute,
/// iproute2's `pinning` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Pinning {
    /// Not pinned (`LIBBPF_PIN_NONE`, 0): each object gets its own map.
    #[default]
    None,
    /// Pinned by name (`LIBBPF_PIN_BY_NAME`, 1): objects naming the same pinned map share it.
    ByName,
}

impl Pinning {
    /// The pinning of libbpf's value `v` (0 or 1), if it is one.
    pub fn from_libbpf(v: u32) -> Option<Pinning> {
        match v {
            0 => Some(Pinning::None),
            1 => Some(Pinning::ByName),
            _ => None,
        }
    }
}

/// The one description of a map, wherever it comes from: a BTF `.maps` entry, a legacy
/// `struct bpf_map_def`, a global-data section, a bundle manifest or the host. Maps are created
/// from it ([`Map::new`](super::Map::new)) and the verifier reads its view of a map from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// The map's name: the variable's, the section's for global data, the manifest's.
    pub name: String,
    /// The type.
    pub map_type: MapType,
    /// Key size in bytes (4 for arrays, 0 for queues, stacks and ring buffers).
    pub key_size: u32,
    /// Value size in bytes (0 for ring buffers).
    pub value_size: u32,
    /// Maximum number of entries (for ring buffers, the capacity in bytes: a power of two).
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// For a map of maps: the definition of the maps it holds.
    pub inner: Option<Box<MapDef>>,
    /// Whether it is shared by name.
    pub pinning: Pinning,
    /// Where each value holds its `struct bpf_spin_lock` (4 bytes), if it has one: programs
    /// take it with `bpf_spin_lock` and never read or write it otherwise, and copies of a value
    /// in or out of the map leave it alone (a value read by the host shows it as zeros).
    pub spin_lock: Option<u32>,
}

impl MapDef {
    /// A map named `name` of `map_type` with these sizes, no flags, not pinned, holding no
    /// maps.
    pub fn new(
        name: impl Into<String>,
        map_type: MapType,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> MapDef {
        MapDef {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            inner: None,
            pinning: Pinning::None,
            spin_lock: None,
        }
    }

    /// The same definition with `map_flags` `flags`.
    pub fn with_flags(self, flags: u32) -> MapDef {
        MapDef { flags, ..self }
    }

    /// Whether programs may only read the map (`BPF_F_RDONLY_PROG`: `.rodata`, or a map a host,
    /// a BTF or a legacy definition made so): its values are not writable by programs, and
    /// helpers that change maps refuse it. The one place this is decided.
    /// Device maps and XSKMAPs are, whatever their flags ([`MapType::values_read_only`]).
    pub fn read_only_to_programs(&self) -> bool {
        self.flags & BPF_F_RDONLY_PROG != 0 || self.map_type.values_read_only()
    }
}

/// Most bytes one map may allocate: a hostile object cannot make the host allocate without bound.
pub const MAX_MAP_BYTES: u64 = 1 << 30;

/// Why a map operation failed; each is a Linux errno, which helpers return negated.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MapError {
    /// `ENOENT`: no such key (or an empty queue).
    #[error("no such element (ENOENT)")]
    NotFound,
    /// `EEXIST`: the key exists and `BPF_NOEXIST` was given.
    #[error("element exists (EEXIST)")]
    Exists,
    /// `E2BIG`: the map is full, an index is out of range or a size too big.
    #[error("map full, index out of range or size too big (E2BIG)")]
    Full,
    /// `EINVAL`: wrong sizes, flags or an operation the map type does not have.
    #[error("invalid argument (EINVAL): {0}")]
    Invalid(String),
    /// `ENOMEM`: the map would be larger than [`MAX_MAP_BYTES`].
    #[error("map too large (ENOMEM): {0} bytes")]
    TooLarge(u64),
    /// `ENOMEM`: every preallocated element is in use (a stack trace map's).
    #[error("no free element (ENOMEM)")]
    NoMemory,
    /// `ENOSPC`: no room (an LPM trie or device hash that is full, a perf reader's buffer), or
    /// a value the map cannot report in its value size.
    #[error("no space (ENOSPC)")]
    NoSpace,
    /// `EFAULT`: no usable data (no stack to store, or fewer frames than skipped).
    #[error("bad address (EFAULT)")]
    Fault,
    /// `EBADF`: a number that names no map (a map of maps' update by id).
    #[error("no such map (EBADF): {0}")]
    BadHandle(u32),
    /// `ENODEV`: no such device (a CPU map entry for a CPU that does not exist).
    #[error("no such device (ENODEV)")]
    NoDevice,
    /// `EOVERFLOW`: a value beyond its limit (a CPU map's queue size).
    #[error("value too large (EOVERFLOW)")]
    Overflow,
    /// `EOPNOTSUPP`: an operation the map type does not have where Linux says so rather than
    /// `EINVAL` (a bloom filter's pop, delete and next key; a program's stack map lookup).
    #[error("operation not supported (EOPNOTSUPP): {0}")]
    OpNotSupported(String),
    /// `ENOTSUPP` (524, Linux-internal): a combination Linux does not support (a perf event or
    /// cgroup array's lookup from the host, an inner map of a type maps of maps cannot hold, an
    /// LRU map without preallocation).
    #[error("not supported (ENOTSUPP): {0}")]
    Unsupported(String),
}

impl MapError {
    /// The errno (positive).
    pub fn errno(&self) -> i32 {
        match self {
            MapError::NotFound => 2,
            MapError::Exists => 17,
            MapError::Full => 7,
            MapError::Invalid(_) => 22,
            MapError::TooLarge(_) | MapError::NoMemory => 12,
            MapError::NoSpace => 28,
            MapError::Fault => 14,
            MapError::BadHandle(_) => 9,
            MapError::NoDevice => 19,
            MapError::Overflow => 75,
            MapError::OpNotSupported(_) => 95,
            MapError::Unsupported(_) => 524,
        }
    }

    /// The value a helper returns for it: `-errno` as a 64-bit register value.
    pub fn to_reg(&self) -> u64 {
        -i64::from(self.errno()) as u64
    }
}

/// Shorthand for [`MapError::Invalid`].
pub(crate) fn invalid(what: impl ToString) -> MapError {
    MapError::Invalid(what.to_string())
}

/// Checks that a key has the `size` bytes the map takes.
pub(crate) fn check_key(key: &[u8], size: usize) -> Result<(), MapError> {
    if key.len() == size {
        Ok(())
    } else {
        Err(invalid(format!(
            "key of {} bytes, the map's keys have {size}",
            key.len()
        )))
    }
}

/// The `u32` a 4-byte key (or value) holds.
pub(crate) fn u32_key(key: &[u8]) -> Result<u32, MapError> {
    let k: [u8; 4] = key
        .try_into()
        .map_err(|_| invalid(format!("{} bytes where 4 were expected", key.len())))?;
    Ok(u32::from_le_bytes(k))
}

/// The key after `key` in an array of `max_entries` (Linux's `array_map_get_next_key`): the
/// first for none or an index out of range, `ENOENT` after the last.
pub(crate) fn next_index(key: Option<&[u8]>, max_entries: u32) -> Result<Vec<u8>, MapError> {
    let next = match key.map(u32_key).transpose()? {
        Some(i) if i < max_entries => i.checked_add(1),
        _ => Some(0),
    };
    match next {
        Some(n) if n < max_entries => Ok(n.to_le_bytes().to_vec()),
        _ => Err(MapError::NotFound),
    }
}

/// Checks that a value has the `size` bytes the map takes.
pub(crate) fn check_len(value: &[u8], size: usize) -> Result<(), MapError> {
    if value.len() == size {
        Ok(())
    } else {
        Err(invalid(format!(
            "value of {} bytes, the map takes {size}",
            value.len()
        )))
    }
}

/// `n` rounded up to a multiple of 8 (per-CPU values are laid out at that stride).
/// Copies `value` into `mem` at `at`, except the 4 bytes of the value's `bpf_spin_lock` at
/// `lock`, which stay as they are (Linux's `copy_map_value`: a copy never takes or drops a lock).
pub(crate) fn write_value(mem: &SharedMemory, at: usize, value: &[u8], lock: Option<usize>) {
    match lock {
        Some(l) if l + 4 <= value.len() => {
            mem.write(at, &value[..l]);
            mem.write(at + l + 4, &value[l + 4..]);
        }
        _ => {
            mem.write(at, value);
        }
    }
}

/// Reads the value at `at` of `mem` into `out`, its `bpf_spin_lock` at `lock` as zeros (as
/// Linux shows a value outside programs).
pub(crate) fn read_value(mem: &SharedMemory, at: usize, out: &mut [u8], lock: Option<usize>) {
    mem.read(at, out);
    if let Some(l) = lock
        && let Some(b) = out.get_mut(l..l + 4)
    {
        b.fill(0);
    }
}

pub(crate) fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}
