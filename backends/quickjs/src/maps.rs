//! `maps.<name>`: the manifest's maps as JavaScript objects, backed by oxbpf's map
//! implementations (so an eBPF program can share them).
//!
//! Keys are a number for the array types and a `Uint8Array` of at least `key_size` bytes for the
//! hash types; values and output buffers are `Uint8Array`s of at least `value_size` bytes; only
//! the first `key_size` / `value_size` bytes are used. Every method call counts toward the helper
//! budget first. The methods exist whatever the capabilities; without the one a method needs it
//! throws `Error('CAP_MAP_… required')`, as in the reference.

use crate::api::Helpers;
use oxbpf_helpers::{Map, MapError, MapSet};
use oxbpf_loader::mbpf::manifest::{
    CAP_MAP_ITERATE, CAP_MAP_READ, CAP_MAP_WRITE, MapDecl, MapKind, capability_name,
};
use oxbpf_loader::mbpf::runtime::{EMIT_RING, emit_ring_def, has_written_flags, written_name};
use rquickjs::{Ctx, Exception, Function, Object, Value};
use std::sync::Arc;

/// Whether `map` can serve declaration `d` (same type, key size and value size; the capacity
/// may differ), as when maps are shared or kept across an update.
pub fn serves(map: &Map, d: &MapDecl) -> bool {
    let def = d.def();
    map.def().map_type == def.map_type
        && map.def().key_size == def.key_size
        && map.def().value_size == def.value_size
}

/// Creates the manifest's maps, in order, followed by the runtime's own (see
/// [`add_internal`]).
pub fn create(decls: &[MapDecl]) -> Result<MapSet, (String, MapError)> {
    let mut set = MapSet::new();
    for d in decls {
        let map = Map::new(d.def()).map_err(|e| (d.name.clone(), e))?;
        set.add(map);
    }
    add_internal(&mut set, decls).map_err(|e| (String::new(), e))?;
    Ok(set)
}

/// Adds to `set` the runtime's maps it lacks: the written flags of the arrays of `decls`
/// ([`written_name`]) and the [`EMIT_RING`].
pub fn add_internal(set: &mut MapSet, decls: &[MapDecl]) -> Result<(), MapError> {
    if set.get(EMIT_RING).is_none() {
        set.add(Map::new(emit_ring_def())?);
    }
    for d in decls.iter().filter(|d| has_written_flags(d.kind)) {
        if set.get(&written_name(&d.name)).is_none() {
            set.add(Map::new(d.written_def())?);
        }
    }
    Ok(())
}

/// What one map's methods share.
struct MapCtx {
    map: Arc<Map>,
    decl: MapDecl,
    helpers: Arc<Helpers>,
    /// For arrays: the written flags (see [`written_name`]).
    written: Option<Arc<Map>>,
}

impl MapCtx {
    /// Whether the array index `key` was written.
    fn is_written(&self, key: &[u8]) -> bool {
        self.written
            .as_ref()
            .and_then(|w| w.lookup(key).ok())
            .is_some_and(|v| v.first() == Some(&1))
    }

    /// Records that the array index `key` was written.
    fn set_written(&self, key: &[u8]) {
        if let Some(w) = &self.written {
            // The index was just written to the map, so it is below max_entries: this succeeds.
            let _ = w.update(key, &[1], 0);
        }
    }

    /// Counts the call and checks the capability `cap`.
    fn enter(&self, ctx: &Ctx<'_>, cap: u32) -> rquickjs::Result<()> {
        self.helpers.count(ctx)?;
        if !self.helpers.has(cap) {
            let message = format!("{} required", capability_name(cap));
            return Err(Exception::throw_message(ctx, &message));
        }
        Ok(())
    }

    /// The key bytes of `v`: an index for array types, else the first key_size bytes.
    fn key<'js>(&self, ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<Vec<u8>> {
        match self.decl.kind {
            MapKind::Array | MapKind::PercpuArray | MapKind::Counter => {
                Ok(index(ctx, v)?.to_le_bytes().to_vec())
            }
            _ => bytes_of(ctx, v, self.decl.key_size as usize, "key"),
        }
    }
}

/// A number key as an index.
fn index(ctx: &Ctx<'_>, v: &Value<'_>) -> rquickjs::Result<u32> {
    match v.as_number() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Ok(n as u32),
        Some(_) => Err(Exception::throw_range(ctx, "index out of range")),
        None => Err(Exception::throw_type(ctx, "index must be a number")),
    }
}

