//! The model ([`Manifest`]) written as CBOR, as microBPF's generator writes it: shortest-form
//! heads and the generator's key order.

use super::{DEFAULT_ENTRY, Manifest};
use ciborium_ll::{Encoder, Header};

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

/// Writes the manifest's `pairs` keys to `e`.
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
