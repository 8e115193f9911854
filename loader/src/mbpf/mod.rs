//! `.mbpf` bundles: microBPF's signed container of a JavaScript program, its manifest and maps.
//!
//! - [`container`]: the header, the section table, CRC-32s; [`container::write`] assembles one.
//! - [`manifest`]: the CBOR manifest, read strictly and written byte-for-byte as the reference's
//!   generator does.
//! - [`sign`]: Ed25519 signatures over the bundle and the key files.
//! - [`hook`]: the hooks ([`hook::Hook`], one table of their ids, names, `ctx` fields and
//!   defaults), what a hook hands a run, and the context blob both runtimes read.
//! - [`runtime`]: what the QuickJS runtime and the lowering to eBPF share: the runtime's own
//!   maps, record and ring sizes, helper and log limits.
//! - [`Bundle::open`]: the load policy. Unlike the reference, CRCs are checked, and the
//!   signature is checked against the host's trusted keys; an unsigned bundle is refused unless
//!   the host allows it. QuickJS bytecode is used only from a bundle whose signature verified;
//!   otherwise the JavaScript source is compiled at load.
//!
//! Every error names where it went wrong (section, byte offset); no input makes the reader panic.
//!
//! ```
//! use oxbpf_loader::mbpf::{Bundle, LoadPolicy, Payload, container, manifest, sign};
//! let m = manifest::Manifest::new("drop_ff", "1.0", manifest::Hook::NetRx);
//! let js = b"function mbpf_prog(ctx) { return ctx.readU8(0) === 0xff ? 1 : 0; }";
//! let bundle = container::write(
//!     &[(container::section::MANIFEST, &manifest::encode(&m)), (container::section::JS_SOURCE, js)],
//!     0,
//!     true,
//! )?;
//! let key = sign::generate_key()?;
//! let signed = sign::sign(&bundle, &key)?;
//! let policy = LoadPolicy { trusted: vec![key.verifying_key()], allow_unsigned: false };
//! let opened = Bundle::open(&signed, &policy)?;
//! assert_eq!(opened.manifest.name, "drop_ff");
//! assert!(matches!(opened.payload, Payload::Source(_)));
//! assert!(Bundle::open(&bundle, &policy).is_err()); // unsigned
//! # Ok::<(), oxbpf_loader::mbpf::MbpfError>(())
//! ```

mod cbor;
pub mod container;
pub mod hook;
pub mod manifest;
pub mod runtime;
pub mod sign;

use container::{Container, section};
use ed25519_dalek::VerifyingKey;
use manifest::Manifest;

/// Why a bundle was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MbpfError {
    /// The file ends before a structure it must hold.
    #[error("truncated bundle: the {what} needs {need} bytes, the file has {have}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// Not an `.mbpf` file.
    #[error("not an .mbpf bundle: magic {0:#010x} at offset 0 (expected 0x4d425046, \"FPBM\")")]
    BadMagic(u32),
    /// A format version other than 1.
    #[error("unsupported .mbpf format version {0} at offset 4 (expected 1)")]
    UnsupportedVersion(u16),
    /// `header_size` smaller than the header and table.
    #[error(
        "header_size {header_size} at offset 6 is smaller than the header and section table ({need} bytes)"
    )]
    HeaderSize {
        /// As stored.
        header_size: u16,
        /// What the table needs.
        need: usize,
    },
    /// Too many sections.
    #[error("{0} sections (at most 64)")]
    TooManySections(u32),
    /// A bundle larger than 4 GiB.
    #[error("a bundle of {0} bytes is larger than 4 GiB")]
    TooLarge(usize),
    /// A section reaches outside the file.
    #[error(
        "section {index} ({kind:#x}) at offset {offset}, {length} bytes, lies outside the {file_len}-byte file"
    )]
    SectionOutOfFile {
        /// Its index in the table.
        index: usize,
        /// Its type.
        kind: u32,
        /// Its offset.
        offset: u32,
        /// Its length.
        length: u32,
        /// The file's length.
        file_len: usize,
    },
    /// Two sections share bytes.
    #[error("sections {first} and {second} overlap")]
    SectionsOverlap {
        /// The first.
        first: usize,
        /// The second.
        second: usize,
    },
    /// A section's CRC does not match its data.
    #[error(
        "section {index} ({kind:#x}): CRC-32 {actual:#010x} does not match the stored {stored:#010x}"
    )]
    SectionCrc {
        /// Its index in the table.
        index: usize,
        /// Its type.
        kind: u32,
        /// The stored CRC.
        stored: u32,
        /// The CRC of the data.
        actual: u32,
    },
    /// The file's CRC does not match.
    #[error("file CRC-32 {actual:#010x} does not match the stored {stored:#010x} (offset 16)")]
    FileCrc {
        /// The stored CRC.
        stored: u32,
        /// The CRC of the file.
        actual: u32,
    },
    /// A required section is missing.
    #[error("no {0} section")]
    MissingSection(&'static str),
    /// The manifest is invalid.
    #[error("manifest, byte {offset}: {message}")]
    Manifest {
        /// Offset in the manifest section.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The bundle is not signed and the host requires signatures.
    #[error("the bundle is not signed, and unsigned bundles are not allowed")]
    Unsigned,
    /// Signing a bundle that is already signed.
    #[error("the bundle is already signed")]
    AlreadySigned,
    /// The SIG section is not 64 bytes at the end of the file.
    #[error(
        "the signature section (offset {offset}, {length} bytes) must be 64 bytes ending at the end of the {file_len}-byte file"
    )]
    SignatureLayout {
        /// Its offset.
        offset: u32,
        /// Its length.
        length: u32,
        /// The file's length.
        file_len: usize,
    },
    /// The signature does not verify.
    #[error("the signature does not verify under the given key")]
    BadSignature,
    /// The signature verifies under none of the trusted keys.
    #[error("the signature does not verify under any of the {0} trusted keys")]
    Untrusted(usize),
    /// A key file is invalid.
    #[error("key: {0}")]
    Key(String),
    /// The bundle carries only QuickJS bytecode and is not signed by a trusted key.
    #[error(
        "the bundle carries only QuickJS bytecode, which runs only from a bundle signed by a trusted key (build it with --source, or sign it)"
    )]
    UntrustedBytecode,
    /// The bundle carries only the reference's MQuickJS heap image.
    #[error(
        "MQuickJS bytecode unsupported: the bundle has no JavaScript source (0x100) or QuickJS bytecode (0x101) section"
    )]
    MquickjsOnly,
}

