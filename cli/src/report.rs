//! What `oxbpf run --dump-maps` and `oxbpf inspect` print.

use oxbpf::{ElfObject, MapSet};
use std::fmt::Write;

/// `bytes` as lower-case hex digits.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `text` as a JSON string.
fn json_str(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The maps and their contents as JSON: one object per map with its definition and
/// `entries` (`key` and `value` as hex; per-CPU values every CPU's in turn; queue, stack and
/// ring-buffer entries have empty keys).
pub fn maps_json(maps: &MapSet) -> String {
    maps_json_of(maps.iter())
}

/// [`maps_json`] of a bundle's maps: the runtime's own (written flags) left out.
pub fn bundle_maps_json(maps: &MapSet) -> String {
    maps_json_of(
        maps.iter()
            .filter(|m| !oxbpf::mbpf::runtime::is_internal(m)),
    )
}

fn maps_json_of<'a>(maps: impl Iterator<Item = &'a std::sync::Arc<oxbpf::Map>>) -> String {
    let mut out = String::from("{\"maps\": [");
    for (i, m) in maps.enumerate() {
        let d = m.def();
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "\n  {{\"name\": {}, \"type\": {}, \"key_size\": {}, \"value_size\": {}, \
             \"max_entries\": {}, \"flags\": {}, \"entries\": [",
            json_str(m.name()),
            json_str(d.map_type.name()),
            d.key_size,
            d.value_size,
            d.max_entries,
            d.flags
        );
        for (j, (k, v)) in m.entries().iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{{\"key\": \"{}\", \"value\": \"{}\"}}",
                hex(k),
                hex(v)
            );
        }
        out.push_str("]}");
    }
    out.push_str("\n]}");
    out
}

/// The name of relocation type `t`.
fn reloc_name(t: u32) -> String {
    match t {
        1 => "R_BPF_64_64".into(),
        2 => "R_BPF_64_ABS64".into(),
        3 => "R_BPF_64_ABS32".into(),
        4 => "R_BPF_64_NODYLD32".into(),
        10 => "R_BPF_64_32".into(),
        t => format!("type {t}"),
    }
}

/// Programs, maps and relocations, one per line under three headings.
pub fn inspect(obj: &ElfObject) -> String {
    let mut out = String::from("programs:\n");
    for p in obj.programs() {
        let len = obj.program(Some(&p.name)).map_or_else(
            |e| format!("error: {e}"),
            |l| format!("{} insns linked", l.bytecode.len() / 8),
        );
        let _ = writeln!(out, "  {:<24} section {:<32} {len}", p.name, p.section);
    }
    out.push_str("maps:\n");
    for m in obj.maps() {
        let d = &m.def;
        let lock = d
            .spin_lock
            .map(|l| format!("  bpf_spin_lock +{l}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<24} {:<13} key {:>3}  value {:>5}  max_entries {:>7}  flags {:#x}  ({} +{:#x}){lock}",
            m.name(),
            d.map_type.name(),
            d.key_size,
            d.value_size,
            d.max_entries,
            d.flags,
            m.section,
            m.offset
        );
    }
    out.push_str("relocations:\n");
    for r in obj.relocations() {
        let sym = if r.symbol.is_empty() {
            &r.target_section
        } else {
            &r.symbol
        };
        let _ = writeln!(
            out,
            "  {}+{:#x}  {:<17} {} ({})",
            r.section,
            r.offset,
            reloc_name(r.r_type),
            sym,
            r.target_section
        );
    }
    out
}
