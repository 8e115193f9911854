//! The manifest's CBOR read into the model ([`Manifest`]): every key checked as it is read
//! (type, range, length, duplicates), the required ones demanded at the end of their map, and
//! every error naming the byte offset it is about.

use super::{
    DEFAULT_ENTRY, Hook, MAX_NAME, MAX_SHORT_NAME, MIN_HEAP, Manifest, MapDecl, MapKind,
    capability_bit,
};
use crate::mbpf::MbpfError;
use crate::mbpf::cbor::{Reader, err};
use ciborium_ll::Header;

/// Required fields seen so far, to name the first one missing.
#[derive(Default)]
struct Seen(Vec<&'static str>);

impl Seen {
    /// Marks `key` (at byte `at`) as seen, refusing it the second time.
    fn mark(&mut self, at: usize, key: &'static str) -> Result<(), MbpfError> {
        if self.0.contains(&key) {
            return Err(err(at, format!("key `{key}` appears twice")));
        }
        self.0.push(key);
        Ok(())
    }

    /// The error naming the first of `keys` not seen, at byte `end` of map `what`.
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

/// Reads `target` (word size and endianness) into `m`.
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

/// Reads `budgets` into `m`.
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

/// Reads one entry of `maps`, the `PERCPU` flag applied to its type.
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
