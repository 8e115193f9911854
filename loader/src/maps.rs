//! The maps an object defines, as libbpf finds them: BTF-defined maps in `.maps`, legacy
//! definitions in `maps` (read in `legacy`), and one single-entry array map per global-data
//! section (`.data`, `.rodata`, `.bss` and their `.data.*`/`.rodata.*` variants such as
//! `.rodata.str1.1`).
//!
//! Definitions are read as the object gives them ([`RawMap`], the type still a Linux id, so that
//! inner maps and initial values are found whatever types this build has) and become
//! [`MapSpec`]s once complete.

use crate::btf::{Btf, Values, unsupported_field};
use crate::elf::ProgramInfo;
use crate::error::{ElfError, malformed, relocation, unsupported};
use crate::externs::Extern;
use oxbpf_helpers::{MapDef, MapType, Pinning};

/// A map of the object, to be created at load: its definition and where the object defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// The section defining it.
    pub section: String,
    /// Its byte offset in that section (0 for global data).
    pub offset: u64,
    /// Its definition, with its name: the variable's, or the section's for global data. For a
    /// map of maps, [`MapDef::inner`] is the definition of the maps it holds (BTF's
    /// `__array(values, ...)`, the kernel samples' `inner_map_idx`, iproute2's `inner_id`).
    pub def: MapDef,
    /// For global data: the initial contents (zeros for `.bss`).
    pub data: Option<Vec<u8>>,
    /// The slots to fill once the map and the object's programs exist, each `(index, what)`
    /// in the order the object gives them: libbpf's initial values of a program array or a map
    /// of maps (`.values = { [1] = &prog }` in `.maps`), iproute2's tail-call sections (`N/M`
    /// puts its program at slot `M` of the program array with id `N`) and inner maps (`inner_idx`).
    /// The loader does not fill them: the host does, when it creates the maps.
    pub initial: Vec<(u32, MapInit)>,
    /// For `.kconfig`, the global data of the object's `extern ... __kconfig` variables: each
    /// variable, at its offset. The loader leaves them 0: the host gives their values
    /// ([`Kconfig`](crate::Kconfig)) when it creates the map.
    pub externs: Vec<Extern>,
}

/// What goes into a slot of a program array or a map of maps when the object is loaded (see
/// [`MapSpec::initial`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MapInit {
    /// The program of this name ([`ProgramInfo::name`]): a tail-call target.
    Program(String),
    /// The map at this index of [`ElfObject::maps`](crate::ElfObject::maps).
    Map(usize),
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

/// `BPF_MAP_TYPE_PROG_ARRAY`.
const PROG_ARRAY: u32 = 3;
/// `BPF_MAP_TYPE_ARRAY_OF_MAPS` and `BPF_MAP_TYPE_HASH_OF_MAPS`.
const MAPS_OF_MAPS: [u32; 2] = [12, 13];

/// Linux's map types by id (`enum bpf_map_type`, names without `BPF_MAP_TYPE_`), for messages
/// about the types this build does not have.
const LINUX_MAP_TYPES: [&str; 34] = [
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
    "user_ringbuf",
    "cgrp_storage",
    "arena",
];

/// A map definition as the object gives it: [`MapDef`] with the type still a Linux id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawDef {
    pub(crate) name: String,
    pub(crate) type_id: u32,
    pub(crate) key_size: u32,
    pub(crate) value_size: u32,
    pub(crate) max_entries: u32,
    pub(crate) flags: u32,
    pub(crate) pinning: Pinning,
    /// For a map of maps: the definition of the maps it holds.
    pub(crate) inner: Option<Box<RawDef>>,
    /// Where a value holds its `struct bpf_spin_lock` (BTF maps whose value type has one).
    pub(crate) spin_lock: Option<u32>,
}

