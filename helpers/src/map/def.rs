//! What a map is: its Linux type id, sizes and flags, and the errors map operations return.

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
    /// `BPF_MAP_TYPE_PERCPU_HASH`.
    PercpuHash = 5, "percpu_hash";
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`.
    PercpuArray = 6, "percpu_array";
    /// `BPF_MAP_TYPE_LRU_HASH`.
    LruHash = 9, "lru_hash";
    /// `BPF_MAP_TYPE_QUEUE`: FIFO.
    Queue = 22, "queue";
    /// `BPF_MAP_TYPE_STACK`: LIFO.
    Stack = 23, "stack";
    /// `BPF_MAP_TYPE_RINGBUF`.
    RingBuf = 27, "ringbuf";
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
        matches!(self, MapType::PercpuHash | MapType::PercpuArray)
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

/// Map flag `BPF_F_RDONLY_PROG`: programs may read the values but not write them.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;

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
        }
    }

    /// The same definition with `map_flags` `flags`.
    pub fn with_flags(self, flags: u32) -> MapDef {
        MapDef { flags, ..self }
    }

    /// Whether programs may only read the map (`BPF_F_RDONLY_PROG`: `.rodata`, or a map a host,
    /// a BTF or a legacy definition made so): its values are not writable by programs, and
    /// helpers that change maps refuse it. The one place this is decided.
    pub fn read_only_to_programs(&self) -> bool {
        self.flags & BPF_F_RDONLY_PROG != 0
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
    /// `E2BIG`: the map is full (or an index is out of range).
    #[error("map full or index out of range (E2BIG)")]
    Full,
    /// `EINVAL`: wrong sizes, flags or an operation the map type does not have.
    #[error("invalid argument (EINVAL): {0}")]
    Invalid(String),
    /// `ENOMEM`: the map would be larger than [`MAX_MAP_BYTES`].
    #[error("map too large (ENOMEM): {0} bytes")]
    TooLarge(u64),
}

impl MapError {
    /// The errno (positive).
    pub fn errno(&self) -> i32 {
        match self {
            MapError::NotFound => 2,
            MapError::Exists => 17,
            MapError::Full => 7,
            MapError::Invalid(_) => 22,
            MapError::TooLarge(_) => 12,
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
pub(crate) fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}
