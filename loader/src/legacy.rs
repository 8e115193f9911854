//! Legacy map sections (`maps`, `maps/NAME`): arrays of fixed-size records, one per map symbol,
//! as libbpf before 1.0, the Linux kernel samples and iproute2 (`tc`, `ip`, Cilium) read them.
//!
//! As libbpf, the record size is the section's size divided by the number of map symbols in it;
//! every symbol must start a record. Records of 16 bytes and more are read:
//!
//! | bytes | fields                                                     | written by              |
//! |-------|------------------------------------------------------------|-------------------------|
//! | 0-15  | `type`, `key_size`, `value_size`, `max_entries`            | all                     |
//! | 16-19 | `map_flags`                                                | all                     |
//! | 20-27 | `inner_map_idx`, `numa_node`                               | kernel samples (28 B)   |
//! | 20-35 | `id`, `pinning`, `inner_id`, `inner_idx`                   | iproute2 `bpf_elf_map` (36 B) |
//!
//! When the object's BTF describes the record's struct (clang `-g`), its member names decide
//! where each field is (iproute2's `size_key`, `max_elem`, ... as well as `bpf_map_def`'s), which
//! tells iproute2's older 28-byte `bpf_elf_map` (`id`, `pinning`) from the samples'; without
//! BTF, a 36-byte record is iproute2's and any other the samples'. Every byte outside the fields
//! read must be zero.
//!
//! Inner maps: a map of maps' `inner_map_idx` (samples) is the index of its inner map among the
//! object's legacy maps; its `inner_id` (iproute2) the `id` of its inner map. A map of maps whose
//! `value_size` is 0 (the samples left it out) holds 4-byte map ids, as their loader made it. iproute2 also puts
//! each map whose `id` is a map of maps' `inner_id` at slot `inner_idx` of it, and each
//! program of a tail-call section `N/M` at slot `M` of the program array whose `id` is `N`: both
//! become [`MapSpec::initial`](crate::MapSpec::initial) values.

use crate::btf::Btf;
use crate::elf::ProgramInfo;
use crate::error::{ElfError, malformed, unsupported};
use crate::maps::{MapInit, RawDef, RawMap};
use crate::sections::tail_call_section;
use oxbpf_helpers::Pinning;

/// The fields of a legacy record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Type,
    KeySize,
    ValueSize,
    MaxEntries,
    Flags,
    InnerMapIdx,
    NumaNode,
    Id,
    Pinning,
    InnerId,
    InnerIdx,
}

/// The field a struct member of this name is, in `bpf_map_def` or iproute2's `bpf_elf_map`.
fn field_named(name: &str) -> Option<Field> {
    Some(match name {
        "type" => Field::Type,
        "key_size" | "size_key" => Field::KeySize,
        "value_size" | "size_value" => Field::ValueSize,
        "max_entries" | "max_elem" => Field::MaxEntries,
        "map_flags" | "flags" => Field::Flags,
        "inner_map_idx" => Field::InnerMapIdx,
        "numa_node" => Field::NumaNode,
        "id" => Field::Id,
        "pinning" => Field::Pinning,
        "inner_id" => Field::InnerId,
        "inner_idx" => Field::InnerIdx,
        _ => return None,
    })
}

/// Where each field of a record is: `(field, byte offset)`, each 4 bytes.
type Layout = Vec<(Field, usize)>;

/// The layout of map `name`'s records of `size` bytes: from the BTF of its variable when that is
/// a struct of `size` bytes naming the four fields every definition has, else by size.
fn layout(btf: Option<&Btf<'_>>, name: &str, size: usize) -> Layout {
    if let Some(l) = btf.and_then(|b| btf_layout(b, name, size)) {
        return l;
    }
    use Field as F;
    let mut l = vec![
        (F::Type, 0),
        (F::KeySize, 4),
        (F::ValueSize, 8),
        (F::MaxEntries, 12),
    ];
    if size >= 20 {
        l.push((F::Flags, 16));
    }
    if size == 36 {
        l.extend([
            (F::Id, 20),
            (F::Pinning, 24),
            (F::InnerId, 28),
            (F::InnerIdx, 32),
        ]);
    } else {
        if size >= 24 {
            l.push((F::InnerMapIdx, 20));
        }
        if size >= 28 {
            l.push((F::NumaNode, 24));
        }
    }
    l
}

