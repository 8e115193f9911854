//! The part of BTF (the `.BTF` section) the loader reads: the types of map variables, the names of
//! functions, and the string table `.BTF.ext` points into.
//!
//! A BTF-defined map is a variable of an anonymous struct whose members encode the definition:
//! `__uint(name, N)` is a pointer to an array of `N` ints, `__type(name, T)` a pointer to `T`,
//! `__array(values, T)` an array of no elements of pointers to `T`. This module reads the type
//! table, finds a variable by name and decodes such a struct.

use crate::error::{ElfError, malformed, unsupported};

const SECTION: &str = ".BTF";
const MAGIC: u16 = 0xeb9f;

/// Kinds (`BTF_KIND_*`).
mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const FWD: u32 = 7;
    pub const TYPEDEF: u32 = 8;
    pub const VOLATILE: u32 = 9;
    pub const CONST: u32 = 10;
    pub const RESTRICT: u32 = 11;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
    pub const FLOAT: u32 = 16;
    pub const DECL_TAG: u32 = 17;
    pub const TYPE_TAG: u32 = 18;
    pub const ENUM64: u32 = 19;
}

/// One type: its kind, name, `size`/`type` field and the offset of what follows it.
#[derive(Clone, Copy, Debug)]
struct Type {
    kind: u32,
    /// `kind_flag`: for structs, members' offsets hold a bitfield size in their top byte.
    kind_flag: bool,
    name_off: u32,
    vlen: usize,
    size_or_type: u32,
    /// Byte offset of the kind-specific data in the type section.
    extra: usize,
}

/// A parsed type table.
#[derive(Debug)]
pub(crate) struct Btf<'a> {
    types: Vec<Type>,
    type_data: &'a [u8],
    strings: &'a [u8],
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A member of a struct.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) type_id: u32,
    /// Its offset in the struct, in bits.
    pub(crate) bit_offset: u32,
}

/// What the elements of an `__array(values, T)` point to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Values {
    /// Maps of the struct type `T` (a map of maps).
    Maps(u32),
    /// Functions (a program array).
    Programs,
}

