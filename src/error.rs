//! Why a [`Vm`](crate::Vm) operation failed.

#[cfg(feature = "mbpf")]
use crate::mbpf;
use crate::{BACKENDS, ElfError, LoadError, MapError, PrepareError, Trap, VerifyError, aot};

/// Why a [`Vm`] operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No backend has this name.
    #[error("unknown backend `{0}` (available: {list})", list = BACKENDS.join(", "))]
    UnknownBackend(String),
    /// The program could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The verifier rejected the program.
    #[error("verifier: {0}")]
    Verify(#[from] VerifyError),
    /// The backend could not prepare the program.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// The program trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// An AOT object could not be loaded.
    #[error("AOT object: {0}")]
    Aot(#[from] aot::AotError),
    /// An ELF object could not be loaded.
    #[error("ELF object: {0}")]
    Elf(#[from] ElfError),
    /// An `lddw` names a map the host did not supply.
    #[error("insn {pc}: lddw refers to map {index}, but only {count} maps were given")]
    UnknownMap {
        /// The `lddw`'s instruction index.
        pc: usize,
        /// The map index or descriptor it names.
        index: u64,
        /// How many maps there are.
        count: usize,
    },
    /// An `lddw` asks for the value address of a map that has none there.
    #[error(
        "insn {pc}: lddw asks for byte {offset} of the value of map `{map}`, which is not an array map's first value"
    )]
    NoValueAddress {
        /// The `lddw`'s instruction index.
        pc: usize,
        /// The map's name.
        map: String,
        /// The offset asked for.
        offset: u32,
    },
    #[cfg(feature = "mbpf")]
    /// A bundle was refused (container, CRC, signature, manifest).
    #[error("bundle: {0}")]
    Bundle(#[from] mbpf::MbpfError),
    #[cfg(feature = "mbpf")]
    /// A bundle's JavaScript did not compile or load.
    #[error("bundle: {0}")]
    Js(#[from] oxbpf_quickjs::JsError),
    #[cfg(feature = "mbpf")]
    /// A bundle's lowered eBPF could not be used (its text does not decode, or it needs maps
    /// the bundle lacks).
    #[error("bundle: lowered eBPF: {0}")]
    Lowered(String),
    /// A program type's context could not be built.
    #[error("context: {0}")]
    Context(crate::context::ContextError),
    /// A map of an ELF object could not be created.
    #[error("map `{name}`: {error}")]
    Map {
        /// The map's name.
        name: String,
        /// Why.
        error: MapError,
    },
}