/// The layout the BTF of variable `name` gives, if it describes a `size`-byte struct with the
/// four fields every definition has.
fn btf_layout(btf: &Btf<'_>, name: &str, size: usize) -> Option<Layout> {
    let ty = btf.var_type(name)?;
    if btf.size_of(ty)? != size as u64 {
        return None;
    }
    let layout: Layout = btf
        .struct_members(ty)?
        .iter()
        .filter(|m| m.bit_offset % 8 == 0 && btf.size_of(m.type_id) == Some(4))
        .filter_map(|m| Some((field_named(&m.name)?, (m.bit_offset / 8) as usize)))
        .filter(|&(_, at)| at + 4 <= size)
        .collect();
    let has = |f| layout.iter().any(|&(g, _)| g == f);
    [
        Field::Type,
        Field::KeySize,
        Field::ValueSize,
        Field::MaxEntries,
    ]
    .into_iter()
    .all(has)
    .then_some(layout)
}

/// How a legacy map names other maps: the fields beyond its definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Links {
    /// Samples: for a map of maps, the index of its inner map among the legacy maps.
    inner_map_idx: Option<u32>,
    /// iproute2: the map's id (0: none).
    id: u32,
    /// iproute2: for a map of maps, the `id` of its inner maps (0: none).
    inner_id: u32,
    /// iproute2: the slot of the map of maps whose `inner_id` is this map's `id` that this map
    /// fills (`u32::MAX`: none).
    inner_idx: Option<u32>,
}

/// The maps of the legacy section `section` with contents `data` and map symbols `symbols`
/// (byte offset and name), with their links to other maps.
pub(crate) fn section_maps(
    section: &str,
    data: &[u8],
    symbols: &[(u64, String)],
    btf: Option<&Btf<'_>>,
) -> Result<Vec<(RawMap, Links)>, ElfError> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let n = symbols.len();
    if data.is_empty() || !data.len().is_multiple_of(n) {
        return Err(malformed(
            section,
            0,
            format!(
                "{} bytes for {n} map symbols: not one record of the same size each",
                data.len()
            ),
        ));
    }
    let size = data.len() / n;
    if size < 16 {
        return Err(malformed(
            section,
            0,
            format!("map records of {size} bytes (a map definition takes 16 or more)"),
        ));
    }
    symbols
        .iter()
        .map(|(offset, name)| {
            let record = usize::try_from(*offset)
                .ok()
                .filter(|o| o % size == 0)
                .and_then(|o| data.get(o..o.checked_add(size)?))
                .ok_or_else(|| {
                    malformed(
                        section,
                        *offset,
                        format!("map `{name}` does not start a record of {size} bytes"),
                    )
                })?;
            record_map(section, *offset, name, record, &layout(btf, name, size))
        })
        .collect()
}

/// The map `name` whose record at `offset` of `section` is `record`, read with `layout`.
fn record_map(
    section: &str,
    offset: u64,
    name: &str,
    record: &[u8],
    layout: &Layout,
) -> Result<(RawMap, Links), ElfError> {
    let mut covered = vec![false; record.len()];
    let mut def = RawDef::new(name, 0, 0, 0, 0);
    let mut links = Links::default();
    for &(field, at) in layout {
        let b = &record[at..at + 4];
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        covered[at..at + 4].fill(true);
        match field {
            Field::Type => def.type_id = v,
            Field::KeySize => def.key_size = v,
            Field::ValueSize => def.value_size = v,
            Field::MaxEntries => def.max_entries = v,
            Field::Flags => def.flags = v,
            Field::InnerMapIdx => links.inner_map_idx = Some(v),
            // A placement hint without meaning in one process.
            Field::NumaNode => {}
            Field::Id => links.id = v,
            Field::InnerId => links.inner_id = v,
            Field::InnerIdx => links.inner_idx = Some(v),
            // iproute2: 1 the object's namespace, 2 the global one; others name paths in
            // /etc/iproute2/bpf_pinning.
            Field::Pinning => {
                def.pinning = match v {
                    0 => Pinning::None,
                    1 | 2 => Pinning::ByName,
                    _ => {
                        return Err(unsupported(
                            section,
                            offset + at as u64,
                            format!("map `{name}`: iproute2 pinning {v} (a custom pinning path)"),
                        ));
                    }
                };
            }
        }
    }
    if let Some(i) = (0..record.len()).find(|&i| !covered[i] && record[i] != 0) {
        return Err(unsupported(
            section,
            offset + i as u64,
            format!(
                "map `{name}`: non-zero byte {i} of its {}-byte definition, in no field oxbpf reads",
                record.len()
            ),
        ));
    }
    Ok((RawMap::new(section, offset, def), links))
}

