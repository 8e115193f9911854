//! The `mbpf` object programs see, gated by the manifest's capabilities: a helper the program
//! lacks the capability for is absent (calling it is a TypeError), as in the reference.

use oxbpf_loader::mbpf::manifest::{API_VERSION, Manifest};
use rquickjs::{Ctx, Function, Object, Value};
use std::sync::{Arc, Mutex};

/// `CAP_LOG`.
const CAP_LOG: u32 = 1;

/// Log levels and their prefixes.
const LEVELS: [&str; 4] = ["[DEBUG]", "[INFO]", "[WARN]", "[ERROR]"];

/// Installs `mbpf` on the global object.
pub(crate) fn install(
    ctx: &Ctx<'_>,
    manifest: &Manifest,
    logs: &Arc<Mutex<Vec<String>>>,
) -> rquickjs::Result<()> {
    let mbpf = Object::new(ctx.clone())?;
    mbpf.set("apiVersion", API_VERSION)?;
    if manifest.has(CAP_LOG) {
        let logs = logs.clone();
        let log = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'_>, level: Value<'_>, msg: Value<'_>| -> rquickjs::Result<()> {
                // A level that is not a number is INFO; numbers are clamped to 0..=3.
                let level = level.as_number().map_or(1, |l| l.clamp(0.0, 3.0) as usize);
                let Some(text) = msg.as_string() else {
                    return Err(rquickjs::Exception::throw_type(
                        &ctx,
                        "mbpf.log: msg must be a string",
                    ));
                };
                let line = format!("{} {}", LEVELS[level], text.to_string()?);
                logs.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                Ok(())
            },
        )?;
        mbpf.set("log", log)?;
    }
    ctx.globals().set("mbpf", mbpf)
}
