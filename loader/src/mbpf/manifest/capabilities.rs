//! The capabilities a manifest grants: one table of their bits, from which the `CAP_*`
//! constants, [`CAPABILITIES`] and the lookups by bit and by name are generated. A capability's
//! manifest name is its constant's name (`CAP_LOG`).

/// Declares the capabilities from one table, one row per capability: its constant (whose name
/// is its manifest name) and its bit; and [`CAPABILITIES`], [`capability_name`] and
/// [`capability_bit`] from it.
macro_rules! capabilities {
    ($($(#[$doc:meta])* $cap:ident = $bit:literal;)*) => {
        $($(#[$doc])* pub const $cap: u32 = $bit;)*

        /// Capability bits and their manifest names.
        pub const CAPABILITIES: [(&str, u32); [$($bit),*].len()] = [$((stringify!($cap), $cap)),*];

        /// The manifest name of capability `bit` ("" for none).
        pub fn capability_name(bit: u32) -> &'static str {
            match bit {
                $($bit => stringify!($cap),)*
                _ => "",
            }
        }

        /// The bit of a capability name (`CAP_LOG`), if known.
        pub fn capability_bit(name: &str) -> Option<u32> {
            match name {
                $(stringify!($cap) => Some($cap),)*
                _ => None,
            }
        }
    };
}

capabilities! {
    /// `CAP_LOG`: `mbpf.log`.
    CAP_LOG = 1;
    /// `CAP_MAP_READ`: map lookups.
    CAP_MAP_READ = 2;
    /// `CAP_MAP_WRITE`: map updates and deletes.
    CAP_MAP_WRITE = 4;
    /// `CAP_MAP_ITERATE`: `nextKey`.
    CAP_MAP_ITERATE = 8;
    /// `CAP_EMIT`: `mbpf.emit`.
    CAP_EMIT = 16;
    /// `CAP_TIME`: `mbpf.nowNs`.
    CAP_TIME = 32;
    /// `CAP_STATS`: `mbpf.stats`.
    CAP_STATS = 64;
}
