//! One program instance: its own QuickJS runtime and context, with the bundle's budgets.
//!
//! Setup: the prelude (no `eval`, `Function`, `Date`, `Math.random`; code-building constructors
//! gone), then the program's top level under the step budget, then the entry points are taken
//! and the `mbpf` object installed, then `mbpf_init()`. The heap limit is the memory in use after
//! setup plus the manifest's `heap_size`, so the program gets that many bytes of its own.
#![expect(
    unsafe_code,
    reason = "QuickJS bytecode is loaded only when this process compiled it or a trusted key signed it"
)]

use crate::api::{Helpers, stat};
use crate::budget::{Budget, Stop};
use crate::compile::{ENTRY_GLOBAL, compile};
use crate::{CustomField, HookInput, JsError, describe};
use oxbpf_helpers::MapSet;
use oxbpf_loader::mbpf::manifest::{Hook, Manifest};
use oxbpf_loader::mbpf::{Bundle, Payload};
use rquickjs::context::intrinsic;
use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Runtime, TypedArray, Value};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The step budget when the manifest says 0 (handler calls; one per 10,000 QuickJS steps).
pub const DEFAULT_MAX_STEPS: u32 = 10_000;

/// The prelude, compiled once per process.
fn prelude() -> Result<&'static [u8], JsError> {
    static PRELUDE: OnceLock<Result<Vec<u8>, JsError>> = OnceLock::new();
    PRELUDE
        .get_or_init(|| compile(include_str!("prelude.js"), "makeCtx"))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// The return code the hook sees: the program's (ToInt32), or the hook's default.
    pub rc: i32,
    /// Why the default was used, if it was.
    pub failure: Option<Failure>,
}

/// Why a run returned the hook's default.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The step budget ran out (after this long).
    #[error("step budget exhausted after {0:?}")]
    Steps(Duration),
    /// The wall-time budget ran out.
    #[error("wall-time budget exhausted after {0:?}")]
    WallTime(Duration),
    /// The heap limit was reached.
    #[error("out of memory (heap limit)")]
    OutOfMemory,
    /// The program threw.
    #[error("exception: {0}")]
    Exception(String),
    /// The program made more helper calls than its budget allows.
    #[error("helper budget exceeded")]
    HelperBudget,
}

/// The entry points the module published.
struct Entries {
    prog: Persistent<Function<'static>>,
    fini: Option<Persistent<Function<'static>>>,
}

/// A loaded program instance.
pub struct Instance {
    // Dropped in this order: JavaScript values, the context, the runtime, then the bytecode
    // the loaded modules still point into.
    entries: Entries,
    make_ctx: Persistent<Function<'static>>,
    context: Context,
    runtime: Runtime,
    _bytecode: Vec<Vec<u8>>,
    budget: Arc<Budget>,
    helpers: Arc<Helpers>,
    manifest: Manifest,
    maps: MapSet,
}

