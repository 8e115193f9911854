//! The `.mbpf` container: a 20-byte header, a table of 16-byte section descriptors, the sections,
//! CRC-32s (zlib's) of each section and of the file, and an Ed25519 signature last.
//!
//! Byte-compatible with microBPF's container (all integers little-endian, no padding): the reader
//! accepts what the reference writes, and what [`write`](fn@write) produces the reference reads.

use super::MbpfError;

/// `"FPBM"` on disk.
pub const MAGIC: u32 = 0x4D42_5046;
/// The only format version.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes of the header.
pub const HEADER_SIZE: usize = 20;
/// Bytes of one section descriptor.
pub const DESCRIPTOR_SIZE: usize = 16;
/// Header flag: the bundle carries a signature.
pub const FLAG_SIGNED: u32 = 1;
/// Header flag: the bundle carries debug information.
pub const FLAG_DEBUG: u32 = 2;
/// Most sections a bundle may have (the reference's assembler writes at most 8; oxbpf's own
/// section types add three).
pub const MAX_SECTIONS: u32 = 64;

/// Section types.
pub mod section {
    /// The CBOR manifest.
    pub const MANIFEST: u32 = 1;
    /// The reference's MQuickJS heap image (not runnable on QuickJS).
    pub const BYTECODE: u32 = 2;
    /// Map declarations (never read: maps come from the manifest).
    pub const MAPS: u32 = 3;
    /// Debug information.
    pub const DEBUG: u32 = 4;
    /// The 64-byte Ed25519 signature, last in the file.
    pub const SIG: u32 = 5;
    /// oxbpf: the JavaScript module source, UTF-8.
    pub const JS_SOURCE: u32 = 0x100;
    /// oxbpf: QuickJS bytecode of the module.
    pub const QJS_BYTECODE: u32 = 0x101;
    /// oxbpf: the entry function lowered to eBPF (raw little-endian instructions).
    pub const EBPF_TEXT: u32 = 0x102;

    /// A name for a section type.
    pub fn name(kind: u32) -> &'static str {
        match kind {
            MANIFEST => "MANIFEST",
            BYTECODE => "BYTECODE",
            MAPS => "MAPS",
            DEBUG => "DEBUG",
            SIG => "SIG",
            JS_SOURCE => "JS_SOURCE",
            QJS_BYTECODE => "QJS_BYTECODE",
            EBPF_TEXT => "EBPF_TEXT",
            _ => "unknown",
        }
    }
}

/// One entry of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// The section type ([`section`]).
    pub kind: u32,
    /// Offset of its data from the start of the file.
    pub offset: u32,
    /// Length of its data.
    pub length: u32,
    /// CRC-32 of its data; 0 = absent.
    pub crc32: u32,
}

/// A parsed container: the header fields and the section table, over the file's bytes.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    bytes: &'a [u8],
    /// `header_size` as stored.
    pub header_size: u16,
    /// Header flags ([`FLAG_SIGNED`], [`FLAG_DEBUG`]); informational.
    pub flags: u32,
    /// CRC-32 of the file (bytes `[0, 16)` and `[20, EOF)`); 0 = absent.
    pub file_crc32: u32,
    /// The section table, in file order.
    pub sections: Vec<Descriptor>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// CRC-32 (zlib/IEEE) of the file as the header's `file_crc32` covers it.
pub fn file_crc(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..16.min(bytes.len())]);
    h.update(bytes.get(HEADER_SIZE..).unwrap_or(&[]));
    h.finalize()
}

