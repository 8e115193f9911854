//! The maps an object defines, as libbpf finds them: BTF-defined maps in `.maps`, legacy
//! `struct bpf_map_def`s in `maps`, and one single-entry array map per global-data section
//! (`.data`, `.rodata`, `.bss` and their `.data.*`/`.rodata.*` variants such as `.rodata.str1.1`).

use crate::btf::{Btf, unsupported_field};
use crate::error::{ElfError, malformed, unsupported};
use oxbpf_helpers::{MapDef, MapType, Pinning};

/// A map of the object, to be created at load: its definition and where the object defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// The section defining it.
    pub section: String,
    /// Its byte offset in that section (0 for global data).
    pub offset: u64,
    /// Its definition, with its name: the variable's, or the section's for global data.
    pub def: MapDef,
    /// For global data: the initial contents (zeros for `.bss`).
    pub data: Option<Vec<u8>>,
}

impl MapSpec {
    /// Its name: the variable's, or the section's for global data.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Whether this is global data (a section's variables, addressed directly by `lddw`).
    pub fn is_global_data(&self) -> bool {
        self.data.is_some()
    }

    /// Whether programs may only read it (see [`MapDef::read_only_to_programs`]).
    pub fn is_readonly(&self) -> bool {
        self.def.read_only_to_programs()
    }
}

/// Whether `name` is a global-data section.
pub(crate) fn is_data_section(name: &str) -> bool {
    [".data", ".rodata", ".bss"]
        .iter()
        .any(|p| name == *p || name.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// The global-data map of section `name` with contents `data`.
pub(crate) fn data_map(name: &str, data: Vec<u8>) -> Result<MapSpec, ElfError> {
    let size = u32::try_from(data.len().max(1))
        .map_err(|_| unsupported(name, 0, "a global-data section over 4 GiB"))?;
    let readonly = name.starts_with(".rodata");
    let flags = if readonly {
        oxbpf_helpers::map::BPF_F_RDONLY_PROG
    } else {
        0
    };
    Ok(MapSpec {
        section: name.to_owned(),
        offset: 0,
        def: MapDef::new(name, MapType::Array, 4, size, 1).with_flags(flags),
        data: Some(data),
    })
}

fn map_type(section: &str, offset: u64, id: u32, name: &str) -> Result<MapType, ElfError> {
    MapType::from_id(id).ok_or_else(|| {
        unsupported(
            section,
            offset,
            format!("map `{name}` of type {id} (no such map type here)"),
        )
    })
}

/// A legacy `struct bpf_map_def` (type, key_size, value_size, max_entries, map_flags) at
/// `offset` of the `maps` section `data`.
pub(crate) fn legacy_map(
    section: &str,
    data: &[u8],
    name: &str,
    offset: u64,
) -> Result<MapSpec, ElfError> {
    let field = |i: u64| {
        let at = offset.checked_add(4 * i)? as usize;
        let b = data.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let f: Option<Vec<u32>> = (0..5).map(field).collect();
    let f = f.ok_or_else(|| {
        malformed(
            section,
            offset,
            format!("map `{name}`: a bpf_map_def needs 20 bytes"),
        )
    })?;
    let map_type = map_type(section, offset, f[0], name)?;
    Ok(MapSpec {
        section: section.to_owned(),
        offset,
        def: MapDef::new(name, map_type, f[1], f[2], f[3]).with_flags(f[4]),
        data: None,
    })
}

/// A BTF-defined map: the variable `name` at `offset` of `.maps`, described by `btf`.
pub(crate) fn btf_map(btf: &Btf<'_>, name: &str, offset: u64) -> Result<MapSpec, ElfError> {
    let sec = ".maps";
    let bad = |what: String| malformed(sec, offset, format!("map `{name}`: {what}"));
    let ty = btf
        .var_type(name)
        .ok_or_else(|| bad("no BTF variable of that name".into()))?;
    let members = btf
        .struct_members(ty)
        .ok_or_else(|| bad("its BTF type is not a struct".into()))?;
    let (mut map_type_id, mut key_size, mut value_size, mut max_entries, mut flags) =
        (None, None, None, None, 0);
    let mut pinning = Pinning::None;
    let uint = |m: &crate::btf::Member| {
        btf.uint_value(m.type_id)
            .ok_or_else(|| bad(format!("`{}` is not a __uint", m.name)))
    };
    let size = |m: &crate::btf::Member| {
        btf.pointee_size(m.type_id)
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| bad(format!("`{}` is not a sized __type", m.name)))
    };
    for m in &members {
        match m.name.as_str() {
            "type" => map_type_id = Some(uint(m)?),
            "max_entries" => max_entries = Some(uint(m)?),
            "map_flags" => flags = uint(m)?,
            "key_size" => key_size = Some(uint(m)?),
            "value_size" => value_size = Some(uint(m)?),
            "key" => key_size = Some(size(m)?),
            "value" => value_size = Some(size(m)?),
            "pinning" => {
                let v = uint(m)?;
                pinning = Pinning::from_libbpf(v)
                    .ok_or_else(|| bad(format!("pinning {v} (0 or 1: none or by name)")))?;
            }
            // A placement hint without meaning in one process.
            "numa_node" => {}
            other => return Err(unsupported_field(name, other)),
        }
    }
    let type_id = map_type_id.ok_or_else(|| bad("no `type`".into()))?;
    let def = MapDef::new(
        name,
        map_type(sec, offset, type_id, name)?,
        key_size.unwrap_or(0),
        value_size.unwrap_or(0),
        max_entries.ok_or_else(|| bad("no `max_entries`".into()))?,
    );
    Ok(MapSpec {
        section: sec.to_owned(),
        offset,
        def: MapDef {
            flags,
            pinning,
            ..def
        },
        data: None,
    })
}