impl RawDef {
    /// A definition of `name` with these fields, no flags, not pinned, holding no maps.
    pub(crate) fn new(name: &str, type_id: u32, key: u32, value: u32, entries: u32) -> RawDef {
        RawDef {
            name: name.to_owned(),
            type_id,
            key_size: key,
            value_size: value,
            max_entries: entries,
            flags: 0,
            pinning: Pinning::None,
            inner: None,
            spin_lock: None,
        }
    }

    /// Whether it is a map of maps (array or hash of maps).
    pub(crate) fn holds_maps(&self) -> bool {
        MAPS_OF_MAPS.contains(&self.type_id)
    }

    /// Whether it is a program array.
    pub(crate) fn is_prog_array(&self) -> bool {
        self.type_id == PROG_ARRAY
    }

    /// The definition, its type (and its inner maps') one of oxbpf's map types; errors name
    /// `section` and `offset`, where it is defined.
    fn to_def(&self, section: &str, offset: u64) -> Result<MapDef, ElfError> {
        let inner = match &self.inner {
            Some(i) => Some(Box::new(i.to_def(section, offset)?)),
            None => None,
        };
        Ok(MapDef {
            name: self.name.clone(),
            map_type: map_type(section, offset, self.type_id, &self.name)?,
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            flags: self.flags,
            inner,
            pinning: self.pinning,
            spin_lock: self.spin_lock,
        })
    }
}

/// A map as read from the object, before its definition is checked (see [`MapSpec`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawMap {
    pub(crate) section: String,
    pub(crate) offset: u64,
    pub(crate) def: RawDef,
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) initial: Vec<(u32, MapInit)>,
    pub(crate) externs: Vec<Extern>,
}

impl RawMap {
    /// The map `def` at `offset` of `section`, no data, no initial values.
    pub(crate) fn new(section: &str, offset: u64, def: RawDef) -> RawMap {
        RawMap {
            section: section.to_owned(),
            offset,
            def,
            data: None,
            initial: Vec::new(),
            externs: Vec::new(),
        }
    }

    /// The checked [`MapSpec`].
    pub(crate) fn into_spec(self) -> Result<MapSpec, ElfError> {
        Ok(MapSpec {
            def: self.def.to_def(&self.section, self.offset)?,
            section: self.section,
            offset: self.offset,
            data: self.data,
            initial: self.initial,
            externs: self.externs,
        })
    }
}

