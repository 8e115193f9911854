//! The manifest (section 1): CBOR, read strictly and written as microBPF's generator writes it.
//!
//! Reading follows the reference where it is sound (text keys, unknown keys skipped at every
//! level, unknown capability names ignored) and is stricter where it is not: indefinite
//! lengths, negative numbers, floats, tags, over-long strings, unknown map types, numbers out of
//! their field's range and trailing bytes are errors naming the byte offset, never truncated or
//! skipped. Writing uses shortest-form heads and the generator's key order, so what oxbpf writes
//! it reads back to the same bytes.

use super::MbpfError;
use super::cbor::{Reader, err};
use ciborium_ll::{Encoder, Header};

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

/// Where a program attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hook {
    /// 1: tracepoints (observer).
    Tracepoint = 1,
    /// 2: timers (observer).
    Timer = 2,
    /// 3: received packets (decision: PASS 0, DROP 1, ABORT 2).
    NetRx = 3,
    /// 4: transmitted packets (as NET_RX).
    NetTx = 4,
    /// 5: security decisions (ALLOW 0, DENY 1, ABORT 2).
    Security = 5,
    /// 6: platform-defined hooks.
    Custom = 6,
}

impl Hook {
    /// Every hook, by id.
    pub const ALL: [Hook; 6] = [
        Hook::Tracepoint,
        Hook::Timer,
        Hook::NetRx,
        Hook::NetTx,
        Hook::Security,
        Hook::Custom,
    ];

    /// The hook with this id.
    pub fn from_id(id: u64) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| *h as u64 == id)
    }

    /// The command-line name (`net_rx`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Hook::Tracepoint => "tracepoint",
            Hook::Timer => "timer",
            Hook::NetRx => "net_rx",
            Hook::NetTx => "net_tx",
            Hook::Security => "security",
            Hook::Custom => "custom",
        }
    }

    /// The hook with this command-line name.
    pub fn from_name(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == name)
    }

    /// What a run returns when the program fails (SECURITY denies; the rest pass or count 0).
    pub fn default_return(self) -> i32 {
        match self {
            Hook::Security => 1,
            _ => 0,
        }
    }
}

/// `CAP_LOG`: `mbpf.log`.
pub const CAP_LOG: u32 = 1;
/// `CAP_MAP_READ`: map lookups.
pub const CAP_MAP_READ: u32 = 2;
/// `CAP_MAP_WRITE`: map updates and deletes.
pub const CAP_MAP_WRITE: u32 = 4;
/// `CAP_MAP_ITERATE`: `nextKey`.
pub const CAP_MAP_ITERATE: u32 = 8;
/// `CAP_EMIT`: `mbpf.emit`.
pub const CAP_EMIT: u32 = 16;
/// `CAP_TIME`: `mbpf.nowNs`.
pub const CAP_TIME: u32 = 32;
/// `CAP_STATS`: `mbpf.stats`.
pub const CAP_STATS: u32 = 64;

/// Capability bits and their manifest names.
pub const CAPABILITIES: [(&str, u32); 7] = [
    ("CAP_LOG", CAP_LOG),
    ("CAP_MAP_READ", CAP_MAP_READ),
    ("CAP_MAP_WRITE", CAP_MAP_WRITE),
    ("CAP_MAP_ITERATE", CAP_MAP_ITERATE),
    ("CAP_EMIT", CAP_EMIT),
    ("CAP_TIME", CAP_TIME),
    ("CAP_STATS", CAP_STATS),
];

/// The manifest name of capability `bit` ("" for none).
pub fn capability_name(bit: u32) -> &'static str {
    CAPABILITIES.iter().find(|c| c.1 == bit).map_or("", |c| c.0)
}

/// The bit of a capability name (`CAP_LOG`), if known.
pub fn capability_bit(name: &str) -> Option<u32> {
    CAPABILITIES.iter().find(|c| c.0 == name).map(|c| c.1)
}

/// Map types of the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// 1: array indexed by number (key_size 0).
    Array = 1,
    /// 2: hash.
    Hash = 2,
    /// 3: hash with least-recently-used eviction.
    LruHash = 3,
    /// 5: ring of events (value_size = largest event).
    Ring = 5,
    /// 6: 64-bit counters.
    Counter = 6,
    /// 7: per-CPU array.
    PercpuArray = 7,
    /// 8: per-CPU hash.
    PercpuHash = 8,
}

impl MapKind {
    /// Every map type.
    pub const ALL: [MapKind; 7] = [
        MapKind::Array,
        MapKind::Hash,
        MapKind::LruHash,
        MapKind::Ring,
        MapKind::Counter,
        MapKind::PercpuArray,
        MapKind::PercpuHash,
    ];

