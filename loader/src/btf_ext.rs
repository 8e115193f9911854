//! `.BTF.ext`: which source line each instruction of the object's code comes from (`line_info`)
//! and where each function starts (`func_info`), as clang writes them with `-g`.
//!
//! After a header (magic `0xeb9f`, version 1, its length, then offset and length of the
//! `func_info` and `line_info` parts, relative to its end), each part is a record size followed by
//! one block per code section: the section's name (an offset in the `.BTF` strings), a record
//! count and the records. A `func_info` record is the byte offset of a function in its section
//! and its `BTF_KIND_FUNC` type; a `line_info` record the byte offset of an instruction, the
//! file name and source line text (offsets in the `.BTF` strings), and `line << 10 | column`.

use crate::btf::Btf;
use crate::error::{ElfError, malformed};

const SECTION: &str = ".BTF.ext";
const MAGIC: u16 = 0xeb9f;

/// A `line_info` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawLine {
    /// Byte offset of the instruction in its code section.
    pub(crate) offset: u64,
    /// Byte offset of the record in `.BTF.ext`, for messages.
    pub(crate) at: u64,
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) source: String,
}

/// A `func_info` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawFunc {
    /// Byte offset of the function's first instruction in its code section.
    pub(crate) offset: u64,
    /// Byte offset of the record in `.BTF.ext`, for messages.
    pub(crate) at: u64,
    /// The function's name, from its BTF type.
    pub(crate) name: String,
}

/// The records of `.BTF.ext`, each with the name of the code section it is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BtfExt {
    pub(crate) lines: Vec<(String, RawLine)>,
    pub(crate) funcs: Vec<(String, RawFunc)>,
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn bad(at: usize, what: impl ToString) -> ElfError {
    malformed(SECTION, at as u64, what)
}

/// Parses the `.BTF.ext` section `data`, whose strings and types are in `btf`.
pub(crate) fn parse(data: &[u8], btf: &Btf<'_>) -> Result<BtfExt, ElfError> {
    if data.len() < 24 {
        return Err(bad(0, "shorter than the .BTF.ext header"));
    }
    if u16::from_le_bytes([data[0], data[1]]) != MAGIC {
        return Err(bad(0, "bad magic (big-endian or not .BTF.ext)"));
    }
    if data[2] != 1 {
        return Err(bad(2, format!("version {} (1 expected)", data[2])));
    }
    let word = |off| u32_at(data, off).unwrap_or(0) as usize;
    let hdr_len = word(4);
    if hdr_len < 24 || hdr_len > data.len() {
        return Err(bad(4, format!("header length {hdr_len}")));
    }
    let part = |field: usize, what: &str| {
        let (off, len) = (word(field), word(field + 4));
        hdr_len
            .checked_add(off)
            .and_then(|s| Some((s, s.checked_add(len)?)))
            .filter(|&(_, e)| e <= data.len())
            .ok_or_else(|| bad(field, format!("{what} outside the section")))
    };
    let mut ext = BtfExt::default();
    let (start, end) = part(8, "func_info")?;
    blocks(data, start, end, 8, btf, |sec, at, rec| {
        let type_id = u32_at(rec, 4).unwrap_or(0);
        let name = btf
            .func_name(type_id)
            .ok_or_else(|| bad(at + 4, format!("type {type_id} is not a BTF function")))?;
        let offset = u64::from(u32_at(rec, 0).unwrap_or(0));
        ext.funcs.push((
            sec.to_owned(),
            RawFunc {
                offset,
                at: at as u64,
                name,
            },
        ));
        Ok(())
    })?;
    let (start, end) = part(16, "line_info")?;
    blocks(data, start, end, 16, btf, |sec, at, rec| {
        let string = |field: usize| {
            let off = u32_at(rec, field).unwrap_or(0);
            btf.string(off).ok_or_else(|| {
                bad(
                    at + field,
                    format!("string offset {off} outside the .BTF strings"),
                )
            })
        };
        let line_col = u32_at(rec, 12).unwrap_or(0);
        let line = RawLine {
            offset: u64::from(u32_at(rec, 0).unwrap_or(0)),
            at: at as u64,
            file: string(4)?,
            line: line_col >> 10,
            column: line_col & 0x3ff,
            source: string(8)?,
        };
        ext.lines.push((sec.to_owned(), line));
        Ok(())
    })?;
    Ok(ext)
}

/// Walks the part `start..end` of `data`: a record size (at least `min`), then blocks of a
/// section name, a count and that many records; calls `record` with each record's section name,
/// byte offset in `data` and bytes.
fn blocks(
    data: &[u8],
    start: usize,
    end: usize,
    min: usize,
    btf: &Btf<'_>,
    mut record: impl FnMut(&str, usize, &[u8]) -> Result<(), ElfError>,
) -> Result<(), ElfError> {
    if start == end {
        return Ok(());
    }
    let rec_size =
        u32_at(&data[..end], start).ok_or_else(|| bad(start, "no record size"))? as usize;
    if rec_size < min || !rec_size.is_multiple_of(4) {
        return Err(bad(start, format!("record size {rec_size}")));
    }
    let mut pos = start + 4;
    while pos < end {
        let (Some(name_off), Some(count)) =
            (u32_at(&data[..end], pos), u32_at(&data[..end], pos + 4))
        else {
            return Err(bad(pos, "truncated block header"));
        };
        let section = btf.string(name_off).ok_or_else(|| {
            bad(
                pos,
                format!("section name offset {name_off} outside the .BTF strings"),
            )
        })?;
        let first = pos + 8;
        let last = (count as usize)
            .checked_mul(rec_size)
            .and_then(|n| first.checked_add(n))
            .filter(|&e| e <= end)
            .ok_or_else(|| {
                bad(
                    pos,
                    format!("{count} records of {rec_size} bytes past the end of the part"),
                )
            })?;
        for at in (first..last).step_by(rec_size) {
            record(&section, at, &data[at..at + rec_size])?;
        }
        pos = last;
    }
    Ok(())
}