/// Whether `name` is a global-data section.
pub(crate) fn is_data_section(name: &str) -> bool {
    [".data", ".rodata", ".bss"]
        .iter()
        .any(|p| name == *p || name.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// The global-data map of section `name` with contents `data`.
pub(crate) fn data_map(name: &str, data: Vec<u8>) -> Result<RawMap, ElfError> {
    let size = u32::try_from(data.len().max(1))
        .map_err(|_| unsupported(name, 0, "a global-data section over 4 GiB"))?;
    let readonly = name.starts_with(".rodata");
    let flags = if readonly {
        oxbpf_helpers::map::BPF_F_RDONLY_PROG
    } else {
        0
    };
    let def = RawDef {
        flags,
        ..RawDef::new(name, MapType::Array as u32, 4, size, 1)
    };
    Ok(RawMap {
        data: Some(data),
        ..RawMap::new(name, 0, def)
    })
}

/// The map type with Linux id `id`, or an error naming the map, its type and where it is.
fn map_type(section: &str, offset: u64, id: u32, name: &str) -> Result<MapType, ElfError> {
    MapType::from_id(id).ok_or_else(|| {
        let what = match LINUX_MAP_TYPES.get(id as usize) {
            Some(linux) => format!("map `{name}` of type {id} ({linux})"),
            None => format!("map `{name}` of type {id} (not a Linux map type)"),
        };
        unsupported(section, offset, what)
    })
}

/// A BTF-defined map: the variable `name` at `offset` of `.maps`, described by `btf`, and the
/// byte offset of its `values` member (initial values) in it, if it has one.
pub(crate) fn btf_map(
    btf: &Btf<'_>,
    name: &str,
    offset: u64,
) -> Result<(RawMap, Option<u64>), ElfError> {
    let ty = btf.var_type(name).ok_or_else(|| {
        malformed(
            ".maps",
            offset,
            format!("map `{name}`: no BTF variable of that name"),
        )
    })?;
    let (def, values) = btf_def(btf, name, ty, offset, false)?;
    Ok((RawMap::new(".maps", offset, def), values))
}

/// The map definition the BTF struct `ty` encodes, for map `name` at `offset` of `.maps` (or
/// its inner maps, when `inner`), and the byte offset of its `values` member.
fn btf_def(
    btf: &Btf<'_>,
    name: &str,
    ty: u32,
    offset: u64,
    inner: bool,
) -> Result<(RawDef, Option<u64>), ElfError> {
    let sec = ".maps";
    let bad = |what: String| malformed(sec, offset, format!("map `{name}`: {what}"));
    let members = btf
        .struct_members(ty)
        .ok_or_else(|| bad("its BTF type is not a struct".into()))?;
    let (mut map_type_id, mut key_size, mut value_size, mut max_entries, mut flags) =
        (None, None, None, None, 0);
    let mut pinning = Pinning::None;
    let mut values = None;
    let mut spin_lock = None;
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
            "value" => {
                value_size = Some(size(m)?);
                spin_lock = btf.spin_lock_offset(m.type_id);
            }
            "pinning" => {
                let v = uint(m)?;
                pinning = Pinning::from_libbpf(v)
                    .ok_or_else(|| bad(format!("pinning {v} (0 or 1: none or by name)")))?;
            }
            "values" if inner => {
                return Err(unsupported(
                    sec,
                    offset,
                    format!("map `{name}`: maps of maps inside a map of maps"),
                ));
            }
            "values" => {
                let v = btf.values(m.type_id).ok_or_else(|| {
                    bad("`values` is not an __array of map or program pointers".into())
                })?;
                if m.bit_offset % 8 != 0 {
                    return Err(bad("`values` does not start on a byte".into()));
                }
                values = Some((v, u64::from(m.bit_offset / 8)));
            }
            // A placement hint without meaning in one process.
            "numa_node" => {}
            other => return Err(unsupported_field(name, offset, other)),
        }
    }
    let type_id = map_type_id.ok_or_else(|| bad("no `type`".into()))?;
    let mut def = RawDef {
        flags,
        pinning,
        spin_lock,
        ..RawDef::new(
            name,
            type_id,
            key_size.unwrap_or(0),
            value_size.unwrap_or(0),
            // Left out, as for a perf event array libbpf sizes one per CPU: 0, which the map
            // types that need a size refuse when the map is created.
            max_entries.unwrap_or(0),
        )
    };
    let Some((values, values_at)) = values else {
        return Ok((def, None));
    };
    // Slots of program arrays and maps of maps hold 4-byte ids.
    if value_size.is_some_and(|v| v != 4) {
        return Err(bad(format!(
            "value size {} with `values` (4: a program or map id)",
            def.value_size
        )));
    }
    def.value_size = 4;
    match values {
        Values::Maps(inner_ty) if def.holds_maps() => {
            let inner_name = format!("{name}.inner");
            let (inner, _) = btf_def(btf, &inner_name, inner_ty, offset, true)?;
            def.inner = Some(Box::new(inner));
        }
        Values::Programs if def.is_prog_array() => {}
        _ => {
            return Err(bad(format!(
                "`values` in a map of type {type_id} (only program arrays and maps of maps \
                 take initial values)"
            )));
        }
    }
    Ok((def, Some(values_at)))
}

/// A relocation of `.maps`: a pointer in a map's `values` to a map or a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MapsReloc {
    /// Byte offset of the pointer in `.maps`.
    pub(crate) offset: u64,
    /// The symbol it names.
    pub(crate) symbol: String,
    /// The section of that symbol.
    pub(crate) section: String,
    /// The byte it points to in that section: the symbol's value plus the addend.
    pub(crate) target: u64,
}