    /// The type with this code.
    pub fn from_code(code: u64) -> Option<MapKind> {
        MapKind::ALL.into_iter().find(|k| *k as u64 == code)
    }

    /// The command-line name (`array`, `hash`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MapKind::Array => "array",
            MapKind::Hash => "hash",
            MapKind::LruHash => "lru_hash",
            MapKind::Ring => "ring",
            MapKind::Counter => "counter",
            MapKind::PercpuArray => "percpu_array",
            MapKind::PercpuHash => "percpu_hash",
        }
    }

    /// The type with this command-line name.
    pub fn from_name(name: &str) -> Option<MapKind> {
        MapKind::ALL.into_iter().find(|k| k.name() == name)
    }
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

/// Required fields seen so far, to name the first one missing.
#[derive(Default)]
struct Seen(Vec<&'static str>);

impl Seen {
    fn mark(&mut self, at: usize, key: &'static str) -> Result<(), MbpfError> {
        if self.0.contains(&key) {
            return Err(err(at, format!("key `{key}` appears twice")));
        }
        self.0.push(key);
        Ok(())
    }

    fn require(&self, keys: &[&'static str], end: usize, what: &str) -> Result<(), MbpfError> {
        match keys.iter().find(|k| !self.0.contains(k)) {
            Some(k) => Err(err(end, format!("{what} lacks the required key `{k}`"))),
            None => Ok(()),
        }
    }
}

/// A key of a map: text.
fn key(r: &mut Reader<'_>) -> Result<(usize, String), MbpfError> {
    let at = r.offset();
    let k = r.text(64, "a key")?;
    Ok((at, k))
}

/// Reads a manifest.
pub fn decode(bytes: &[u8]) -> Result<Manifest, MbpfError> {
    match bytes.first() {
        None => return Err(err(0, "the manifest is empty")),
        Some(b'{' | b' ' | b'\t' | b'\n' | b'\r') => {
            return Err(err(0, "JSON manifests are not supported; use CBOR"));
        }
        Some(0xA0..=0xBB) => {}
        Some(0xBF) => return Err(err(0, "indefinite-length items are not allowed")),
        Some(b) => return Err(err(0, format!("not a CBOR map (first byte {b:#04x})"))),
    }
    let mut r = Reader::new(bytes);
    let (_, pairs) = r.map("the manifest")?;
    let mut m = Manifest::new("", "", Hook::Custom);
    let mut seen = Seen::default();
    let mut entry = None;
    for _ in 0..pairs {
        let (at, k) = key(&mut r)?;
        match k.as_str() {
            "program_name" => {
                seen.mark(at, "program_name")?;
                m.name = r.text(MAX_NAME, "program_name")?;
            }
            "program_version" => {
                seen.mark(at, "program_version")?;
                m.version = r.text(MAX_SHORT_NAME, "program_version")?;
            }
            "hook_type" => {
                seen.mark(at, "hook_type")?;
                let vat = r.offset();
                let id = r.uint("hook_type")?;
                m.hook = Hook::from_id(u64::from(id))
                    .ok_or_else(|| err(vat, format!("hook_type {id} is not 1 to 6")))?;
            }
            "hook_ctx_abi_version" => {
                seen.mark(at, "hook_ctx_abi_version")?;
                m.hook_ctx_abi_version = r.uint("hook_ctx_abi_version")?;
            }
            "entry_symbol" => {
                seen.mark(at, "entry_symbol")?;
                entry = Some(r.text(MAX_NAME, "entry_symbol")?);
            }
            "mquickjs_bytecode_version" => {
                seen.mark(at, "mquickjs_bytecode_version")?;
                m.bytecode_version = r.uint("mquickjs_bytecode_version")?;
            }
            "target" => {
                seen.mark(at, "target")?;
                target(&mut r, &mut m)?;
            }
            "mbpf_api_version" => {
                seen.mark(at, "mbpf_api_version")?;
                m.api_version = r.uint("mbpf_api_version")?;
            }
            "heap_size" => {
                seen.mark(at, "heap_size")?;
                let vat = r.offset();
                m.heap_size = r.uint("heap_size")?;
                if m.heap_size < MIN_HEAP {
                    return Err(err(
                        vat,
                        format!("heap_size {} is below {MIN_HEAP}", m.heap_size),
                    ));
                }
            }
            "budgets" => {
                seen.mark(at, "budgets")?;
                budgets(&mut r, &mut m)?;
            }
            "capabilities" => {
                seen.mark(at, "capabilities")?;
                let n = r.array("capabilities")?;
                m.capabilities = 0;
                for _ in 0..n {
                    let name = r.text(64, "a capability")?;
                    // Unknown names are ignored, as the reference does.
                    m.capabilities |= capability_bit(&name).unwrap_or(0);
                }
            }
            "maps" => {
                seen.mark(at, "maps")?;
                let n = r.array("maps")?;
                m.maps = (0..n).map(|_| map_decl(&mut r)).collect::<Result<_, _>>()?;
            }
            "helper_versions" => {
                seen.mark(at, "helper_versions")?;
                let (_, n) = r.map("helper_versions")?;
                for _ in 0..n {
                    let name = r.text(MAX_SHORT_NAME, "a helper name")?;
                    let v = r.uint("a helper version")?;
                    m.helper_versions.push((name, v));
                }
            }
            _ => r.skip(0)?,
        }
    }
    let end = r.offset();
    seen.require(
        &[
            "program_name",
            "program_version",
            "hook_type",
            "hook_ctx_abi_version",
            "mquickjs_bytecode_version",
            "target",
            "mbpf_api_version",
            "heap_size",
            "budgets",
            "capabilities",
        ],
        end,
        "the manifest",
    )?;
    if end != bytes.len() {
        return Err(err(
            end,
            format!("{} bytes after the manifest", bytes.len() - end),
        ));
    }
    m.entry = entry.unwrap_or_else(|| DEFAULT_ENTRY.to_owned());
    Ok(m)
}

fn target(r: &mut Reader<'_>, m: &mut Manifest) -> Result<(), MbpfError> {
    let (start, n) = r.map("target")?;
    let mut seen = Seen::default();
    for _ in 0..n {
        let (at, k) = key(r)?;
        match k.as_str() {
            "word_size" => {
                seen.mark(at, "word_size")?;
                let vat = r.offset();
                m.word_size = r.uint("target.word_size")?;
                if m.word_size != 32 && m.word_size != 64 {
                    return Err(err(
                        vat,
                        format!("target.word_size {} is not 32 or 64", m.word_size),
                    ));
                }
            }
            "endianness" => {
                seen.mark(at, "endianness")?;
                let (vat, h) = r.head()?;
                m.little_endian = match h {
                    Header::Positive(0) => true,
                    Header::Positive(1) => false,
                    Header::Text(Some(len)) => {
                        match r.text_body(vat, len, 8, "target.endianness")?.as_str() {
                            "little" => true,
                            "big" => false,
                            other => {
                                return Err(err(
                                    vat,
                                    format!("target.endianness `{other}` is not little or big"),
                                ));
                            }
                        }
                    }
                    _ => {
                        return Err(err(
                            vat,
                            "target.endianness must be \"little\", \"big\", 0 or 1",
                        ));
                    }
                };
            }
            _ => r.skip(1)?,
        }
    }
    seen.require(&["word_size", "endianness"], start, "target")
}

fn budgets(r: &mut Reader<'_>, m: &mut Manifest) -> Result<(), MbpfError> {
    let (start, n) = r.map("budgets")?;
    let mut seen = Seen::default();
    for _ in 0..n {
        let (at, k) = key(r)?;
        match k.as_str() {
            "max_steps" => {
                seen.mark(at, "max_steps")?;
                m.budgets.max_steps = r.uint("budgets.max_steps")?;
            }
            "max_helpers" => {
                seen.mark(at, "max_helpers")?;
                m.budgets.max_helpers = r.uint("budgets.max_helpers")?;
            }
            "max_wall_time_us" => {
                seen.mark(at, "max_wall_time_us")?;
                m.budgets.max_wall_time_us = Some(r.uint("budgets.max_wall_time_us")?);
            }
            _ => r.skip(1)?,
        }
    }
    seen.require(&["max_steps", "max_helpers"], start, "budgets")
}

/// Whether `name` is a valid map name: non-empty printable ASCII without `'`, `"` or `\`.
pub fn valid_map_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'\'' | b'"' | b'\\'))
}