impl<'a> Btf<'a> {
    /// Parses the `.BTF` section `data`.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Btf<'a>, ElfError> {
        let bad = |off: usize, what: &str| malformed(SECTION, off as u64, what);
        if data.len() < 24 {
            return Err(bad(0, "shorter than the BTF header"));
        }
        let magic = u16::from_le_bytes([data[0], data[1]]);
        if magic != MAGIC {
            return Err(bad(0, "bad magic (big-endian or not BTF)"));
        }
        let field = |i: usize| u32_at(data, 4 + 4 * i).unwrap_or(0) as usize;
        let (hdr_len, type_off, type_len, str_off, str_len) =
            (field(0), field(1), field(2), field(3), field(4));
        let part = |off: usize, len: usize, what: &str| {
            hdr_len
                .checked_add(off)
                .and_then(|s| Some((s, s.checked_add(len)?)))
                .and_then(|(s, e)| data.get(s..e))
                .ok_or_else(|| bad(hdr_len.saturating_add(off), what))
        };
        let type_data = part(type_off, type_len, "type section outside the data")?;
        let strings = part(str_off, str_len, "string section outside the data")?;
        let mut types = Vec::new();
        let mut off = 0;
        while off < type_data.len() {
            let at = |o: usize| {
                u32_at(type_data, off + o)
                    .ok_or_else(|| bad(hdr_len + type_off + off, "truncated type"))
            };
            let (name_off, info, size_or_type) = (at(0)?, at(4)?, at(8)?);
            let kind = (info >> 24) & 0x1f;
            let vlen = (info & 0xffff) as usize;
            let extra = off + 12;
            let len = match kind {
                kind::INT | kind::VAR | kind::DECL_TAG => 4,
                kind::PTR
                | kind::FWD
                | kind::TYPEDEF
                | kind::VOLATILE
                | kind::CONST
                | kind::RESTRICT
                | kind::FUNC
                | kind::FLOAT
                | kind::TYPE_TAG => 0,
                kind::ARRAY => 12,
                kind::STRUCT | kind::UNION | kind::DATASEC | kind::ENUM64 => 12 * vlen,
                kind::ENUM | kind::FUNC_PROTO => 8 * vlen,
                k => {
                    return Err(bad(
                        hdr_len + type_off + off,
                        &format!("unknown type kind {k} (type {})", types.len() + 1),
                    ));
                }
            };
            let end = extra
                .checked_add(len)
                .filter(|&e| e <= type_data.len())
                .ok_or_else(|| bad(hdr_len + type_off + off, "truncated type"))?;
            types.push(Type {
                kind,
                kind_flag: info >> 31 != 0,
                name_off,
                vlen,
                size_or_type,
                extra,
            });
            off = end;
        }
        Ok(Btf {
            types,
            type_data,
            strings,
        })
    }

    fn get(&self, id: u32) -> Option<&Type> {
        self.types.get((id as usize).checked_sub(1)?)
    }

    fn name(&self, off: u32) -> String {
        let s = self.strings.get(off as usize..).unwrap_or_default();
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        String::from_utf8_lossy(&s[..end]).into_owned()
    }

    fn word(&self, off: usize) -> u32 {
        u32_at(self.type_data, off).unwrap_or(0)
    }

    /// Follows typedefs and qualifiers from `id`.
    fn resolve(&self, mut id: u32) -> Option<(u32, &Type)> {
        for _ in 0..32 {
            let t = self.get(id)?;
            match t.kind {
                kind::TYPEDEF | kind::VOLATILE | kind::CONST | kind::RESTRICT | kind::TYPE_TAG => {
                    id = t.size_or_type;
                }
                _ => return Some((id, t)),
            }
        }
        None
    }

    /// The size in bytes of type `id`.
    pub(crate) fn size_of(&self, id: u32) -> Option<u64> {
        self.size_depth(id, 0)
    }

    fn size_depth(&self, id: u32, depth: u32) -> Option<u64> {
        if depth > 32 {
            return None;
        }
        let (_, t) = self.resolve(id)?;
        match t.kind {
            kind::INT
            | kind::STRUCT
            | kind::UNION
            | kind::ENUM
            | kind::ENUM64
            | kind::FLOAT
            | kind::DATASEC => Some(u64::from(t.size_or_type)),
            kind::PTR => Some(8),
            kind::ARRAY => {
                let elem = self.word(t.extra);
                let n = self.word(t.extra + 8);
                self.size_depth(elem, depth + 1)?.checked_mul(u64::from(n))
            }
            _ => None,
        }
    }

    /// The type of the variable named `name`.
    pub(crate) fn var_type(&self, name: &str) -> Option<u32> {
        self.types
            .iter()
            .find(|t| t.kind == kind::VAR && self.name(t.name_off) == name)
            .map(|t| t.size_or_type)
    }

    /// The data section (`.kconfig`, `.ksyms`, ...) that lists the variable `name`, and the
    /// variable's type: where BTF places an `extern` variable.
    pub(crate) fn var_section(&self, name: &str) -> Option<(String, u32)> {
        self.types
            .iter()
            .filter(|t| t.kind == kind::DATASEC)
            .find_map(|sec| {
                (0..sec.vlen).find_map(|i| {
                    let var = self.get(u32_at(self.type_data, sec.extra + 12 * i)?)?;
                    (var.kind == kind::VAR && self.name(var.name_off) == name)
                        .then(|| (self.name(sec.name_off), var.size_or_type))
                })
            })
    }

    /// The members of the struct `id` (after typedefs and qualifiers).
    pub(crate) fn struct_members(&self, id: u32) -> Option<Vec<Member>> {
        let (_, t) = self.resolve(id)?;
        if t.kind != kind::STRUCT {
            return None;
        }
        Some(
            (0..t.vlen)
                .map(|i| {
                    let at = t.extra + 12 * i;
                    let offset = self.word(at + 8);
                    Member {
                        name: self.name(self.word(at)),
                        type_id: self.word(at + 4),
                        bit_offset: if t.kind_flag {
                            offset & 0xff_ffff
                        } else {
                            offset
                        },
                    }
                })
                .collect(),
        )
    }

    /// For `__uint(name, N)`: `N`, the element count of the array the pointer `id` points to.
    pub(crate) fn uint_value(&self, id: u32) -> Option<u32> {
        let (_, p) = self.resolve(id)?;
        if p.kind != kind::PTR {
            return None;
        }
        let (_, a) = self.resolve(p.size_or_type)?;
        (a.kind == kind::ARRAY).then(|| self.word(a.extra + 8))
    }

    /// For `__type(name, T)`: the size of `T`, which the pointer `id` points to.
    pub(crate) fn pointee_size(&self, id: u32) -> Option<u64> {
        let (_, p) = self.resolve(id)?;
        if p.kind != kind::PTR {
            return None;
        }
        self.size_of(p.size_or_type)
    }

    /// For `__type(value, T)`: where `T`, which the pointer `id` points to, holds its
    /// `struct bpf_spin_lock` (a member of that struct type, as Linux finds it), if it has one.
    pub(crate) fn spin_lock_offset(&self, id: u32) -> Option<u32> {
        let (_, p) = self.resolve(id)?;
        if p.kind != kind::PTR {
            return None;
        }
        self.struct_members(p.size_or_type)?
            .into_iter()
            .find_map(|m| {
                let (_, t) = self.resolve(m.type_id)?;
                (t.kind == kind::STRUCT && self.name(t.name_off) == "bpf_spin_lock")
                    .then_some(m.bit_offset / 8)
            })
    }

    /// For `__array(values, T)`: what the array `id` of pointers holds, maps (`T` a struct) or
    /// programs (`T` a function type).
    pub(crate) fn values(&self, id: u32) -> Option<Values> {
        let (_, a) = self.resolve(id)?;
        if a.kind != kind::ARRAY {
            return None;
        }
        let (_, p) = self.resolve(self.word(a.extra))?;
        if p.kind != kind::PTR {
            return None;
        }
        let (target, t) = self.resolve(p.size_or_type)?;
        match t.kind {
            kind::STRUCT => Some(Values::Maps(target)),
            kind::FUNC_PROTO => Some(Values::Programs),
            _ => None,
        }
    }

    /// The string at byte `off` of the string table, if one starts there.
    pub(crate) fn string(&self, off: u32) -> Option<String> {
        let s = self.strings.get(off as usize..)?;
        let end = s.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    }

    /// The name of the function (`BTF_KIND_FUNC`) `id`.
    pub(crate) fn func_name(&self, id: u32) -> Option<String> {
        let t = self.get(id)?;
        (t.kind == kind::FUNC).then(|| self.name(t.name_off))
    }
}

/// Shorthand for an unsupported BTF map field of the map at `offset` of `.maps`.
pub(crate) fn unsupported_field(map: &str, offset: u64, field: &str) -> ElfError {
    unsupported(".maps", offset, format!("field `{field}` of map `{map}`"))
}