/// A BTF-defined map's place for initial values: its index in the object's maps, the byte
/// offset of its `values` member and its size in `.maps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ValuesAt {
    pub(crate) map: usize,
    pub(crate) values: Option<u64>,
    pub(crate) size: Option<u64>,
}

/// Fills the initial values of the BTF-defined maps from the relocations of `.maps`, as libbpf
/// does: a pointer at slot `i` of a map's `values` puts the program or map it points to at index
/// `i` of that map.
pub(crate) fn btf_initial_values(
    maps: &mut [RawMap],
    places: &[ValuesAt],
    relocs: &[MapsReloc],
    programs: &[ProgramInfo],
) -> Result<(), ElfError> {
    let sec = ".maps";
    for r in relocs {
        // The last map at or before the pointer, if the pointer is inside it.
        let place = places
            .iter()
            .filter(|p| maps[p.map].offset <= r.offset)
            .max_by_key(|p| maps[p.map].offset)
            .filter(|p| p.size.is_none_or(|s| r.offset - maps[p.map].offset < s))
            .ok_or_else(|| relocation(sec, r.offset, "a pointer outside every map"))?;
        let map = &maps[place.map];
        let name = &map.def.name;
        let moff = place
            .values
            .and_then(|v| (r.offset - map.offset).checked_sub(v))
            .filter(|o| o % 8 == 0)
            .ok_or_else(|| {
                relocation(
                    sec,
                    r.offset,
                    format!(
                        "a pointer to `{}` outside the `values` of map `{name}`",
                        r.symbol
                    ),
                )
            })?;
        let slot = u32::try_from(moff / 8)
            .ok()
            .filter(|&s| s < map.def.max_entries)
            .ok_or_else(|| {
                relocation(
                    sec,
                    r.offset,
                    format!(
                        "slot {} of map `{name}`, which has {} entries",
                        moff / 8,
                        map.def.max_entries
                    ),
                )
            })?;
        let init = if map.def.holds_maps() {
            let m = maps
                .iter()
                .position(|m| m.data.is_none() && m.section == r.section && m.offset == r.target)
                .ok_or_else(|| {
                    relocation(
                        sec,
                        r.offset,
                        format!(
                            "slot {slot} of map `{name}` holds `{}`, not a map of the object",
                            r.symbol
                        ),
                    )
                })?;
            MapInit::Map(m)
        } else {
            let p = programs
                .iter()
                .find(|p| p.section == r.section && p.offset == r.target)
                .ok_or_else(|| {
                    relocation(
                        sec,
                        r.offset,
                        format!(
                            "slot {slot} of map `{name}` holds `{}`, not a program of the object",
                            r.symbol
                        ),
                    )
                })?;
            MapInit::Program(p.name.clone())
        };
        maps[place.map].initial.push((slot, init));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_this_build_lacks_are_named() {
        match map_type("maps", 8, 12, "outer") {
            Ok(t) => assert_eq!(t as u32, 12),
            Err(e) => assert!(e.to_string().contains("type 12 (array_of_maps)"), "{e}"),
        }
        let err = map_type("maps", 8, 99, "odd").unwrap_err();
        assert!(
            err.to_string().contains("type 99 (not a Linux map type)"),
            "{err}"
        );
        assert!(err.to_string().starts_with("maps at offset 0x8"), "{err}");
    }

    #[test]
    fn inner_definitions_are_checked_too() {
        let mut def = RawDef::new("outer", 2, 4, 4, 1);
        def.inner = Some(Box::new(RawDef::new("outer.inner", 99, 4, 4, 1)));
        let err = RawMap::new(".maps", 16, def).into_spec().unwrap_err();
        assert!(
            err.to_string().contains("`outer.inner` of type 99"),
            "{err}"
        );
    }
}
