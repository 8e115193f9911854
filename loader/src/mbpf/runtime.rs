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

use super::manifest::{Manifest, MapKind};
use oxbpf_helpers::Map;

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