/// The first `len` bytes of a `Uint8Array` that has at least that many.
pub(crate) fn bytes_of<'js>(
    ctx: &Ctx<'js>,
    v: &Value<'js>,
    len: usize,
    what: &str,
) -> rquickjs::Result<Vec<u8>> {
    let arr = typed(ctx, v, what)?;
    let n: usize = arr.get("length")?;
    if n < len {
        return Err(Exception::throw_type(
            ctx,
            &format!("{what} must be at least {len} bytes"),
        ));
    }
    (0..len).map(|i| arr.get::<u32, u8>(i as u32)).collect()
}

/// Writes `data` into the `Uint8Array` `out`, which must have room.
pub(crate) fn write_into<'js>(
    ctx: &Ctx<'js>,
    out: &Value<'js>,
    data: &[u8],
    what: &str,
) -> rquickjs::Result<()> {
    let arr = typed(ctx, out, what)?;
    let n: usize = arr.get("length")?;
    if n < data.len() {
        return Err(Exception::throw_type(
            ctx,
            &format!("{what} must be at least {} bytes", data.len()),
        ));
    }
    for (i, b) in data.iter().enumerate() {
        arr.set(i as u32, *b)?;
    }
    Ok(())
}

fn typed<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<Object<'js>> {
    match v.as_object() {
        Some(o) if o.is_typed_array::<u8>() => Ok(o.clone()),
        _ => Err(Exception::throw_type(
            ctx,
            &format!("{what} must be a Uint8Array"),
        )),
    }
}

/// The value of `key` as this program sees it (its CPU's, for per-CPU maps).
fn read(m: &MapCtx, key: &[u8]) -> Result<Vec<u8>, MapError> {
    if m.map.def().map_type.is_percpu() {
        m.map.lookup_on_cpu(key, oxbpf_helpers::cpu::current())
    } else {
        m.map.lookup(key)
    }
}

/// Sets `key` as this program would (its CPU's value, for per-CPU maps).
fn write(m: &MapCtx, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
    if m.map.def().map_type.is_percpu() {
        m.map
            .update_on_cpu(key, value, flags, oxbpf_helpers::cpu::current())
    } else {
        m.map.update(key, value, flags)
    }
}

/// Installs `maps` with an object per map.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    decls: &[MapDecl],
    maps: &MapSet,
    helpers: &Arc<Helpers>,
) -> rquickjs::Result<()> {
    let root = Object::new(ctx.clone())?;
    for d in decls {
        let Some(map) = maps.get(&d.name) else {
            continue;
        };
        let m = Arc::new(MapCtx {
            map: map.clone(),
            decl: d.clone(),
            helpers: helpers.clone(),
            written: maps.get(&written_name(&d.name)).cloned(),
        });
        let obj = Object::new(ctx.clone())?;
        match d.kind {
            MapKind::Array
            | MapKind::PercpuArray
            | MapKind::Hash
            | MapKind::PercpuHash
            | MapKind::LruHash => {
                keyed_methods(ctx, &obj, &m)?;
            }
            MapKind::Counter => counter_methods(ctx, &obj, &m)?,
            MapKind::Ring => ring_methods(ctx, &obj, &m)?,
        }
        if matches!(d.kind, MapKind::PercpuArray | MapKind::PercpuHash) {
            let h = helpers.clone();
            obj.set(
                "cpuId",
                Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<u32> {
                    h.count(&ctx)?;
                    Ok(oxbpf_helpers::cpu::current())
                })?,
            )?;
        }
        root.set(d.name.as_str(), obj)?;
    }
    ctx.globals().set("maps", root)
}

