//! oxbpf-quickjs: runs the JavaScript of `.mbpf` bundles on QuickJS (through rquickjs), one
//! runtime per program instance, with the bundle's budgets.
//!
//! - [`compile`]: JavaScript to QuickJS bytecode (what `oxbpf mbpf build` stores).
//! - [`Instance`]: a loaded program: the prelude strips `eval`, `Function`, `Date`,
//!   `Math.random` and the code-building constructors; the top level and `mbpf_init()` run
//!   under the step budget; each [`Instance::run`] builds the hook's read-only `ctx` and calls
//!   the entry function, returning its ToInt32 result or, on any failure (exception, budget,
//!   heap), the hook's default with the reason.
//! - [`Host`]: the lifecycle: attach to the manifest's hook, run every attached program, detach,
//!   hot update keeping the maps, unload.
//!
//! ```
//! use oxbpf_loader::mbpf::{Bundle, Payload, manifest::{Hook, Manifest}};
//! use oxbpf_quickjs::{HookInput, Instance};
//! let bundle = Bundle {
//!     manifest: Manifest::new("drop_ff", "1.0", Hook::NetRx),
//!     payload: Payload::Source("function mbpf_prog(ctx) { return ctx.readU8(0) === 0xff ? 1 : 0; }".into()),
//!     ebpf: None,
//!     signed: false,
//! };
//! let mut prog = Instance::new(&bundle)?;
//! assert_eq!(prog.run(&HookInput::new(Hook::NetRx, vec![0xff, 1])).rc, 1);
//! assert_eq!(prog.run(&HookInput::new(Hook::NetRx, vec![0x00, 1])).rc, 0);
//! // Out of range: a RangeError, so NET_RX's default, PASS (0).
//! assert_eq!(prog.run(&HookInput::new(Hook::NetRx, vec![])).rc, 0);
//! # Ok::<(), oxbpf_quickjs::JsError>(())
//! ```

mod api;
mod budget;
pub mod compat;
mod compile;
mod host;
mod instance;
pub mod maps;

pub use api::STAT_NAMES;
pub use compile::compile;
pub use host::{Host, LifecycleError, MapPolicy, ProgramId};
pub use instance::{DEFAULT_MAX_STEPS, Failure, Instance, RunResult, to_int32};
// What a run takes, and the context blob, as the bundle format defines them (shared with the
// lowering to eBPF).
pub use oxbpf_loader::mbpf::hook::{
    BLOB_FIELD_BYTES, CustomField, HookInput, blob_fields, blob_header_len, has_read_methods,
};
// The emit ring's and records' sizes, as the bundle format defines them.
pub use oxbpf_loader::mbpf::runtime::{EMIT_MAX_RECORD, EMIT_RING_BYTES};

/// Why a program could not be compiled or loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsError {
    /// The source does not compile.
    #[error("compile: {0}")]
    Compile(String),
    /// The program could not be loaded (bytecode, top level, entry, `mbpf_init`).
    #[error("load: {0}")]
    Load(String),
}

/// An rquickjs error as text, with the pending JavaScript exception's message and stack.
pub(crate) fn describe(ctx: &rquickjs::Ctx<'_>, e: rquickjs::Error) -> String {
    if !matches!(e, rquickjs::Error::Exception) {
        return e.to_string();
    }
    let v = ctx.catch();
    if let Some(ex) = v.as_exception() {
        let msg = ex.message().unwrap_or_default();
        let stack = ex.stack().unwrap_or_default();
        let name: String = ex.get("name").unwrap_or_else(|_| "Error".to_owned());
        let first = stack.lines().next().unwrap_or("").trim().to_owned();
        if first.is_empty() {
            format!("{name}: {msg}")
        } else {
            format!("{name}: {msg} ({first})")
        }
    } else if v.is_null() {
        "null".to_owned()
    } else if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        s
    } else {
        format!("{v:?}")
    }
}

#[cfg(test)]
mod send {
    /// Instances move between threads (one runs at a time, under the host's lock).
    #[test]
    fn an_instance_is_send() {
        fn send<T: Send>() {}
        send::<crate::Instance>();
    }
}
