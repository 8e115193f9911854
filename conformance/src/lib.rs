//! oxbpf-conformance: runs the upstream bpf_conformance suite on oxbpf's backends.
//!
//! - [`data`]: the `.data` file reader (the upstream parser's rules);
//! - [`runner`]: runs a case on a backend and judges it as the upstream runner does;
//! - the `oxbpf-conformance-plugin` binary speaks the upstream runner's plugin protocol.
//!
//! The suite's files are read from [`data_dir`]: `OXBPF_CONFORMANCE_DIR` if set, else
//! `../shared/conformance/bpf_conformance` next to the workspace. They are never copied here.

pub mod data;
pub mod runner;

use std::path::PathBuf;

/// Environment variable that overrides the suite's location.
pub const DATA_DIR_ENV: &str = "OXBPF_CONFORMANCE_DIR";

/// The directory holding the suite's `.data` files (`negative/` is inside it).
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/conformance/bpf_conformance"),
    }
}
