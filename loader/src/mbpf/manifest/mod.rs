//! The manifest (section 1): CBOR, read strictly and written as microBPF's generator writes it.
//!
//! Reading follows the reference where it is sound (text keys, unknown keys skipped at every
//! level, unknown capability names ignored) and is stricter where it is not: indefinite
//! lengths, negative numbers, floats, tags, over-long strings, unknown map types, numbers out of
//! their field's range and trailing bytes are errors naming the byte offset, never truncated or
//! skipped. Writing uses shortest-form heads and the generator's key order, so what oxbpf writes
//! it reads back to the same bytes.
//!
//! - This module: the model ([`Manifest`], [`Budgets`]) and its limits ([`MIN_HEAP`], ...).
//! - `maps`: the map declarations ([`MapDecl`]) and the table of their types ([`MapKind`]).
//! - `capabilities`: the table of capabilities ([`CAPABILITIES`]).
//! - `decode`: CBOR to the model, with its checks ([`decode()`], [`valid_map_name`]).
//! - `encode`: the model to CBOR ([`encode()`]).
//!
//! The hooks ([`Hook`]) are declared in [`hook`](super::hook), with what each hands a run.

mod capabilities;
mod decode;
mod encode;
mod maps;

pub use super::hook::Hook;
pub use capabilities::{
    CAP_EMIT, CAP_LOG, CAP_MAP_ITERATE, CAP_MAP_READ, CAP_MAP_WRITE, CAP_STATS, CAP_TIME,
    CAPABILITIES, capability_bit, capability_name,
};
pub use decode::{decode, valid_map_name};
pub use encode::encode;
pub use maps::{MapDecl, MapKind};

/// The default entry function.
pub const DEFAULT_ENTRY: &str = "mbpf_prog";
/// The runtime's API version, `major << 16 | minor` (0.1).
pub const API_VERSION: u32 = 1;
/// The hook context ABI version every hook has.
pub const HOOK_CTX_ABI_VERSION: u32 = 1;
/// The smallest heap a program may ask for.
pub const MIN_HEAP: u32 = 8192;
/// Longest program and entry names, in bytes.
pub const MAX_NAME: usize = 63;
/// Longest version, map and helper names, in bytes.
pub const MAX_SHORT_NAME: usize = 31;

/// Per-run limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budgets {
    /// Interrupt-handler calls (one per 10,000 QuickJS steps); 0 = the runtime's default.
    pub max_steps: u32,
    /// Helper and map-method calls per run; 0 = the runtime's default.
    pub max_helpers: u32,
    /// Wall time per run in µs, if limited.
    pub max_wall_time_us: Option<u32>,
}

/// The manifest of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// `program_name` (at most 63 bytes).
    pub name: String,
    /// `program_version` (at most 31 bytes, free-form).
    pub version: String,
    /// `hook_type`.
    pub hook: Hook,
    /// `hook_ctx_abi_version`.
    pub hook_ctx_abi_version: u32,
    /// `entry_symbol` (default [`DEFAULT_ENTRY`]).
    pub entry: String,
    /// `mquickjs_bytecode_version` (informational).
    pub bytecode_version: u32,
    /// `target.word_size`: 32 or 64.
    pub word_size: u32,
    /// `target.endianness`: little (true) or big.
    pub little_endian: bool,
    /// `mbpf_api_version`, `major << 16 | minor`.
    pub api_version: u32,
    /// `heap_size` in bytes (at least [`MIN_HEAP`]).
    pub heap_size: u32,
    /// `budgets`.
    pub budgets: Budgets,
    /// `capabilities` as bits ([`CAPABILITIES`]).
    pub capabilities: u32,
    /// `maps`.
    pub maps: Vec<MapDecl>,
    /// `helper_versions`: helper name and `major << 16 | minor`.
    pub helper_versions: Vec<(String, u32)>,
}

impl Manifest {
    /// A manifest for this machine with the reference generator's defaults (heap 8192, 10,000
    /// steps, 100 helper calls, no capabilities, no maps).
    pub fn new(name: &str, version: &str, hook: Hook) -> Manifest {
        Manifest {
            name: name.to_owned(),
            version: version.to_owned(),
            hook,
            hook_ctx_abi_version: HOOK_CTX_ABI_VERSION,
            entry: DEFAULT_ENTRY.to_owned(),
            bytecode_version: if usize::BITS == 64 { 0x8001 } else { 1 },
            word_size: usize::BITS,
            little_endian: cfg!(target_endian = "little"),
            api_version: API_VERSION,
            heap_size: MIN_HEAP,
            budgets: Budgets {
                max_steps: 10_000,
                max_helpers: 100,
                max_wall_time_us: None,
            },
            capabilities: 0,
            maps: Vec::new(),
            helper_versions: Vec::new(),
        }
    }

    /// Whether the manifest grants capability `bit`.
    pub fn has(&self, bit: u32) -> bool {
        self.capabilities & bit != 0
    }

    /// The capability names, in bit order.
    pub fn capability_names(&self) -> Vec<&'static str> {
        CAPABILITIES
            .iter()
            .filter(|c| self.has(c.1))
            .map(|c| c.0)
            .collect()
    }
}
