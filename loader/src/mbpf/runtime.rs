//! What a bundle's program meets at run time, whichever way it runs: on QuickJS
//! (`oxbpf-quickjs`) or lowered to eBPF (`oxbpf-lower`). Both read these definitions from here,
//! so the two paths share their maps, their records and their limits.
//!
//! - The runtime's own maps, beside the manifest's: the [`EMIT_RING`] `mbpf.emit` writes to,
//!   and the written flags of arrays ([`written_name`]); their names start with `.`
//!   ([`is_internal`]).
//! - The sizes of emit records and of the emit ring ([`EMIT_MAX_RECORD`],
//!   [`EMIT_RING_BYTES`]).
//! - The helper budget of a run ([`helper_limit`]) and the prefixes of `mbpf.log` lines
//!   ([`LOG_LEVELS`]).

use super::manifest::{Manifest, MapDecl, MapKind};
use oxbpf_helpers::map::RINGBUF_OVERWRITE;
use oxbpf_helpers::{Map, MapDef, MapType};

/// The ring `mbpf.emit` writes to (records `[u32 id][u32 len][data]`), shared by QuickJS and
/// the lowered eBPF; full, it drops its oldest records.
pub const EMIT_RING: &str = ".emit";

/// Largest record `mbpf.emit` takes.
pub const EMIT_MAX_RECORD: usize = 256;

/// Bytes of the per-program emit ring (records `[u32 id][u32 len][data]`, each with the ring's
/// 8-byte header, rounded up to 8 bytes).
pub const EMIT_RING_BYTES: u32 = 4096;

/// The prefixes of `mbpf.log` lines, by level (0 to 3): a line is the prefix, a space and the
/// message.
pub const LOG_LEVELS: [&str; 4] = ["[DEBUG]", "[INFO]", "[WARN]", "[ERROR]"];

/// The helper calls a run may make when the manifest's budget says 0.
pub const DEFAULT_MAX_HELPERS: u32 = 100;

/// The helper calls a run of a program with `manifest` may make (0 in the manifest means
/// [`DEFAULT_MAX_HELPERS`]).
pub fn helper_limit(manifest: &Manifest) -> u32 {
    match manifest.budgets.max_helpers {
        0 => DEFAULT_MAX_HELPERS,
        n => n,
    }
}

/// The name of the map that holds, for ARRAY (and PERCPU_ARRAY) map `name`, one byte per index:
/// 1 once JavaScript wrote that index (a lookup of an index never written is false). It lives
/// with the map, so QuickJS and the lowered eBPF see the same flags. Names starting with `.` are
/// not valid manifest names.
pub fn written_name(name: &str) -> String {
    format!(".written.{name}")
}

/// Whether a map of this kind has written flags.
pub fn has_written_flags(kind: MapKind) -> bool {
    matches!(kind, MapKind::Array | MapKind::PercpuArray)
}

impl MapDecl {
    /// The definition of the map this declaration makes, the one both paths create: arrays and
    /// counters (an array of 8-byte values) with 4-byte keys; a RING a ring buffer with room for
    /// `max_entries` records of `value_size` bytes (each with its 8-byte header) that drops its
    /// oldest records when full, as the reference's does.
    pub fn def(&self) -> MapDef {
        let (map_type, key_size, value_size, max_entries) = match self.kind {
            MapKind::Array => (MapType::Array, 4, self.value_size, self.max_entries),
            MapKind::PercpuArray => (MapType::PercpuArray, 4, self.value_size, self.max_entries),
            MapKind::Hash => (
                MapType::Hash,
                self.key_size,
                self.value_size,
                self.max_entries,
            ),
            MapKind::PercpuHash => (
                MapType::PercpuHash,
                self.key_size,
                self.value_size,
                self.max_entries,
            ),
            MapKind::LruHash => (
                MapType::LruHash,
                self.key_size,
                self.value_size,
                self.max_entries,
            ),
            MapKind::Counter => (MapType::Array, 4, 8, self.max_entries),
            MapKind::Ring => {
                let record = u64::from(self.value_size).next_multiple_of(8) + 8;
                let bytes = u64::from(self.max_entries) * record;
                let size = bytes.clamp(4096, 1 << 30).next_power_of_two() as u32;
                (MapType::RingBuf, 0, 0, size)
            }
        };
        let flags = if self.kind == MapKind::Ring {
            RINGBUF_OVERWRITE
        } else {
            0
        };
        MapDef::new(&self.name, map_type, key_size, value_size, max_entries).with_flags(flags)
    }

    /// The definition of the written flags of this array ([`written_name`]): one byte per
    /// index.
    pub fn written_def(&self) -> MapDef {
        MapDef::new(
            written_name(&self.name),
            MapType::Array,
            4,
            1,
            self.max_entries,
        )
    }
}

/// The definition of the [`EMIT_RING`]: [`EMIT_RING_BYTES`], dropping its oldest records when
/// full.
pub fn emit_ring_def() -> MapDef {
    MapDef::new(EMIT_RING, MapType::RingBuf, 0, 0, EMIT_RING_BYTES).with_flags(RINGBUF_OVERWRITE)
}

/// Whether `map` is one of the runtime's own (written flags, emit ring, lowered globals), not a
/// manifest map: hosts listing a bundle's maps skip these.
pub fn is_internal(map: &Map) -> bool {
    map.name().starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mbpf::manifest::Hook;

    #[test]
    fn zero_helpers_is_the_default() {
        let mut m = Manifest::new("p", "1.0", Hook::NetRx);
        m.budgets.max_helpers = 0;
        assert_eq!(helper_limit(&m), DEFAULT_MAX_HELPERS);
        m.budgets.max_helpers = 7;
        assert_eq!(helper_limit(&m), 7);
    }
}
