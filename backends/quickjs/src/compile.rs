//! JavaScript source to QuickJS bytecode.
//!
//! A bundle's JavaScript is written as a script: `mbpf_prog`, `mbpf_init` and `mbpf_fini` are
//! top-level function declarations. oxbpf compiles it as a strict-mode module (as MQuickJS
//! runs it, strict) followed by one generated statement that hands those functions to the
//! runtime, so the source needs no `export`. Compilation happens in a throwaway runtime that
//! has the compiler; the runtime programs run in has none (no `eval`, no `Function`).

use crate::JsError;
use rquickjs::{Context, Module, Runtime, WriteOptions};

/// Name of the global through which the module hands over its entry points; removed from the
/// global object before any hook runs.
pub(crate) const ENTRY_GLOBAL: &str = "__oxbpf_entries";

/// The module name bytecode carries (what stack traces show).
pub(crate) const MODULE_NAME: &str = "mbpf.js";

/// The statement appended to the source: publishes the entry function (named `entry`) and the
/// optional `mbpf_init` / `mbpf_fini`.
fn publish(entry: &str) -> String {
    let f = |name: &str| format!("typeof {name} === \"function\" ? {name} : undefined");
    format!(
        "\n;globalThis.{ENTRY_GLOBAL} = {{ prog: {}, init: {}, fini: {} }};\n",
        f(entry),
        f("mbpf_init"),
        f("mbpf_fini")
    )
}

/// Whether `entry` is a plain identifier (it is spliced into generated code).
fn is_identifier(entry: &str) -> bool {
    let mut chars = entry.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Compiles `source` (a bundle's JavaScript, entry function `entry`) to QuickJS bytecode.
pub fn compile(source: &str, entry: &str) -> Result<Vec<u8>, JsError> {
    if !is_identifier(entry) {
        return Err(JsError::Load(format!(
            "entry symbol `{entry}` is not a JavaScript identifier"
        )));
    }
    let rt = Runtime::new().map_err(|e| JsError::Load(e.to_string()))?;
    rt.set_memory_limit(64 << 20);
    let ctx = Context::full(&rt).map_err(|e| JsError::Load(e.to_string()))?;
    let code = format!("{source}{}", publish(entry));
    ctx.with(|ctx| {
        let module = Module::declare(ctx.clone(), MODULE_NAME, code)
            .map_err(|e| JsError::Compile(crate::describe(&ctx, e)))?;
        module
            .write(WriteOptions::default())
            .map_err(|e| JsError::Compile(crate::describe(&ctx, e)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_be_identifiers() {
        assert!(is_identifier("mbpf_prog"));
        assert!(is_identifier("$x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a;b"));
        assert!(!is_identifier(""));
        assert!(compile("", "x; evil()").is_err());
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = compile("function mbpf_prog(ctx) {\n  return (;\n}", "mbpf_prog").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("SyntaxError") && text.contains(":2"),
            "{text}"
        );
    }
}
