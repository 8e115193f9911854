//! The `mbpf` object programs see, gated by the manifest's capabilities: a helper the program
//! lacks the capability for is absent (calling it is a TypeError "not a function"), as in the
//! reference. Every helper call (the u64 helpers included) counts toward the helper budget
//! first; past it, the call throws `Error('helper budget exceeded')` and the run returns the
//! hook's default even if the program catches it.

use crate::maps::{bytes_of, write_into};
use oxbpf_helpers::{Map, MapSet, MapType};
use oxbpf_loader::mbpf::manifest::{
    API_VERSION, CAP_EMIT, CAP_LOG, CAP_MAP_READ, CAP_MAP_WRITE, CAP_STATS, CAP_TIME, Manifest,
    MapDecl, MapKind,
};
use oxbpf_loader::mbpf::runtime::{EMIT_MAX_RECORD, LOG_LEVELS, helper_limit};
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The names of `mbpf.stats` fields, in order.
pub const STAT_NAMES: [&str; 7] = [
    "invocations",
    "successes",
    "exceptions",
    "oom_errors",
    "budget_exceeded",
    "nested_dropped",
    "deferred_dropped",
];

/// Indices into the statistics.
pub(crate) mod stat {
    pub const INVOCATIONS: usize = 0;
    pub const SUCCESSES: usize = 1;
    pub const EXCEPTIONS: usize = 2;
    pub const OOM: usize = 3;
    pub const BUDGET: usize = 4;
}

/// What the helpers of one instance share with it.
#[derive(Debug)]
pub struct Helpers {
    caps: u32,
    max_calls: u32,
    calls: AtomicU32,
    exceeded: AtomicBool,
    now_ns: AtomicU64,
    pub(crate) stats: [AtomicU64; 7],
    /// The emit ring ([`EMIT_RING`](oxbpf_loader::mbpf::runtime::EMIT_RING)).
    emitted: Arc<Map>,
    logs: Mutex<Vec<String>>,
}

impl Helpers {
    /// Helpers for `manifest`, emitting into ring `emitted`.
    pub(crate) fn new(manifest: &Manifest, emitted: Arc<Map>) -> Helpers {
        Helpers {
            caps: manifest.capabilities,
            max_calls: helper_limit(manifest),
            calls: AtomicU32::new(0),
            exceeded: AtomicBool::new(false),
            now_ns: AtomicU64::new(0),
            stats: Default::default(),
            emitted,
            logs: Mutex::new(Vec::new()),
        }
    }

    /// Whether the program has capability `cap`.
    pub(crate) fn has(&self, cap: u32) -> bool {
        self.caps & cap != 0
    }

    /// A run starts: the counter resets and the clock is sampled (constant within the run).
    pub(crate) fn start_run(&self) {
        self.calls.store(0, Ordering::Relaxed);
        self.exceeded.store(false, Ordering::Relaxed);
        self.now_ns
            .store(oxbpf_helpers::env::ktime_ns(), Ordering::Relaxed);
    }

    /// Whether the run went over the helper budget (even if the program caught it).
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    /// Counts one helper call; past the budget, throws.
    pub(crate) fn count(&self, ctx: &Ctx<'_>) -> rquickjs::Result<()> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_calls {
            self.exceeded.store(true, Ordering::Relaxed);
            return Err(Exception::throw_message(ctx, "helper budget exceeded"));
        }
        Ok(())
    }

    /// Adds one to statistic `i`.
    pub(crate) fn bump(&self, i: usize) {
        self.stats[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The records emitted with `mbpf.emit`, oldest first (`[u32 id][u32 len][data]`); drained.
    pub(crate) fn take_emitted(&self) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.emitted.consume_one()).collect()
    }

    /// The lines logged with `mbpf.log`; drained.
    pub(crate) fn take_logs(&self) -> Vec<String> {
        std::mem::take(&mut *self.logs.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Emits record `[id][len][data]` into the emit ring, which drops its oldest records to
    /// make room; false when `data` is longer than [`EMIT_MAX_RECORD`].
    fn emit(&self, id: u32, data: &[u8]) -> bool {
        if data.len() > EMIT_MAX_RECORD {
            return false;
        }
        let mut rec = Vec::with_capacity(8 + data.len());
        rec.extend_from_slice(&id.to_le_bytes());
        rec.extend_from_slice(&(data.len() as u32).to_le_bytes());
        rec.extend_from_slice(data);
        self.emitted.output(&rec).is_ok()
    }
}

/// A `[lo, hi]` pair of a 64-bit number.
fn pair<'js>(ctx: &Ctx<'js>, v: u64) -> rquickjs::Result<Array<'js>> {
    // As numbers (f64): rquickjs would turn a `u32` above 2^31 into a negative int.
    let a = Array::new(ctx.clone())?;
    a.set(0, f64::from(v as u32))?;
    a.set(1, f64::from((v >> 32) as u32))?;
    Ok(a)
}

