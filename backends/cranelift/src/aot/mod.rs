//! The ahead-of-time backend (`"aot"`): Cranelift object code written by `compile` (with the
//! `compile` feature), mapped back by [`load`] without Cranelift or a linker.
//!
//! Compiled code reaches helpers and memory through the per-run context block's table
//! ([`crate::abi`]), never through symbols, so the only relocations in an object are the calls
//! between its own functions. The `.oxbpf` section ([`Header`]) records the architecture, the CPU
//! features the code uses, the oxbpf version, the eBPF program and its hash; loading checks each
//! and refuses a mismatch with a clear error.

#[cfg(feature = "compile")]
mod compile;
mod features;
mod header;
pub(crate) mod load;

#[cfg(feature = "compile")]
pub use compile::compile;
pub use header::{FORMAT, Header, SECTION, program_hash};

#[cfg(feature = "compile")]
use crate::isa::Target;
use crate::runtime::CompiledExecutable;
#[cfg(feature = "compile")]
use oxbpf_core::Backend;
use oxbpf_core::{Executable, HelperRegistry, PrepareError, Program};
use std::sync::Arc;

/// Why an AOT object could not be written or loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AotError {
    /// Cranelift failed to compile the program.
    #[error("compile: {0}")]
    Compile(String),
    /// The file is not a readable object.
    #[error("object: {0}")]
    Object(String),
    /// The `.oxbpf` header section is malformed.
    #[error("section `.oxbpf` at offset {offset}: {message}")]
    Header {
        /// Offset inside the section.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The header's layout version is not this build's.
    #[error("AOT format {found} is not supported (this build reads format {expected})")]
    Format {
        /// Format in the file.
        found: u32,
        /// Format this build reads.
        expected: u32,
    },
    /// The object was compiled for another architecture.
    #[error("object compiled for {object}; this machine is {host}")]
    Architecture {
        /// The object's architecture.
        object: String,
        /// This machine's.
        host: String,
    },
    /// The object uses a CPU feature this machine lacks.
    #[error("object needs CPU feature `{0}`, which this machine does not have")]
    CpuFeature(String),
    /// The object was compiled by another oxbpf version.
    #[error("object compiled by oxbpf {object}; this is oxbpf {host}")]
    Version {
        /// The compiling version.
        object: String,
        /// This version.
        host: String,
    },
    /// The object was compiled from another program or configuration.
    #[error("object was compiled from a different program or configuration (hash mismatch)")]
    ProgramMismatch,
    /// A relocation the loader does not apply.
    #[error("`.text` relocation at offset {offset:#x}: {message}")]
    Relocation {
        /// Offset inside `.text`.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// Executable memory could not be mapped.
    #[error("mapping code: {0}")]
    Memory(String),
    /// The embedded program failed its load-time checks.
    #[error("embedded program: {0}")]
    Program(String),
    /// The embedded program could not be made ready to run (a helper it calls is missing).
    #[error("embedded program: {}", .0.message)]
    Prepare(PrepareError),
}

/// Reads an object's header without loading its code.
pub fn inspect(object: &[u8]) -> Result<Header, AotError> {
    load::header(object)
}

/// Checks that `header` describes code this process can run.
fn check_runnable(header: &Header) -> Result<(), AotError> {
    let version = env!("CARGO_PKG_VERSION");
    if header.version != version {
        return Err(AotError::Version {
            object: header.version.clone(),
            host: version.to_owned(),
        });
    }
    let host = std::env::consts::ARCH;
    if header.arch != host {
        return Err(AotError::Architecture {
            object: header.arch.clone(),
            host: host.to_owned(),
        });
    }
    features::check(&header.features)
}

/// The program an object was compiled from, rebuilt from its embedded bytecode and configuration
/// and checked against its hash.
pub fn program_of(object: &[u8], helpers: &HelperRegistry) -> Result<Program, AotError> {
    let header = inspect(object)?;
    if program_hash(&header.program, &header.config) != header.hash {
        return Err(AotError::ProgramMismatch);
    }
    Program::from_bytes(&header.program, &header.config, helpers)
        .map_err(|e| AotError::Program(e.to_string()))
}

/// Loads an object compiled from `program` (same bytecode and code-shaping configuration) and
/// returns it ready to run with `helpers`.
pub fn load(
    object: &[u8],
    program: Arc<Program>,
    helpers: Arc<HelperRegistry>,
) -> Result<Box<dyn Executable>, AotError> {
    let header = inspect(object)?;
    check_runnable(&header)?;
    if header.hash != program_hash(&program.to_bytes(), program.config()) {
        return Err(AotError::ProgramMismatch);
    }
    let code = load::map(object)?;
    let exe = CompiledExecutable::new("aot", program, helpers, code).map_err(AotError::Prepare)?;
    Ok(Box::new(exe))
}

#[cfg(feature = "compile")]
/// The AOT backend: compiles to an object in memory and loads it back, the path an object file
/// takes between two processes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Aot;

#[cfg(feature = "compile")]
impl Backend for Aot {
    fn name(&self) -> &'static str {
        "aot"
    }

    fn prepare(
        &self,
        program: Arc<Program>,
        helpers: Arc<HelperRegistry>,
    ) -> Result<Box<dyn Executable>, PrepareError> {
        let error = |e: AotError| match e {
            // A missing helper stays one.
            AotError::Prepare(p) => PrepareError {
                backend: "aot",
                message: format!("embedded program: {}", p.message),
                ..p
            },
            e => PrepareError::compile("aot", e.to_string()),
        };
        let object = compile(&program, Target::Host).map_err(error)?;
        load(&object, program, helpers).map_err(error)
    }
}

#[cfg(all(test, feature = "compile"))]
mod tests {
    use super::*;
    use oxbpf_core::Config;

    fn prog(src: &str, config: &Config) -> Arc<Program> {
        Arc::new(Program::from_asm(src, config, &HelperRegistry::new()).unwrap())
    }

    #[test]
    fn objects_load_only_for_their_program_and_configuration() {
        let config = Config::default();
        let p = prog("mov %r0, 7\nexit", &config);
        let object = compile(&p, Target::Host).unwrap();
        let helpers = Arc::new(HelperRegistry::new());
        let exe = load(&object, p.clone(), helpers.clone()).unwrap();
        assert_eq!(exe.run(&mut []), Ok(7));

        let other = prog("mov %r0, 8\nexit", &config);
        assert_eq!(
            load(&object, other, helpers.clone()).err(),
            Some(AotError::ProgramMismatch)
        );
        let budgeted = Config {
            instruction_budget: Some(10),
            ..Config::default()
        };
        let same_code_other_config = prog("mov %r0, 7\nexit", &budgeted);
        assert_eq!(
            load(&object, same_code_other_config, helpers).err(),
            Some(AotError::ProgramMismatch)
        );
        assert_eq!(
            program_of(&object, &HelperRegistry::new()).unwrap().insns(),
            p.insns()
        );
    }

    #[test]
    fn truncated_or_foreign_objects_are_errors() {
        let p = prog("mov %r0, 7\nexit", &Config::default());
        let object = compile(&p, Target::Host).unwrap();
        for n in [0, 4, 16, 64, object.len() / 2, object.len() - 1] {
            assert!(
                inspect(&object[..n]).is_err()
                    || load(&object[..n], p.clone(), Arc::default()).is_err()
            );
        }
        assert!(matches!(
            inspect(b"\x7fELF not really"),
            Err(AotError::Object(_))
        ));
    }
}