fn map_decl(r: &mut Reader<'_>) -> Result<MapDecl, MbpfError> {
    let (start, n) = r.map("a map declaration")?;
    let mut name = None;
    let mut code = (start, 0u32);
    let mut d = MapDecl {
        name: String::new(),
        kind: MapKind::Array,
        key_size: 0,
        value_size: 0,
        max_entries: 0,
        flags: 0,
    };
    let mut seen = Seen::default();
    for _ in 0..n {
        let (at, k) = key(r)?;
        match k.as_str() {
            "name" => {
                seen.mark(at, "name")?;
                let vat = r.offset();
                let s = r.text(MAX_SHORT_NAME, "a map name")?;
                if !valid_map_name(&s) {
                    return Err(err(
                        vat,
                        format!(
                            "map name {s:?} must be printable ASCII without quotes or backslash"
                        ),
                    ));
                }
                name = Some(s);
            }
            "type" => {
                seen.mark(at, "type")?;
                code = (r.offset(), r.uint("a map type")?);
            }
            "key_size" => {
                seen.mark(at, "key_size")?;
                d.key_size = r.uint("key_size")?;
            }
            "value_size" => {
                seen.mark(at, "value_size")?;
                d.value_size = r.uint("value_size")?;
            }
            "max_entries" => {
                seen.mark(at, "max_entries")?;
                d.max_entries = r.uint("max_entries")?;
            }
            "flags" => {
                seen.mark(at, "flags")?;
                d.flags = r.uint("flags")?;
            }
            _ => r.skip(1)?,
        }
    }
    d.name = name.ok_or_else(|| err(start, "a map declaration lacks its name"))?;
    let (at, code) = code;
    let kind = MapKind::from_code(u64::from(code))
        .ok_or_else(|| err(at, format!("map `{}` has unknown type {code}", d.name)))?;
    d.kind = match kind {
        MapKind::Array if d.flags & 1 != 0 => MapKind::PercpuArray,
        MapKind::Hash if d.flags & 1 != 0 => MapKind::PercpuHash,
        k => k,
    };
    Ok(d)
}