/// Stores `[lo, hi]` of `v` into the array `out`.
fn store_pair(ctx: &Ctx<'_>, out: &Value<'_>, v: u64) -> rquickjs::Result<()> {
    let Some(o) = out.as_object() else {
        return Err(Exception::throw_type(ctx, "out must be an array"));
    };
    o.set(0, f64::from(v as u32))?;
    o.set(1, f64::from((v >> 32) as u32))
}

/// An offset argument that lies inside `len` bytes with `width` more.
fn offset(ctx: &Ctx<'_>, v: &Value<'_>, width: usize, len: usize) -> rquickjs::Result<usize> {
    let Some(n) = v.as_number() else {
        return Err(Exception::throw_type(ctx, "offset must be a number"));
    };
    if n < 0.0 || n.fract() != 0.0 || n as usize + width > len {
        return Err(Exception::throw_range(ctx, "offset out of range"));
    }
    Ok(n as usize)
}

/// Defines `name` on `obj` as a helper that counts toward the budget; `$h` names the shared
/// [`Helpers`] in the body.
macro_rules! helper {
    ($ctx:expr, $obj:expr, $helpers:expr, $name:literal,
     <$lt:lifetime> |$h:ident, $c:ident $(, $arg:ident)*| -> $ret:ty $body:block) => {{
        let $h = $helpers.clone();
        $obj.set(
            $name,
            Function::new(
                $ctx.clone(),
                move |$c: Ctx<$lt> $(, $arg: Value<$lt>)*| -> rquickjs::Result<$ret> {
                    $h.count(&$c)?;
                    $body
                },
            )?,
        )?;
    }};
}

/// Installs `mbpf` and `maps` on the global object.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    manifest: &Manifest,
    maps: &MapSet,
    helpers: &Arc<Helpers>,
) -> rquickjs::Result<()> {
    let mbpf = Object::new(ctx.clone())?;
    mbpf.set("apiVersion", API_VERSION)?;
    helper!(ctx, mbpf, helpers, "u64LoadLE", <'js> |h, ctx, b, off, out| -> () {
        let len: usize = match b.as_object() {
            Some(o) if o.is_typed_array::<u8>() => o.get("length")?,
            _ => return Err(Exception::throw_type(&ctx, "buffer must be a Uint8Array")),
        };
        let at = offset(&ctx, &off, 8, len)?;
        let bytes = bytes_of(&ctx, &b, at + 8, "buffer")?;
        let v = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        store_pair(&ctx, &out, v)
    });
    helper!(ctx, mbpf, helpers, "u64StoreLE", <'js> |h, ctx, b, off, v| -> () {
        let len: usize = match b.as_object() {
            Some(o) if o.is_typed_array::<u8>() => o.get("length")?,
            _ => return Err(Exception::throw_type(&ctx, "buffer must be a Uint8Array")),
        };
        let at = offset(&ctx, &off, 8, len)?;
        let Some(pair) = v.as_object() else {
            return Err(Exception::throw_type(&ctx, "value must be [lo, hi]"));
        };
        let lo: u32 = pair.get(0)?;
        let hi: u32 = pair.get(1)?;
        let Some(arr) = b.as_object() else {
            return Err(Exception::throw_type(&ctx, "buffer must be a Uint8Array"));
        };
        for (i, byte) in (u64::from(lo) | u64::from(hi) << 32).to_le_bytes().iter().enumerate() {
            arr.set((at + i) as u32, *byte)?;
        }
        Ok(())
    });
    if helpers.has(CAP_LOG) {
        helper!(ctx, mbpf, helpers, "log", <'js> |h, ctx, level, msg| -> () {
            // A level that is not a number is INFO; numbers are clamped to 0..=3.
            let level = level.as_number().map_or(1, |l| l.clamp(0.0, 3.0) as usize);
            let Some(text) = msg.as_string() else {
                return Err(Exception::throw_type(&ctx, "mbpf.log: msg must be a string"));
            };
            let line = format!("{} {}", LOG_LEVELS[level], text.to_string()?);
            h.logs.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            Ok(())
        });
    }
    if helpers.has(CAP_TIME) {
        helper!(ctx, mbpf, helpers, "nowNs", <'js> |h, ctx, out| -> () {
            store_pair(&ctx, &out, h.now_ns.load(Ordering::Relaxed))
        });
    }
    if helpers.has(CAP_EMIT) {
        helper!(ctx, mbpf, helpers, "emit", <'js> |h, ctx, id, bytes| -> bool {
            let Some(id) = id.as_number() else {
                return Err(Exception::throw_type(&ctx, "id must be a number"));
            };
            let arr = match bytes.as_object() {
                Some(o) if o.is_typed_array::<u8>() => o.clone(),
                _ => return Err(Exception::throw_type(&ctx, "bytes must be a Uint8Array")),
            };
            let n: usize = arr.get("length")?;
            if n > EMIT_MAX_RECORD {
                return Ok(false);
            }
            let data = bytes_of(&ctx, &bytes, n, "bytes")?;
            Ok(h.emit(id as u32, &data))
        });
    }
    if helpers.has(CAP_STATS) {
        helper!(ctx, mbpf, helpers, "stats", <'js> |h, ctx, out| -> () {
            let Some(o) = out.as_object() else {
                return Err(Exception::throw_type(&ctx, "out must be an object"));
            };
            for (i, name) in STAT_NAMES.iter().enumerate() {
                o.set(*name, pair(&ctx, h.stats[i].load(Ordering::Relaxed))?)?;
            }
            Ok(())
        });
    }
    install_map_helpers(ctx, &mbpf, &manifest.maps, maps, helpers)?;
    ctx.globals().set("mbpf", mbpf)?;
    crate::maps::install(ctx, &manifest.maps, maps, helpers)
}