fn keyed_methods<'js>(ctx: &Ctx<'js>, obj: &Object<'js>, m: &Arc<MapCtx>) -> rquickjs::Result<()> {
    let array = matches!(m.decl.kind, MapKind::Array | MapKind::PercpuArray);
    let vsize = m.decl.value_size as usize;
    let mm = m.clone();
    obj.set(
        "lookup",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, key: Value<'js>, out: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_READ)?;
                let k = mm.key(&ctx, &key)?;
                if array && !mm.is_written(&k) {
                    return Ok(false);
                }
                match read(&mm, &k) {
                    Ok(v) => {
                        write_into(&ctx, &out, &v[..vsize.min(v.len())], "out")?;
                        Ok(true)
                    }
                    Err(_) => Ok(false),
                }
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "update",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, key: Value<'js>, value: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                let k = mm.key(&ctx, &key)?;
                let v = bytes_of(&ctx, &value, vsize, "value")?;
                let ok = write(&mm, &k, &v, 0).is_ok();
                if ok && array {
                    mm.set_written(&k);
                }
                Ok(ok)
            },
        )?,
    )?;
    if array {
        return Ok(());
    }
    let mm = m.clone();
    obj.set(
        "delete",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, key: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                let k = mm.key(&ctx, &key)?;
                Ok(mm.map.delete(&k).is_ok())
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "nextKey",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, prev: Value<'js>, out: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_ITERATE)?;
                let prev = if prev.is_null() || prev.is_undefined() {
                    None
                } else {
                    Some(mm.key(&ctx, &prev)?)
                };
                match mm.map.next_key(prev.as_deref()) {
                    Ok(k) => {
                        write_into(&ctx, &out, &k, "outKey")?;
                        Ok(true)
                    }
                    Err(_) => Ok(false),
                }
            },
        )?,
    )
}

fn counter_methods<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    m: &Arc<MapCtx>,
) -> rquickjs::Result<()> {
    let mm = m.clone();
    obj.set(
        "add",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, i: Value<'js>, d: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                let k = mm.key(&ctx, &i)?;
                let delta = integer(&ctx, &d)?;
                Ok(mm.map.fetch_add(&k, 0, delta as u64).is_ok())
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "set",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, i: Value<'js>, v: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                let k = mm.key(&ctx, &i)?;
                let v = integer(&ctx, &v)?;
                Ok(mm.map.update(&k, &v.to_le_bytes(), 0).is_ok())
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "get",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, i: Value<'js>| -> rquickjs::Result<f64> {
                mm.enter(&ctx, CAP_MAP_READ)?;
                let k = mm.key(&ctx, &i)?;
                let v = mm.map.lookup(&k).unwrap_or_default();
                let n = v
                    .get(..8)
                    .map_or(0, |b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
                Ok(n as f64)
            },
        )?,
    )
}

/// A number that is an integer (for counters).
fn integer(ctx: &Ctx<'_>, v: &Value<'_>) -> rquickjs::Result<i64> {
    match v.as_number() {
        Some(n) if n.is_finite() => Ok(n.trunc() as i64),
        _ => Err(Exception::throw_type(ctx, "value must be a finite number")),
    }
}

fn ring_methods<'js>(ctx: &Ctx<'js>, obj: &Object<'js>, m: &Arc<MapCtx>) -> rquickjs::Result<()> {
    let mm = m.clone();
    obj.set(
        "submit",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, b: Value<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                let arr = typed(&ctx, &b, "record")?;
                let n: usize = arr.get("length")?;
                if n > mm.decl.value_size as usize {
                    return Ok(false);
                }
                let data = bytes_of(&ctx, &b, n, "record")?;
                // Full: the ring drops its oldest records to make room (RINGBUF_OVERWRITE).
                Ok(mm.map.output(&data).is_ok())
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "count",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<u32> {
            mm.enter(&ctx, CAP_MAP_READ)?;
            Ok(mm.map.pending_records().len() as u32)
        })?,
    )?;
    let mm = m.clone();
    obj.set(
        "dropped",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<f64> {
            mm.enter(&ctx, CAP_MAP_READ)?;
            Ok(mm.map.ring_dropped() as f64)
        })?,
    )?;
    let mm = m.clone();
    obj.set(
        "peek",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, out: Value<'js>| -> rquickjs::Result<u32> {
                mm.enter(&ctx, CAP_MAP_READ)?;
                match mm.map.pending_records().first() {
                    Some(r) => {
                        write_into(&ctx, &out, r, "out")?;
                        Ok(r.len() as u32)
                    }
                    None => Ok(0),
                }
            },
        )?,
    )?;
    let mm = m.clone();
    obj.set(
        "consume",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>| -> rquickjs::Result<bool> {
                mm.enter(&ctx, CAP_MAP_WRITE)?;
                Ok(mm.map.consume_one().is_some())
            },
        )?,
    )
}
