//! Cranelift target settings shared by the JIT and the AOT compiler.

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use std::str::FromStr;

/// The machines code can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The machine this process runs on, with its CPU features.
    Host,
    /// 64-bit x86 (baseline features).
    X86_64,
    /// 64-bit ARM (baseline features).
    Aarch64,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        match s {
            "host" | "native" => Ok(Target::Host),
            "x86_64" | "x86-64" => Ok(Target::X86_64),
            "aarch64" | "arm64" => Ok(Target::Aarch64),
            other => Err(format!(
                "unknown target `{other}` (expected host, x86_64 or aarch64)"
            )),
        }
    }
}

/// The target ISA with oxbpf's code-generation settings. The host's JIT ISA, which every JIT
/// compilation and thunk uses, is built once per process.
pub(crate) fn build(target: Target, pic: bool) -> Result<OwnedTargetIsa, String> {
    static HOST_JIT: std::sync::OnceLock<Result<OwnedTargetIsa, String>> =
        std::sync::OnceLock::new();
    if target == Target::Host && !pic {
        return HOST_JIT.get_or_init(|| configure(target, pic)).clone();
    }
    configure(target, pic)
}

/// [`build`] without the cache.
fn configure(target: Target, pic: bool) -> Result<OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v).map_err(|e| format!("setting {k}={v}: {e}"))
    };
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "is_pic", if pic { "true" } else { "false" })?;
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let flags = settings::Flags::new(flags);
    let builder = match target {
        Target::Host => cranelift_native::builder().map_err(|e| e.to_string())?,
        Target::X86_64 => cranelift_codegen::isa::lookup_by_name("x86_64-unknown-linux-gnu")
            .map_err(|e| e.to_string())?,
        Target::Aarch64 => cranelift_codegen::isa::lookup_by_name("aarch64-unknown-linux-gnu")
            .map_err(|e| e.to_string())?,
    };
    builder.finish(flags).map_err(|e| e.to_string())
}