/// `mbpf.mapLookup`, `mapUpdate`, `mapDelete`: maps by manifest index (not ring or counter).
fn install_map_helpers<'js>(
    ctx: &Ctx<'js>,
    mbpf: &Object<'js>,
    decls: &[MapDecl],
    maps: &MapSet,
    helpers: &Arc<Helpers>,
) -> rquickjs::Result<()> {
    let table: Arc<Vec<(MapDecl, Arc<Map>)>> = Arc::new(
        decls
            .iter()
            .filter_map(|d| maps.get(&d.name).map(|m| (d.clone(), m.clone())))
            .collect(),
    );
    let find = |table: &Arc<Vec<(MapDecl, Arc<Map>)>>,
                ctx: &Ctx<'js>,
                id: &Value<'js>|
     -> rquickjs::Result<(MapDecl, Arc<Map>)> {
        let i = id.as_number().filter(|n| *n >= 0.0 && n.fract() == 0.0);
        match i.and_then(|i| table.get(i as usize)) {
            Some((d, _)) if matches!(d.kind, MapKind::Ring | MapKind::Counter) => Err(
                Exception::throw_type(ctx, "ring and counter maps have their own methods"),
            ),
            Some((d, m)) => Ok((d.clone(), m.clone())),
            None => Err(Exception::throw_range(ctx, "no map with that id")),
        }
    };
    let key_of = |ctx: &Ctx<'js>, d: &MapDecl, m: &Map, k: &Value<'js>| {
        if m.def().map_type == MapType::Array || m.def().map_type == MapType::PercpuArray {
            match k.as_number() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok((n as u32).to_le_bytes().to_vec()),
                _ => Err(Exception::throw_type(ctx, "array keys are numbers")),
            }
        } else {
            bytes_of(ctx, k, d.key_size as usize, "key")
        }
    };
    if helpers.has(CAP_MAP_READ) {
        let t = table.clone();
        helper!(ctx, mbpf, helpers, "mapLookup", <'js> |h, ctx, id, k, out| -> bool {
            let (d, m) = find(&t, &ctx, &id)?;
            let key = key_of(&ctx, &d, &m, &k)?;
            match m.lookup(&key) {
                Ok(v) => {
                    write_into(&ctx, &out, &v[..(d.value_size as usize).min(v.len())], "out")?;
                    Ok(true)
                }
                Err(_) => Ok(false),
            }
        });
    }
    if helpers.has(CAP_MAP_WRITE) {
        let t = table.clone();
        helper!(ctx, mbpf, helpers, "mapUpdate", <'js> |h, ctx, id, k, v, flags| -> bool {
            let (d, m) = find(&t, &ctx, &id)?;
            let key = key_of(&ctx, &d, &m, &k)?;
            let value = bytes_of(&ctx, &v, d.value_size as usize, "value")?;
            let flags = flags.as_number().unwrap_or(0.0) as u64;
            if flags > 2 {
                return Err(Exception::throw_range(&ctx, "flags must be 0, 1 or 2"));
            }
            Ok(m.update(&key, &value, flags).is_ok())
        });
        let t = table;
        helper!(ctx, mbpf, helpers, "mapDelete", <'js> |h, ctx, id, k| -> bool {
            let (d, m) = find(&t, &ctx, &id)?;
            let key = key_of(&ctx, &d, &m, &k)?;
            Ok(m.delete(&key).is_ok())
        });
    }
    Ok(())
}