impl<'a> Container<'a> {
    /// Parses the header and the section table, checking every bound: the magic, the version,
    /// the header size against the table and the file, each section inside the file, non-empty
    /// sections not overlapping.
    pub fn parse(bytes: &'a [u8]) -> Result<Container<'a>, MbpfError> {
        if bytes.len() < HEADER_SIZE {
            return Err(MbpfError::Truncated {
                what: "header",
                need: HEADER_SIZE,
                have: bytes.len(),
            });
        }
        let magic = u32_at(bytes, 0);
        if magic != MAGIC {
            return Err(MbpfError::BadMagic(magic));
        }
        let version = u16_at(bytes, 4);
        if version != FORMAT_VERSION {
            return Err(MbpfError::UnsupportedVersion(version));
        }
        let header_size = u16_at(bytes, 6);
        let flags = u32_at(bytes, 8);
        let count = u32_at(bytes, 12);
        let file_crc32 = u32_at(bytes, 16);
        if count > MAX_SECTIONS {
            return Err(MbpfError::TooManySections(count));
        }
        let table_end = HEADER_SIZE + DESCRIPTOR_SIZE * count as usize;
        if (header_size as usize) < table_end {
            return Err(MbpfError::HeaderSize {
                header_size,
                need: table_end,
            });
        }
        if header_size as usize > bytes.len() {
            return Err(MbpfError::Truncated {
                what: "header and section table",
                need: header_size as usize,
                have: bytes.len(),
            });
        }
        let mut sections = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let at = HEADER_SIZE + DESCRIPTOR_SIZE * i;
            let d = Descriptor {
                kind: u32_at(bytes, at),
                offset: u32_at(bytes, at + 4),
                length: u32_at(bytes, at + 8),
                crc32: u32_at(bytes, at + 12),
            };
            let (off, len) = (d.offset as usize, d.length as usize);
            if off > bytes.len() || len > bytes.len() - off {
                return Err(MbpfError::SectionOutOfFile {
                    index: i,
                    kind: d.kind,
                    offset: d.offset,
                    length: d.length,
                    file_len: bytes.len(),
                });
            }
            sections.push(d);
        }
        for (i, a) in sections.iter().enumerate() {
            for (j, b) in sections.iter().enumerate().skip(i + 1) {
                let overlap = a.length != 0
                    && b.length != 0
                    && u64::from(a.offset) < u64::from(b.offset) + u64::from(b.length)
                    && u64::from(b.offset) < u64::from(a.offset) + u64::from(a.length);
                if overlap {
                    return Err(MbpfError::SectionsOverlap {
                        first: i,
                        second: j,
                    });
                }
            }
        }
        Ok(Container {
            bytes,
            header_size,
            flags,
            file_crc32,
            sections,
        })
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The data of section `d`.
    pub fn data(&self, d: &Descriptor) -> &'a [u8] {
        // In bounds: checked by `parse`.
        &self.bytes[d.offset as usize..d.offset as usize + d.length as usize]
    }

    /// The first section of type `kind` (as the reference looks them up).
    pub fn find(&self, kind: u32) -> Option<&Descriptor> {
        self.sections.iter().find(|d| d.kind == kind)
    }

    /// The data of the first section of type `kind`.
    pub fn section(&self, kind: u32) -> Option<&'a [u8]> {
        self.find(kind).map(|d| self.data(d))
    }

    /// Checks every CRC that is present (non-zero): each section's, then the file's.
    pub fn check_crcs(&self) -> Result<(), MbpfError> {
        for (index, d) in self.sections.iter().enumerate() {
            if d.crc32 != 0 {
                let actual = crc32fast::hash(self.data(d));
                if actual != d.crc32 {
                    return Err(MbpfError::SectionCrc {
                        index,
                        kind: d.kind,
                        stored: d.crc32,
                        actual,
                    });
                }
            }
        }
        if self.file_crc32 != 0 {
            let actual = file_crc(self.bytes);
            if actual != self.file_crc32 {
                return Err(MbpfError::FileCrc {
                    stored: self.file_crc32,
                    actual,
                });
            }
        }
        Ok(())
    }
}

/// Writes a container holding `sections` (type and data) back to back after the table, in the
/// order given, with `flags`; with `crc`, fills every section CRC and the file CRC.
pub fn write(sections: &[(u32, &[u8])], flags: u32, crc: bool) -> Result<Vec<u8>, MbpfError> {
    let count = u32::try_from(sections.len())
        .ok()
        .filter(|&c| c <= MAX_SECTIONS)
        .ok_or(MbpfError::TooManySections(u32::MAX))?;
    let header_size = HEADER_SIZE + DESCRIPTOR_SIZE * sections.len();
    let total: usize = header_size + sections.iter().map(|s| s.1.len()).sum::<usize>();
    if u32::try_from(total).is_err() {
        return Err(MbpfError::TooLarge(total));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_size as u16).to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut offset = header_size as u32;
    for (kind, data) in sections {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        let c = if crc { crc32fast::hash(data) } else { 0 };
        out.extend_from_slice(&c.to_le_bytes());
        offset += data.len() as u32;
    }
    for (_, data) in sections {
        out.extend_from_slice(data);
    }
    if crc {
        let c = file_crc(&out);
        out[16..20].copy_from_slice(&c.to_le_bytes());
    }
    Ok(out)
}
