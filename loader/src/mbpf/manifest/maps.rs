//! The maps a manifest declares: [`MapDecl`], and [`MapKind`], declared once in the
//! `map_kinds!` table (each type's code and name).
//!
//! The definitions the runtimes create from a declaration ([`MapDecl::def`], ...) are in
//! [`runtime`](crate::mbpf::runtime).

/// Declares [`MapKind`] from one table, one row per map type: its variant, manifest code and
/// command-line name; and the lookups by code and by name derived from it.
macro_rules! map_kinds {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)*) => {
        /// Map types of the manifest.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MapKind {
            $($(#[$doc])* $variant = $code,)*
        }

        impl MapKind {
            /// Every map type.
            pub const ALL: [MapKind; [$($code),*].len()] = [$(MapKind::$variant),*];

            /// The type with this code.
            pub fn from_code(code: u64) -> Option<MapKind> {
                match code {
                    $($code => Some(MapKind::$variant),)*
                    _ => None,
                }
            }

            /// The command-line name (`array`, `hash`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(MapKind::$variant => $name,)*
                }
            }

            /// The type with this command-line name.
            pub fn from_name(name: &str) -> Option<MapKind> {
                match name {
                    $($name => Some(MapKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

map_kinds! {
    /// 1: array indexed by number (key_size 0).
    Array = 1, "array";
    /// 2: hash.
    Hash = 2, "hash";
    /// 3: hash with least-recently-used eviction.
    LruHash = 3, "lru_hash";
    /// 5: ring of events (value_size = largest event).
    Ring = 5, "ring";
    /// 6: 64-bit counters.
    Counter = 6, "counter";
    /// 7: per-CPU array.
    PercpuArray = 7, "percpu_array";
    /// 8: per-CPU hash.
    PercpuHash = 8, "percpu_hash";
}

/// A map the program declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDecl {
    /// Its name (`maps.<name>` in JavaScript): printable ASCII without quotes or backslash.
    pub name: String,
    /// Its type (the `PERCPU` flag already applied).
    pub kind: MapKind,
    /// Bytes of a key.
    pub key_size: u32,
    /// Bytes of a value.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Flags (bit 0 `PERCPU`).
    pub flags: u32,
}