// SAFETY: an instance owns its QuickJS runtime (`Send` with rquickjs's `parallel` feature) and
// every JavaScript value it keeps (`Persistent` handles, which are not `Send` only because they
// point into a runtime); they move together, and every use goes through `&mut self` or
// `Context::with`, which takes the runtime's lock, so no two threads touch the runtime at once.
unsafe impl Send for Instance {}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("program", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

/// Loads module bytecode and runs its top level.
///
/// # Safety
/// `bytes` must be QuickJS bytecode written by [`compile`] (in this process or, under a trusted
/// signature, another), and outlive the context.
unsafe fn run_module<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<()> {
    // SAFETY: forwarded from the caller.
    let module = unsafe { Module::load(ctx.clone(), bytes)? };
    let (_, promise) = module.eval()?;
    promise.finish::<()>()
}

impl Instance {
    /// Loads `bundle` with new maps: compiles its source (or takes its trusted bytecode), runs
    /// the top level and `mbpf_init()` under its budgets.
    pub fn new(bundle: &Bundle) -> Result<Instance, JsError> {
        let maps = crate::maps::create(&bundle.manifest.maps)
            .map_err(|(name, e)| JsError::Load(format!("map `{name}`: {e}")))?;
        Instance::with_maps(bundle, maps)
    }

    /// Loads `bundle` with `maps` (created by [`crate::maps::create`] for its manifest, or
    /// kept from an earlier version of the program, or shared with eBPF programs).
    pub fn with_maps(bundle: &Bundle, mut maps: MapSet) -> Result<Instance, JsError> {
        let manifest = bundle.manifest.clone();
        crate::maps::add_internal(&mut maps, &manifest.maps)
            .map_err(|e| JsError::Load(format!("runtime maps: {e}")))?;
        crate::compat::check(&manifest)?;
        for d in &manifest.maps {
            if !maps.get(&d.name).is_some_and(|m| crate::maps::serves(m, d)) {
                return Err(JsError::Load(format!(
                    "map `{}` is missing or does not match its declaration",
                    d.name
                )));
            }
        }
        let program = match &bundle.payload {
            Payload::Bytecode(b) => b.clone(),
            Payload::Source(s) => compile(s, &manifest.entry)?,
        };
        let prelude = prelude()?.to_vec();
        let runtime = Runtime::new().map_err(|e| JsError::Load(e.to_string()))?;
        runtime.set_max_stack_size(256 << 10);
        let max_steps = match manifest.budgets.max_steps {
            0 => DEFAULT_MAX_STEPS,
            n => n,
        };
        let budget = Arc::new(Budget::new(
            max_steps,
            manifest.budgets.max_wall_time_us.filter(|&t| t != 0),
        ));
        let b = budget.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || b.tick())));
        let context = Context::custom::<(
            intrinsic::Json,
            intrinsic::MapSet,
            intrinsic::TypedArrays,
            intrinsic::RegExp,
            // Module evaluation settles a promise.
            intrinsic::Promise,
        )>(&runtime)
        .map_err(|e| JsError::Load(e.to_string()))?;
        let emitted = maps
            .get(oxbpf_loader::mbpf::runtime::EMIT_RING)
            .cloned()
            .ok_or_else(|| JsError::Load("no emit ring".into()))?;
        let helpers = Arc::new(Helpers::new(&manifest, emitted));
        let (make_ctx, entries) = context.with(|ctx| -> Result<_, JsError> {
            let load = |what: &str, e: rquickjs::Error| {
                JsError::Load(format!("{what}: {}", describe(&ctx, e)))
            };
            // SAFETY: the prelude is compiled by this process.
            unsafe { run_module(&ctx, &prelude) }.map_err(|e| load("prelude", e))?;
            let globals = ctx.globals();
            let make_ctx: Function = globals
                .get("__oxbpf_make_ctx")
                .map_err(|e| load("prelude", e))?;
            globals
                .remove("__oxbpf_make_ctx")
                .map_err(|e| load("prelude", e))?;
            budget.start_run();
            // SAFETY: `program` was compiled above by this process, or comes from a bundle whose
            // signature verified under a key the host trusts (`Bundle::open`).
            let top = unsafe { run_module(&ctx, &program) };
            if let Some(stop) = budget.end_run() {
                return Err(JsError::Load(format!("top level: {}", stop_failure(stop))));
            }
            top.map_err(|e| load("top level", e))?;
            let table: Object = globals.get(ENTRY_GLOBAL).map_err(|e| load("entries", e))?;
            globals
                .remove(ENTRY_GLOBAL)
                .map_err(|e| load("entries", e))?;
            let prog: Option<Function> = table.get("prog").map_err(|e| load("entries", e))?;
            let prog = prog.ok_or_else(|| {
                JsError::Load(format!(
                    "entry `{}` is not a function after the top level ran",
                    manifest.entry
                ))
            })?;
            let init: Option<Function> = table.get("init").map_err(|e| load("entries", e))?;
            let fini: Option<Function> = table.get("fini").map_err(|e| load("entries", e))?;
            crate::api::install(&ctx, &manifest, &maps, &helpers)
                .map_err(|e| load("mbpf object", e))?;
            if let Some(init) = init {
                budget.start_run();
                helpers.start_run();
                let r = init.call::<_, Value>(());
                if let Some(stop) = budget.end_run() {
                    return Err(JsError::Load(format!("mbpf_init: {}", stop_failure(stop))));
                }
                r.map_err(|e| JsError::Load(format!("mbpf_init threw: {}", describe(&ctx, e))))?;
            }
            Ok((
                Persistent::save(&ctx, make_ctx),
                Entries {
                    prog: Persistent::save(&ctx, prog),
                    fini: fini.map(|f| Persistent::save(&ctx, f)),
                },
            ))
        })?;
        // The program's own heap: what it uses now plus heap_size.
        let used = usize::try_from(runtime.memory_usage().malloc_size).unwrap_or(0);
        runtime.set_memory_limit(used + manifest.heap_size as usize);
        runtime.run_gc();
        Ok(Instance {
            entries,
            make_ctx,
            context,
            runtime,
            _bytecode: vec![prelude, program],
            budget,
            helpers,
            manifest,
            maps,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Lines the program logged with `mbpf.log`, oldest first; drained.
    pub fn take_logs(&self) -> Vec<String> {
        self.helpers.take_logs()
    }

    /// Records emitted with `mbpf.emit` (`[u32 id][u32 len][data]`), oldest first; drained.
    pub fn take_emitted(&self) -> Vec<Vec<u8>> {
        self.helpers.take_emitted()
    }

    /// The program's maps (shared with whoever else holds them).
    pub fn maps(&self) -> &MapSet {
        &self.maps
    }

    /// Runs the entry function once on `input`, whose hook must be the manifest's.
    pub fn run(&mut self, input: &HookInput) -> RunResult {
        let hook = self.manifest.hook;
        let default = RunResult {
            rc: hook.default_return(),
            failure: None,
        };
        if input.hook != hook {
            return RunResult {
                failure: Some(Failure::Exception(format!(
                    "the program attaches to {}, not {}",
                    hook.name(),
                    input.hook.name()
                ))),
                ..default
            };
        }
        self.helpers.bump(stat::INVOCATIONS);
        let budget = self.budget.clone();
        let helpers = self.helpers.clone();
        let make_ctx = self.make_ctx.clone();
        let prog = self.entries.prog.clone();
        let result = self.context.with(|ctx| -> Result<i32, Failure> {
            let exception = |e: rquickjs::Error| Failure::Exception(describe(&ctx, e));
            let make_ctx = make_ctx.restore(&ctx).map_err(exception)?;
            let prog = prog.restore(&ctx).map_err(exception)?;
            let fields = Object::new(ctx.clone()).map_err(exception)?;
            for (name, value) in input.fields() {
                fields.set(name, value).map_err(exception)?;
            }
            if hook == Hook::Custom {
                for (name, value) in &input.custom {
                    let v: Value = match value {
                        CustomField::Number(n) => Value::new_number(ctx.clone(), *n),
                        CustomField::Wide(w) => {
                            let pair = rquickjs::Array::new(ctx.clone()).map_err(exception)?;
                            pair.set(0, f64::from(*w as u32)).map_err(exception)?;
                            pair.set(1, f64::from((*w >> 32) as u32))
                                .map_err(exception)?;
                            pair.into_value()
                        }
                        CustomField::Bytes(b) => TypedArray::<u8>::new(ctx.clone(), b.clone())
                            .map_err(exception)?
                            .into_value(),
                    };
                    fields.set(name.as_str(), v).map_err(exception)?;
                }
            }
            let data: Value = match &input.data {
                Some(d) => TypedArray::<u8>::new(ctx.clone(), d.clone())
                    .map_err(exception)?
                    .into_value(),
                None => Value::new_null(ctx.clone()),
            };
            let js_ctx: Value = make_ctx
                .call((fields, data, hook != Hook::Timer))
                .map_err(exception)?;
            budget.start_run();
            helpers.start_run();
            let r = prog.call::<_, Value>((js_ctx,));
            if let Some(stop) = budget.end_run() {
                return Err(stop_failure(stop));
            }
            // Over the helper budget: the default, even if the program caught the error.
            if helpers.exceeded() {
                return Err(Failure::HelperBudget);
            }
            // A number goes through ToInt32; anything else is 0.
            r.map(|v| v.as_number().map_or(0, to_int32)).map_err(|e| {
                let text = describe(&ctx, e);
                // QuickJS throws an InternalError when it runs out of memory or, when even that
                // cannot be allocated, `null`.
                if text.contains("out of memory") || text == "null" {
                    Failure::OutOfMemory
                } else {
                    Failure::Exception(text)
                }
            })
        });
        match result {
            Ok(rc) => {
                self.helpers.bump(stat::SUCCESSES);
                RunResult { rc, failure: None }
            }
            Err(f) => {
                self.helpers.bump(match f {
                    Failure::OutOfMemory => stat::OOM,
                    Failure::Exception(_) => stat::EXCEPTIONS,
                    _ => stat::BUDGET,
                });
                self.runtime.run_gc();
                RunResult {
                    failure: Some(f),
                    ..default
                }
            }
        }
    }

    /// The global `name` of the program's realm as JSON (for tests and diagnostics).
    pub fn eval_global_json(&self, name: &str) -> Option<String> {
        self.context.with(|ctx| {
            let v: Value = ctx.globals().get(name).ok()?;
            ctx.json_stringify(v).ok()?.and_then(|s| s.to_string().ok())
        })
    }

    /// Calls `mbpf_fini()` (best effort) and releases the instance.
    pub fn unload(self) -> Option<Failure> {
        let fini = self.entries.fini.clone()?;
        self.budget.start_run();
        self.helpers.start_run();
        let r = self.context.with(|ctx| {
            let f = fini.restore(&ctx).map_err(|e| describe(&ctx, e))?;
            f.call::<_, Value>(())
                .map(drop)
                .map_err(|e| describe(&ctx, e))
        });
        let stop = self.budget.end_run();
        match (stop, r) {
            (Some(s), _) => Some(stop_failure(s)),
            (None, Err(e)) => Some(Failure::Exception(e)),
            (None, Ok(())) => None,
        }
    }
}

/// The failure a budget stop stands for.
fn stop_failure(stop: Stop) -> Failure {
    match stop {
        Stop::Steps(t) => Failure::Steps(t),
        Stop::WallTime(t) => Failure::WallTime(t),
    }
}

/// ECMAScript ToInt32.
pub fn to_int32(x: f64) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    let m = x.trunc().rem_euclid(4_294_967_296.0);
    (m as u64 as u32) as i32
}

#[cfg(test)]
mod tests {
    use super::to_int32;

    #[test]
    fn to_int32_wraps_as_ecmascript_says() {
        assert_eq!(to_int32(1.9), 1);
        assert_eq!(to_int32(-1.9), -1);
        assert_eq!(to_int32(4_294_967_295.0), -1);
        assert_eq!(to_int32(2_147_483_648.0), i32::MIN);
        assert_eq!(to_int32(-4_294_967_297.0), -1);
        assert_eq!(to_int32(f64::NAN), 0);
        assert_eq!(to_int32(f64::INFINITY), 0);
    }
}