/// Writes a manifest: shortest-form heads, the reference generator's key order (entry_symbol
/// only when not the default, maps and helper_versions only when present).
pub fn encode(m: &Manifest) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = Encoder::from(&mut out);
        let mut pairs = 10;
        pairs += usize::from(m.entry != DEFAULT_ENTRY);
        pairs += usize::from(!m.maps.is_empty());
        pairs += usize::from(!m.helper_versions.is_empty());
        // Writing into a Vec cannot fail.
        let _ = write_manifest(&mut e, m, pairs);
    }
    out
}

fn write_manifest(
    e: &mut Encoder<&mut Vec<u8>>,
    m: &Manifest,
    pairs: usize,
) -> Result<(), std::io::Error> {
    let uint = |e: &mut Encoder<&mut Vec<u8>>, k: &str, v: u32| -> Result<(), std::io::Error> {
        e.text(k, None)?;
        e.push(Header::Positive(u64::from(v)))
    };
    e.push(Header::Map(Some(pairs)))?;
    e.text("program_name", None)?;
    e.text(&m.name, None)?;
    e.text("program_version", None)?;
    e.text(&m.version, None)?;
    uint(e, "hook_type", m.hook as u32)?;
    uint(e, "hook_ctx_abi_version", m.hook_ctx_abi_version)?;
    if m.entry != DEFAULT_ENTRY {
        e.text("entry_symbol", None)?;
        e.text(&m.entry, None)?;
    }
    uint(e, "mquickjs_bytecode_version", m.bytecode_version)?;
    e.text("target", None)?;
    e.push(Header::Map(Some(2)))?;
    uint(e, "word_size", m.word_size)?;
    e.text("endianness", None)?;
    e.text(if m.little_endian { "little" } else { "big" }, None)?;
    uint(e, "mbpf_api_version", m.api_version)?;
    uint(e, "heap_size", m.heap_size)?;
    e.text("budgets", None)?;
    e.push(Header::Map(Some(
        2 + usize::from(m.budgets.max_wall_time_us.is_some()),
    )))?;
    uint(e, "max_steps", m.budgets.max_steps)?;
    uint(e, "max_helpers", m.budgets.max_helpers)?;
    if let Some(t) = m.budgets.max_wall_time_us {
        uint(e, "max_wall_time_us", t)?;
    }
    let caps = m.capability_names();
    e.text("capabilities", None)?;
    e.push(Header::Array(Some(caps.len())))?;
    for c in caps {
        e.text(c, None)?;
    }
    if !m.maps.is_empty() {
        e.text("maps", None)?;
        e.push(Header::Array(Some(m.maps.len())))?;
        for d in &m.maps {
            e.push(Header::Map(Some(6)))?;
            e.text("name", None)?;
            e.text(&d.name, None)?;
            uint(e, "type", d.kind as u32)?;
            uint(e, "key_size", d.key_size)?;
            uint(e, "value_size", d.value_size)?;
            uint(e, "max_entries", d.max_entries)?;
            uint(e, "flags", d.flags)?;
        }
    }
    if !m.helper_versions.is_empty() {
        e.text("helper_versions", None)?;
        e.push(Header::Map(Some(m.helper_versions.len())))?;
        for (name, v) in &m.helper_versions {
            uint(e, name, *v)?;
        }
    }
    Ok(())
}