/// Resolves the links of the legacy maps `legacy` (index in `maps` and links, in the object's
/// order): inner maps of maps of maps, iproute2's inner-map slots and tail-call sections.
pub(crate) fn link(
    maps: &mut [RawMap],
    legacy: &[(usize, Links)],
    programs: &[ProgramInfo],
) -> Result<(), ElfError> {
    for &(i, l) in legacy {
        if !maps[i].def.holds_maps() {
            continue;
        }
        // Slots hold 4-byte map ids; the samples left the size out (their loader gave 4).
        if maps[i].def.value_size == 0 {
            maps[i].def.value_size = 4;
        }
        let (section, offset, name) = (&maps[i].section, maps[i].offset, &maps[i].def.name);
        let inner = if l.inner_id != 0 {
            let found = legacy
                .iter()
                .find(|&&(j, lj)| j != i && lj.id == l.inner_id);
            let &(j, _) = found.ok_or_else(|| {
                malformed(
                    section,
                    offset,
                    format!(
                        "map `{name}`: no map has id {}, its inner maps' (inner_id)",
                        l.inner_id
                    ),
                )
            })?;
            Some(j)
        } else if let Some(idx) = l.inner_map_idx {
            let found = legacy.get(idx as usize).filter(|&&(j, _)| j != i);
            let &(j, _) = found.ok_or_else(|| {
                malformed(
                    section,
                    offset,
                    format!(
                        "map `{name}`: its inner map, legacy map {idx} (inner_map_idx), is not \
                         another of the object's {} legacy maps",
                        legacy.len()
                    ),
                )
            })?;
            Some(j)
        } else {
            None
        };
        if let Some(j) = inner {
            maps[i].def.inner = Some(Box::new(RawDef {
                inner: None,
                ..maps[j].def.clone()
            }));
        }
    }
    // iproute2: a map with an id goes into slot `inner_idx` of the maps of maps holding that id.
    for &(i, l) in legacy {
        let slot = l.inner_idx.filter(|&s| s != u32::MAX);
        let Some(slot) = slot.filter(|_| l.id != 0 && l.inner_id == 0) else {
            continue;
        };
        for &(j, lj) in legacy {
            if j != i && maps[j].def.holds_maps() && lj.inner_id == l.id {
                check_slot(&maps[j], slot, &maps[i].def.name)?;
                maps[j].initial.push((slot, MapInit::Map(i)));
            }
        }
    }
    // iproute2: the program of section `N/M` goes into slot `M` of the program array with id `N`.
    let mut seen = Vec::new();
    for p in programs {
        let Some((id, slot)) = tail_call_section(&p.section) else {
            continue;
        };
        if seen.contains(&&p.section) {
            continue;
        }
        seen.push(&p.section);
        for &(j, lj) in legacy {
            if maps[j].def.is_prog_array() && lj.id == id {
                check_slot(&maps[j], slot, &p.name)?;
                maps[j]
                    .initial
                    .push((slot, MapInit::Program(p.name.clone())));
            }
        }
    }
    Ok(())
}