/// What a host accepts.
#[derive(Clone, Debug, Default)]
pub struct LoadPolicy {
    /// Keys whose signatures are trusted.
    pub trusted: Vec<VerifyingKey>,
    /// Whether bundles without a signature load (their QuickJS bytecode is never used).
    pub allow_unsigned: bool,
}

/// The program a bundle carries, as the loader will use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// QuickJS bytecode from a bundle whose signature verified under a trusted key.
    Bytecode(Vec<u8>),
    /// JavaScript source, compiled at load.
    Source(String),
}

/// A bundle that passed the load policy.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// The manifest.
    pub manifest: Manifest,
    /// The program.
    pub payload: Payload,
    /// The lowered eBPF program, if the bundle carries one (raw instructions).
    pub ebpf: Option<Vec<u8>>,
    /// Whether the signature verified under a trusted key.
    pub signed: bool,
}

impl Bundle {
    /// Opens a bundle under `policy`: parses the container, checks every CRC present, checks
    /// the signature (or refuses an unsigned bundle unless allowed), reads the manifest, and
    /// picks the payload: QuickJS bytecode only when signed and trusted, else the source.
    pub fn open(bytes: &[u8], policy: &LoadPolicy) -> Result<Bundle, MbpfError> {
        let c = Container::parse(bytes)?;
        c.check_crcs()?;
        // A signature must verify under a trusted key: one that does not is a tampered bundle
        // or an unknown signer, refused even where unsigned bundles are allowed.
        let signed = if sign::is_signed(&c) {
            let mut result = Err(MbpfError::Untrusted(0));
            for k in &policy.trusted {
                result = sign::verify(&c, k);
                if result.is_ok() {
                    break;
                }
            }
            result.map_err(|e| match e {
                MbpfError::BadSignature | MbpfError::Untrusted(_) => {
                    MbpfError::Untrusted(policy.trusted.len())
                }
                other => other,
            })?;
            true
        } else if policy.allow_unsigned {
            false
        } else {
            return Err(MbpfError::Unsigned);
        };
        let manifest = manifest::decode(
            c.section(section::MANIFEST)
                .ok_or(MbpfError::MissingSection("MANIFEST"))?,
        )?;
        let bytecode = c.section(section::QJS_BYTECODE).filter(|_| signed);
        let source = c.section(section::JS_SOURCE);
        let payload = match (bytecode, source) {
            (Some(b), _) => Payload::Bytecode(b.to_vec()),
            (None, Some(s)) => Payload::Source(
                String::from_utf8(s.to_vec())
                    .map_err(|_| MbpfError::MissingSection("UTF-8 JS_SOURCE"))?,
            ),
            (None, None) if c.section(section::QJS_BYTECODE).is_some() => {
                return Err(MbpfError::UntrustedBytecode);
            }
            (None, None) if c.section(section::BYTECODE).is_some() => {
                return Err(MbpfError::MquickjsOnly);
            }
            (None, None) => return Err(MbpfError::MissingSection("JS_SOURCE or QJS_BYTECODE")),
        };
        Ok(Bundle {
            manifest,
            payload,
            ebpf: c.section(section::EBPF_TEXT).map(<[u8]>::to_vec),
            signed,
        })
    }
}
