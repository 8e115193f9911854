//! Loader errors: each names the section and the byte offset it is about.

use thiserror::Error;

/// Why an ELF object cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ElfError {
    /// Not an ELF64 little-endian relocatable `EM_BPF` object.
    #[error("not an eBPF ELF object: {0}")]
    NotBpf(String),
    /// The file's structure is broken (truncated, out-of-range offsets, bad sizes).
    #[error("malformed ELF: {section} at offset {offset:#x}: {detail}")]
    Malformed {
        /// The section (or `ELF header`, `symbol table`).
        section: String,
        /// Byte offset inside that section.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A relocation that cannot be applied.
    #[error("bad relocation in {section} at offset {offset:#x}: {detail}")]
    Relocation {
        /// The section the relocation applies to.
        section: String,
        /// Byte offset of the relocated instruction in that section.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// Something valid that this loader does not handle.
    #[error("{section} at offset {offset:#x}: {what} is not supported")]
    Unsupported {
        /// The section.
        section: String,
        /// Byte offset in the section.
        offset: u64,
        /// The unsupported feature.
        what: String,
    },
    /// An `extern` variable of the object that has no value (a `__kconfig` variable the host
    /// does not set and the object does not declare `__weak`), or one that does not fit.
    #[error("extern `{name}`: {detail}")]
    Extern {
        /// The variable.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// No program has the requested name.
    #[error("no program named `{name}` (the object has: {available})")]
    NoSuchProgram {
        /// The requested name.
        name: String,
        /// The programs the object holds, comma-separated.
        available: String,
    },
    /// The object has no executable code.
    #[error("the object holds no program")]
    NoPrograms,
}

/// Shorthand for an [`ElfError::Relocation`].
pub(crate) fn relocation(section: &str, offset: u64, detail: impl ToString) -> ElfError {
    ElfError::Relocation {
        section: section.to_owned(),
        offset,
        detail: detail.to_string(),
    }
}

/// Shorthand for an [`ElfError::Unsupported`].
pub(crate) fn unsupported(section: &str, offset: u64, what: impl ToString) -> ElfError {
    ElfError::Unsupported {
        section: section.to_owned(),
        offset,
        what: what.to_string(),
    }
}

/// Shorthand for a [`ElfError::Malformed`].
pub(crate) fn malformed(section: &str, offset: u64, detail: impl ToString) -> ElfError {
    ElfError::Malformed {
        section: section.to_owned(),
        offset,
        detail: detail.to_string(),
    }
}