/// Checks that `slot` is an index of `map`, for `what` to go into it.
fn check_slot(map: &RawMap, slot: u32, what: &str) -> Result<(), ElfError> {
    if slot < map.def.max_entries {
        return Ok(());
    }
    Err(malformed(
        &map.section,
        map.offset,
        format!(
            "`{what}` goes into slot {slot} of map `{}`, which has {} entries",
            map.def.name, map.def.max_entries
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn syms(names: &[&str], size: u64) -> Vec<(u64, String)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64 * size, (*n).to_owned()))
            .collect()
    }

    #[test]
    fn record_sizes_from_the_symbol_count() {
        // 16 (the oldest bpf_map_def), 20, 24, 28 (samples), 36 (iproute2) bytes.
        for (size, words) in [
            (16, vec![1, 4, 8, 10]),
            (20, vec![1, 4, 8, 10, 1]),
            (24, vec![1, 4, 8, 10, 1, 0]),
            (28, vec![1, 4, 8, 10, 1, 0, 0]),
            (36, vec![1, 4, 8, 10, 1, 0, 0, 0, 0]),
        ] {
            let data = [record(&words), record(&words)].concat();
            let maps = section_maps("maps", &data, &syms(&["a", "b"], size), None).unwrap();
            assert_eq!(maps.len(), 2);
            let (m, _) = &maps[1];
            assert_eq!(m.offset, size);
            assert_eq!(
                (
                    m.def.type_id,
                    m.def.key_size,
                    m.def.value_size,
                    m.def.max_entries
                ),
                (1, 4, 8, 10)
            );
            assert_eq!(m.def.flags, if size >= 20 { 1 } else { 0 }, "{size}");
        }
    }

    #[test]
    fn iproute2_fields() {
        let data = record(&[2, 4, 4, 1, 0, 7, 2, 0, 3]);
        let maps = section_maps("maps", &data, &syms(&["m"], 36), None).unwrap();
        let (m, l) = &maps[0];
        assert_eq!(m.def.pinning, Pinning::ByName);
        assert_eq!(
            *l,
            Links {
                inner_map_idx: None,
                id: 7,
                inner_id: 0,
                inner_idx: Some(3)
            }
        );
        let data = record(&[2, 4, 4, 1, 0, 7, 3, 0, 0]);
        let err = section_maps("maps", &data, &syms(&["m"], 36), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "maps at offset 0x18: map `m`: iproute2 pinning 3 (a custom pinning path) is not \
             supported"
        );
    }

    #[test]
    fn bad_sections_name_the_offset() {
        let data = record(&[1, 4, 8, 10, 0]);
        // 20 bytes for 3 symbols.
        let err = section_maps("maps", &data, &syms(&["a", "b", "c"], 4), None).unwrap_err();
        assert!(
            err.to_string().contains("20 bytes for 3 map symbols"),
            "{err}"
        );
        // 12-byte records.
        let data = record(&[1, 4, 8, 1, 4, 8]);
        let err = section_maps("maps", &data, &syms(&["a", "b"], 12), None).unwrap_err();
        assert!(err.to_string().contains("records of 12 bytes"), "{err}");
        // A symbol inside a record.
        let data = [record(&[1, 4, 8, 10, 0]), record(&[1, 4, 8, 10, 0])].concat();
        let s = vec![(0, "a".to_owned()), (8, "b".to_owned())];
        let err = section_maps("maps", &data, &s, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed ELF: maps at offset 0x8: map `b` does not start a record of 20 bytes"
        );
        // Unknown non-zero bytes.
        let data = record(&[1, 4, 8, 10, 0, 0, 0, 0x100]);
        let err = section_maps("maps", &data, &syms(&["a"], 32), None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("maps at offset 0x1d: map `a`: non-zero byte 29 of its 32-byte"),
            "{err}"
        );
        // No symbols: nothing to read.
        assert!(section_maps("maps", &data, &[], None).unwrap().is_empty());
    }

    /// Maps of maps: `(index, links)` of the legacy maps, then `link`.
    fn linked(defs: Vec<(RawDef, Links)>) -> Result<Vec<RawMap>, ElfError> {
        let mut maps = Vec::new();
        let mut legacy = Vec::new();
        for (i, (def, l)) in defs.into_iter().enumerate() {
            maps.push(RawMap::new("maps", i as u64 * 28, def));
            legacy.push((i, l));
        }
        link(&mut maps, &legacy, &[])?;
        Ok(maps)
    }

    #[test]
    fn samples_inner_map_idx() {
        let links = |idx| Links {
            inner_map_idx: Some(idx),
            ..Links::default()
        };
        let inner = RawDef::new("inner", 2, 4, 8, 16);
        let outer = RawDef::new("outer", 12, 4, 4, 4);
        let maps = linked(vec![(inner.clone(), links(0)), (outer.clone(), links(0))]).unwrap();
        assert_eq!(maps[1].def.inner.as_deref(), Some(&inner));
        assert_eq!(maps[0].def.inner, None);
        let err = linked(vec![(inner.clone(), links(0)), (outer.clone(), links(1))]).unwrap_err();
        assert!(
            err.to_string().contains("legacy map 1 (inner_map_idx)"),
            "{err}"
        );
        let err = linked(vec![(inner, links(0)), (outer, links(5))]).unwrap_err();
        assert!(err.to_string().contains("at offset 0x1c"), "{err}");
    }

    #[test]
    fn iproute2_inner_id_and_inner_idx() {
        let l = |id, inner_id, inner_idx| Links {
            inner_map_idx: None,
            id,
            inner_id,
            inner_idx: Some(inner_idx),
        };
        let inner = RawDef::new("inner", 2, 4, 4, 1);
        let outer = RawDef::new("outer", 13, 4, 4, 2);
        let other = RawDef::new("other", 1, 4, 4, 1);
        let maps = linked(vec![
            (outer.clone(), l(0, 5, 0)),
            (other.clone(), l(0, 0, 0)),
            (inner.clone(), l(5, 0, 1)),
        ])
        .unwrap();
        assert_eq!(maps[0].def.inner.as_deref(), Some(&inner));
        assert_eq!(maps[0].initial, [(1, MapInit::Map(2))]);
        assert!(maps[1].initial.is_empty() && maps[2].initial.is_empty());
        // No map with the inner id.
        let err = linked(vec![
            (outer.clone(), l(0, 6, 0)),
            (inner.clone(), l(5, 0, 0)),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("no map has id 6"), "{err}");
        // inner_idx -1: defined, not placed.
        let maps = linked(vec![
            (outer.clone(), l(0, 5, 0)),
            (inner.clone(), l(5, 0, u32::MAX)),
        ])
        .unwrap();
        assert!(maps[0].initial.is_empty());
        // A slot beyond the map.
        let err = linked(vec![(outer, l(0, 5, 0)), (inner, l(5, 0, 2))]).unwrap_err();
        assert!(
            err.to_string()
                .contains("slot 2 of map `outer`, which has 2"),
            "{err}"
        );
    }
}
