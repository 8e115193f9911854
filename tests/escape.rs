//! Escapes: programs a sound verifier must refuse, because run with their checks elided they
//! could write host memory, reach outside the sandbox, read memory they never wrote or hand a
//! host address to the host.
//!
//! Each must-reject program runs on every backend twice:
//!
//! - with the verifier off, it must load, behave identically on the interpreter, the JIT and the
//!   AOT backend (`r0` or the trap and its instruction, the context and every map afterwards) and
//!   touch nothing outside its regions: the run-time checks alone keep it in; and its run on the
//!   interpreter must show the harm it attempts (a trap, a changed canary, a leaked address, bytes
//!   read from a canary or stale stack), unless the case says the harm is one of policy only
//!   (`quiet`: a helper refusing the wrong map, part of an address);
//! - with the verifier on, it must be refused, with a verifier error, on every backend. One that
//!   is accepted is a failure; it then runs anyway, in a child process (elided checks may crash
//!   the host), to report what escaped.
//!
//! Canaries: the context (`CTX_LEN` bytes) sits between two guards of `CTX_CANARY`; the stack is a
//! [`StackBuffer`] `STACK_EXTRA` bytes deeper than the frames a run may use, everything below the
//! frames the program may reach is `STACK_CANARY` and the frames start `STALE` (what an earlier
//! run on a reused stack leaves); every array map has seven spare values of `MAP_CANARY` after
//! the one programs use, every hash map two spare keys, and read-only maps are compared whole.
//! The context holds numbers the attacks use (see [`plant`]): addresses inside the canaries, an
//! index past the context, a negative offset.
//!
//! Two more kinds guard the other side. Must-accept neighbours, programs real code is made of,
//! guard the verifier's precision: they must load verified on every backend and give the
//! unverified interpreter's answer. Contained programs reach past the context by offsets only
//! the run knows: a sound verifier may accept them with their run-time check, so verified they
//! must trap exactly where they trap unverified.
//!
//! `OXBPF_ESCAPE_ONLY=text` runs only the programs whose name contains `text`;
//! `OXBPF_ESCAPE_VERBOSE=1` prints why the verifier refuses each program.

use oxbpf::{
    Arg, BACKENDS, Config, ContextSpec, Error, HelperContext, HelperResult, HelperStop, Loaded,
    Map, MapDef, MapSet, MapType, Proto, StackBuffer, TrapKind, UnknownHelpers, Vm,
};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;

/// Bytes of context a run gets.
const CTX_LEN: usize = 96;
/// Canary bytes on each side of the context.
const GUARD: usize = 64;
/// Stack bytes below the deepest frame a run may have, all canary.
const STACK_EXTRA: usize = 8192;
/// Instructions a run may execute.
const BUDGET: u64 = 100_000;
/// The guards around the context.
const CTX_CANARY: u8 = 0xc1;
/// The stack below the frames a program may reach.
const STACK_CANARY: u8 = 0xc2;
/// Spare map values.
const MAP_CANARY: u8 = 0xc3;
/// The stack frames a program may use, before it writes them: what an earlier run left there.
const STALE: u8 = 0xc4;
/// How far below its buffer the `aim` helpers point.
const AIM_DROP: u64 = 6000;
/// The first key of a hash map's spare entries.
const SPARE_KEY: u32 = 100;

// Host helpers every VM of this suite has.

/// `poke(dst, value)`, no prototype: stores the 8-byte `value` at `dst`.
const POKE: u32 = 1000;
/// `nudge(dst, delta, width)`, no prototype: adds `delta` to the `width`-byte number at `dst`.
const NUDGE: u32 = 1001;
/// `fill(dst, len, byte)`, no prototype: sets `len` bytes at `dst` to `byte`.
const FILL: u32 = 1002;
/// `aim(dst, len)`, prototype `MemOut, Size`: fills the buffer with the address `dst - AIM_DROP`.
const AIM: u32 = 1003;
/// `ident(x)`, prototype `Scalar`: returns `x`.
const IDENT: u32 = 1004;
/// `ident_any(x)`, prototype `Any`: returns `x`.
const IDENT_ANY: u32 = 1005;
/// `first_word(src, len)`, prototype `Mem, Size`: the first 8 bytes at `src`, as a number.
const FIRST_WORD: u32 = 1006;
/// `copy(dst, dst_len, src, src_len)`, prototype `MemOut, Size, Mem, Size`.
const COPY: u32 = 1007;
/// `count(dst, len)`, prototype `MemOut, Size`: fills the buffer with 1, 2, 3, ...
const COUNT: u32 = 1008;

fn fault(f: impl std::fmt::Display) -> HelperStop {
    HelperStop::Error(f.to_string())
}

fn read_mem(hc: &HelperContext<'_, '_>, addr: u64, len: u64) -> Result<Vec<u8>, HelperStop> {
    let mut buf = vec![0; len.min(4096) as usize];
    hc.memory.read(addr, &mut buf).map_err(fault)?;
    Ok(buf)
}

fn poke(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    hc.memory.write(a[0], &a[1].to_le_bytes()).map_err(fault)?;
    Ok(0)
}

fn nudge(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let width = a[2].clamp(1, 8) as usize;
    let mut bytes = [0u8; 8];
    hc.memory.read(a[0], &mut bytes[..width]).map_err(fault)?;
    let moved = u64::from_le_bytes(bytes).wrapping_add(a[1]).to_le_bytes();
    hc.memory.write(a[0], &moved[..width]).map_err(fault)?;
    Ok(0)
}

fn fill(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes = vec![a[2] as u8; a[1].min(4096) as usize];
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn aim(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let word = a[0].wrapping_sub(AIM_DROP).to_le_bytes();
    let bytes: Vec<u8> = (0..a[1].min(4096) as usize).map(|i| word[i % 8]).collect();
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn first_word(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let mut word = [0u8; 8];
    let bytes = read_mem(hc, a[0], a[1].min(8))?;
    word[..bytes.len()].copy_from_slice(&bytes);
    Ok(u64::from_le_bytes(word))
}

fn copy(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes = read_mem(hc, a[2], a[1].min(a[3]))?;
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn count(hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let bytes: Vec<u8> = (1..=a[1].min(4096)).map(|i| i as u8).collect();
    hc.memory.write(a[0], &bytes).map_err(fault)?;
    Ok(0)
}

fn register_host_helpers(vm: &mut Vm) {
    use Arg::{Any, Mem, MemOut, Size, Unused};
    let mem_out = Proto::scalar([MemOut, Size, Unused, Unused, Unused]);
    vm.register_helper(POKE, "poke", poke);
    vm.register_helper(NUDGE, "nudge", nudge);
    vm.register_helper(FILL, "fill", fill);
    vm.register_helper_with_proto(AIM, "aim", mem_out, aim);
    vm.register_helper_with_proto(IDENT, "ident", Proto::numbers(1), |_, a| Ok(a[0]));
    let any = Proto::scalar([Any, Unused, Unused, Unused, Unused]);
    vm.register_helper_with_proto(IDENT_ANY, "ident_any", any, |_, a| Ok(a[0]));
    let mem = Proto::scalar([Mem, Size, Unused, Unused, Unused]);
    vm.register_helper_with_proto(FIRST_WORD, "first_word", mem, first_word);
    let copy_proto = Proto::scalar([MemOut, Size, Mem, Size, Unused]);
    vm.register_helper_with_proto(COPY, "copy", copy_proto, copy);
    vm.register_helper_with_proto(COUNT, "count", mem_out, count);
}

// Maps.

/// A map a case uses, created afresh (and filled: see [`World::new`]) for every run.
#[derive(Clone, Copy, Debug)]
struct MapSpec {
    ty: MapType,
    key: u32,
    value: u32,
    entries: u32,
    flags: u32,
}

const fn spec(ty: MapType, key: u32, value: u32, entries: u32) -> MapSpec {
    MapSpec {
        ty,
        key,
        value,
        entries,
        flags: 0,
    }
}

/// 8 values of 16 bytes: value 0 is the program's, the others canaries.
const fn array() -> MapSpec {
    spec(MapType::Array, 4, 16, 8)
}

/// Key 0 (the program's) and two spare keys, 16-byte values.
const fn hash() -> MapSpec {
    spec(MapType::Hash, 4, 16, 8)
}

/// A FIFO holding two values, each the address of map 0's last value.
const fn queue(value: u32) -> MapSpec {
    spec(MapType::Queue, 0, value, 8)
}

/// A LIFO holding two values, as [`queue`].
const fn lifo(value: u32) -> MapSpec {
    spec(MapType::Stack, 0, value, 8)
}

const fn ring() -> MapSpec {
    spec(MapType::RingBuf, 0, 0, 4096)
}

const fn prog_array() -> MapSpec {
    spec(MapType::ProgArray, 4, 4, 4)
}

impl MapSpec {
    /// The same map, read-only to programs (`BPF_F_RDONLY_PROG`).
    const fn read_only(mut self) -> MapSpec {
        self.flags |= 0x80;
        self
    }

    fn is_read_only(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// Whether the entry with `key` is a canary (no program may change it).
    fn is_canary(&self, key: &[u8]) -> bool {
        let k = key
            .get(..4)
            .map_or(0, |k| u32::from_le_bytes(k.try_into().unwrap_or_default()));
        match self.ty {
            MapType::Array => k != 0,
            MapType::Hash => k >= SPARE_KEY,
            _ => false,
        }
    }
}

/// The maps of one run.
struct World {
    set: MapSet,
    maps: Vec<Arc<Map>>,
    specs: Vec<MapSpec>,
}

impl World {
    /// Creates and fills the maps: an array's value 0 and a hash map's key 0 are zeroed, their
    /// other entries canaries; queues and stacks hold two copies of [`World::aim`].
    fn new(specs: &[MapSpec]) -> World {
        let mut set = MapSet::new();
        let maps: Vec<Arc<Map>> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let def = MapDef {
                    map_type: s.ty,
                    key_size: s.key,
                    value_size: s.value,
                    max_entries: s.entries,
                    flags: s.flags,
                };
                set.add(Map::new(&format!("map{i}"), def).expect("map definition"))
            })
            .collect();
        let world = World {
            set,
            maps,
            specs: specs.to_vec(),
        };
        let aim = world.aim().to_le_bytes();
        for (m, s) in world.maps.iter().zip(specs) {
            let value = |byte: u8| vec![byte; s.value as usize];
            match s.ty {
                MapType::Array => {
                    for k in 0..s.entries {
                        let byte = if k == 0 { 0 } else { MAP_CANARY };
                        m.update(&k.to_le_bytes(), &value(byte), 0).expect("array");
                    }
                }
                MapType::Hash => {
                    for (k, byte) in [(0, 0), (SPARE_KEY, MAP_CANARY), (SPARE_KEY + 1, MAP_CANARY)]
                    {
                        m.update(&u32::to_le_bytes(k), &value(byte), 0)
                            .expect("hash");
                    }
                }
                MapType::Queue | MapType::Stack => {
                    let v: Vec<u8> = (0..s.value as usize).map(|i| aim[i % 8]).collect();
                    m.push(&v, 0).expect("queue");
                    m.push(&v, 0).expect("queue");
                }
                _ => {}
            }
        }
        world
    }

    /// The address of map 0's last value when map 0 is an array (else 0): where attacks on maps
    /// aim.
    fn aim(&self) -> u64 {
        match (self.maps.first(), self.specs.first()) {
            (Some(m), Some(s)) if s.ty == MapType::Array => {
                let stride = u64::from(s.value.next_multiple_of(8));
                m.value_addr(0).unwrap_or(0) + stride * u64::from(s.entries - 1)
            }
            _ => 0,
        }
    }

    fn snapshot(&self) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        self.maps.iter().map(|m| m.entries()).collect()
    }
}

// Cases.

/// What a sound verifier does with a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Refuses it.
    Reject,
    /// Accepts it: a safe program real code is made of.
    Accept,
    /// May accept it, keeping the run-time check that stops it (a context access whose bounds
    /// only the run knows): verified, it must do exactly what it does unverified.
    Contain,
}

/// One program and the world it runs in.
struct Case {
    name: &'static str,
    what: &'static str,
    asm: String,
    maps: Vec<MapSpec>,
    unknown: UnknownHelpers,
    leaks: bool,
    fixed_ctx: bool,
    /// The unverified run shows no harm this suite can observe (a helper refuses the map, the
    /// leaked bits are only part of an address): the rejection is one of policy.
    quiet: bool,
    kind: Kind,
    /// Stack frames the program may use (everything below them is canary).
    frames: usize,
}

/// A program a sound verifier must refuse, over one array map (`array`).
fn reject(name: &'static str, what: &'static str, asm: String) -> Case {
    let frames = if asm.contains("call local") {
        Config::default().max_call_depth
    } else {
        1
    };
    Case {
        name,
        what,
        asm,
        maps: vec![array()],
        unknown: UnknownHelpers::Refuse,
        leaks: false,
        fixed_ctx: false,
        quiet: false,
        kind: Kind::Reject,
        frames,
    }
}

/// A safe program the verifier must accept.
fn accept(name: &'static str, what: &'static str, asm: String) -> Case {
    Case {
        kind: Kind::Accept,
        ..reject(name, what, asm)
    }
}

/// A program a sound verifier may accept only with the run-time check that stops it.
fn contain(name: &'static str, what: &'static str, asm: String) -> Case {
    Case {
        kind: Kind::Contain,
        ..reject(name, what, asm)
    }
}

impl Case {
    fn maps(mut self, maps: &[MapSpec]) -> Case {
        self.maps = maps.to_vec();
        self
    }

    /// The verifier assumes the worst of calls without a prototype instead of refusing them.
    fn worst(mut self) -> Case {
        self.unknown = UnknownHelpers::AssumeWorst;
        self
    }

    /// The host allows pointer leaks: memory safety must hold all the same.
    fn leaks(mut self) -> Case {
        self.leaks = true;
        self
    }

    /// The verifier takes the context for a fixed `CTX_LEN`-byte structure.
    fn fixed_ctx(mut self) -> Case {
        self.fixed_ctx = true;
        self
    }

    fn quiet(mut self) -> Case {
        self.quiet = true;
        self
    }
}

// Runs.

/// The context and stack buffers, reused by every run of a case so that every backend sees the
/// same addresses.
struct Buffers {
    ctx: Vec<u8>,
    stack: StackBuffer,
}

impl Buffers {
    fn new() -> Buffers {
        Buffers {
            ctx: vec![0; GUARD + CTX_LEN + GUARD],
            stack: StackBuffer::new(Config::default().stack_size() + STACK_EXTRA),
        }
    }

    fn ctx_addr(&self) -> u64 {
        self.ctx.as_ptr() as u64 + GUARD as u64
    }

    /// Stack bytes below the `frames` frames a program may reach.
    fn stack_floor(&self, frames: usize) -> usize {
        self.stack.len() - frames * Config::default().stack_frame_size
    }

    /// Canaries everywhere, the planted context, stale bytes in the frames.
    fn reset(&mut self, frames: usize, aim_map: u64) {
        let (ctx_addr, top) = (self.ctx_addr(), self.stack.top());
        self.ctx.fill(CTX_CANARY);
        plant(
            &mut self.ctx[GUARD..GUARD + CTX_LEN],
            ctx_addr,
            top,
            aim_map,
        );
        let floor = self.stack_floor(frames);
        let stack = self.stack.as_mut_slice();
        stack[..floor].fill(STACK_CANARY);
        stack[floor..].fill(STALE);
    }
}

/// The context every program gets, twelve numbers:
///
/// | offset | value |
/// |--------|-------|
/// | 0  | the address 32 bytes before the context (its front guard) |
/// | 8  | the address `AIM_DROP` bytes below the stack top (below every frame) |
/// | 16 | the address of map 0's last value ([`World::aim`]) |
/// | 24 | 104: an index past the context and past a value |
/// | 32 | 1: the trigger of the branches on data |
/// | 40 | -600: an offset below the stack frame |
/// | 48 | 1: the id of `map_lookup_elem` |
/// | 56 | 29 |
/// | 64 | 16: one past the last index of a 16-byte value |
/// | 72 | 0x1_0000_0004: small in 32 bits, not in 64 |
/// | 80 | 0 |
/// | 88 | 0x0807060504030201 |
fn plant(ctx: &mut [u8], ctx_addr: u64, top: u64, aim_map: u64) {
    let words: [u64; CTX_LEN / 8] = [
        ctx_addr.wrapping_sub(32),
        top.wrapping_sub(AIM_DROP),
        aim_map,
        104,
        1,
        -600i64 as u64,
        1,
        29,
        16,
        0x1_0000_0004,
        0,
        0x0807_0605_0403_0201,
    ];
    for (chunk, w) in ctx.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
}

/// Names the host addresses a run can see: `<ctx+N>`, `<fp-N>` (from the stack top),
/// `<mapI+N>`.
struct Symbols {
    /// Name, start, length and the address offsets count from.
    regions: Vec<(String, u64, u64, u64)>,
    /// Map handles (not addresses), by map name.
    handles: Vec<(String, u64)>,
}

impl Symbols {
    fn new(bufs: &Buffers, world: &World) -> Symbols {
        let ctx = bufs.ctx_addr();
        let top = bufs.stack.top();
        let mut regions = vec![
            (
                "ctx".to_owned(),
                ctx - GUARD as u64,
                (CTX_LEN + 2 * GUARD) as u64,
                ctx,
            ),
            (
                "fp".to_owned(),
                top - bufs.stack.len() as u64,
                bufs.stack.len() as u64,
                top,
            ),
        ];
        let mut handles = Vec::new();
        for (i, m) in world.maps.iter().enumerate() {
            if let Some(r) = m.region() {
                let (addr, len) = (r.memory.addr(), r.memory.len() as u64);
                regions.push((format!("map{i}"), addr, len, addr));
            }
            handles.push((format!("map{i}"), m.handle()));
        }
        Symbols { regions, handles }
    }

    fn name(&self, v: u64) -> Option<String> {
        self.regions
            .iter()
            .find(|(_, start, len, _)| v >= *start && v - start <= *len)
            .map(|(name, _, _, origin)| {
                format!("<{name}{:+}>", i128::from(v) - i128::from(*origin))
            })
    }

    /// A map handle plus a small offset.
    fn handle(&self, v: u64) -> Option<String> {
        self.handles
            .iter()
            .find(|(_, h)| v.wrapping_sub(*h) < 4096)
            .map(|(name, h)| format!("<handle of {name}{:+}>", v - h))
    }

    /// A register value: a host address or map handle by its name, else the number.
    fn value(&self, v: u64) -> String {
        self.name(v)
            .or_else(|| self.handle(v))
            .unwrap_or_else(|| format!("{v:#x}"))
    }

    /// An address a trap names: a map handle, or `<outside>` (the addresses of ring records and
    /// of memory next to the maps change from run to run).
    fn address(&self, v: u64) -> String {
        self.name(v)
            .or_else(|| self.handle(v))
            .unwrap_or_else(|| "<outside>".to_owned())
    }

    /// Bytes in hex, each 8-byte window holding a host address by its name.
    fn render(&self, bytes: &[u8]) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let word = bytes.get(i..i + 8).map(|w| {
                let mut a = [0u8; 8];
                a.copy_from_slice(w);
                u64::from_le_bytes(a)
            });
            if let Some(name) = word.and_then(|w| self.name(w)) {
                out.push_str(&name);
                i += 8;
            } else {
                let _ = write!(out, "{:02x}", bytes[i]);
                i += 1;
            }
        }
        out
    }

    fn render_map(&self, entries: &[(Vec<u8>, Vec<u8>)]) -> String {
        let parts: Vec<String> = entries
            .iter()
            .map(|(k, v)| format!("{}={}", self.render(k), self.render(v)))
            .collect();
        parts.join(" ")
    }
}

/// What one run did, with host addresses named so that runs on different maps compare.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    result: String,
    instructions: u64,
    ctx: String,
    maps: Vec<String>,
    /// Changed bytes outside every region of the run: the context's guards, the stack below the
    /// frames.
    outside: Vec<String>,
    /// Changed canary entries of maps, and changes of read-only maps.
    map_damage: Vec<String>,
    /// Host addresses that reached `r0`, the context or a map.
    leaks: Vec<String>,
    /// `r0` holds canary bytes (a read outside the program's memory) or stale stack bytes (a
    /// read of stack the program never wrote).
    reads_canary: bool,
    trapped: bool,
}

impl Outcome {
    fn harmful(&self) -> bool {
        self.trapped
            || self.reads_canary
            || !self.outside.is_empty()
            || !self.map_damage.is_empty()
            || !self.leaks.is_empty()
    }

    fn summary(&self) -> String {
        let mut s = self.result.clone();
        if !self.outside.is_empty() {
            let _ = write!(s, "; OUTSIDE ITS REGIONS: {}", self.outside.join(", "));
        }
        if !self.map_damage.is_empty() {
            let _ = write!(s, "; map canaries: {}", self.map_damage.join(", "));
        }
        if !self.leaks.is_empty() {
            let _ = write!(s, "; leaks: {}", self.leaks.join(", "));
        }
        if self.reads_canary {
            s.push_str("; r0 holds canary or stale bytes");
        }
        s
    }

    /// What differs between two outcomes.
    fn diff(&self, other: &Outcome) -> String {
        let mut d = Vec::new();
        if (&self.result, self.instructions) != (&other.result, other.instructions) {
            d.push(format!(
                "{} ({} insns) vs {} ({} insns)",
                self.summary(),
                self.instructions,
                other.summary(),
                other.instructions
            ));
        } else if self.summary() != other.summary() {
            d.push(format!("{} vs {}", self.summary(), other.summary()));
        }
        if self.ctx != other.ctx {
            d.push(format!("context {} vs {}", self.ctx, other.ctx));
        }
        for (i, (a, b)) in self.maps.iter().zip(&other.maps).enumerate() {
            if a != b {
                d.push(format!("map{i} {a} vs {b}"));
            }
        }
        d.join("; ")
    }
}

fn tokens(s: &str) -> usize {
    s.matches('<').count()
}

/// Whether `v`'s bytes hold two consecutive bytes of one canary or of stale stack.
fn holds_canary(v: u64) -> bool {
    v.to_le_bytes()
        .windows(2)
        .any(|w| w[0] == w[1] && [CTX_CANARY, STACK_CANARY, MAP_CANARY, STALE].contains(&w[0]))
}

/// Stale stack bytes (two in a row) in rendered memory.
fn stale(rendered: &str) -> usize {
    rendered.matches("c4c4").count()
}

/// The changed bytes of `bytes` (expected all `want`) as `label+first..=label+last (N bytes)`,
/// offsets from `origin`.
fn changed(label: &str, bytes: &[u8], want: impl Fn(usize) -> u8, origin: i64) -> Option<String> {
    let offs: Vec<i64> = (0..bytes.len())
        .filter(|&i| bytes[i] != want(i))
        .map(|i| i as i64 - origin)
        .collect();
    let (first, last) = (offs.first()?, offs.last()?);
    Some(format!(
        "{label}{first:+}..={label}{last:+} ({} bytes)",
        offs.len()
    ))
}

/// A VM for `case` on `backend`.
fn vm_for(case: &Case, backend: &str, verify: bool) -> Vm {
    let config = Config {
        verify,
        instruction_budget: Some(BUDGET),
        ..Config::default()
    };
    let mut vm = Vm::with_config(backend, config).expect("backend");
    let settings = vm.verifier_mut();
    settings.unknown_helpers = case.unknown;
    settings.allow_pointer_leaks = case.leaks;
    if case.fixed_ctx {
        settings.context = ContextSpec::fixed(CTX_LEN as u32);
    }
    register_host_helpers(&mut vm);
    vm
}

/// Loads `case` on `backend` over new maps: the maps, the program or why it did not load, and
/// whether it was the verifier that refused it.
fn load(case: &Case, backend: &str, verify: bool) -> (World, Result<Loaded, String>, bool) {
    let world = World::new(&case.maps);
    let insns = match oxbpf::asm::assemble(&case.asm) {
        Ok(i) => i,
        Err(e) => return (world, Err(format!("assembly: {e}")), false),
    };
    let r = vm_for(case, backend, verify).load_with_maps(insns, &world.set);
    let by_verifier = matches!(r, Err(Error::Verify(_)));
    (world, r.map_err(|e| e.to_string()), by_verifier)
}

/// Runs a loaded program once, canaries set, and tells what it did.
fn execute(case: &Case, world: &World, loaded: &Loaded, bufs: &mut Buffers) -> Outcome {
    bufs.reset(case.frames, world.aim());
    let sym = Symbols::new(bufs, world);
    let ctx_before = sym.render(&bufs.ctx[GUARD..GUARD + CTX_LEN]);
    let maps_before = world.snapshot();
    let exec = loaded.execute_on(&mut bufs.ctx[GUARD..GUARD + CTX_LEN], &mut bufs.stack);
    let maps_after = world.snapshot();

    let result = match &exec.result {
        Ok(v) => format!("r0 = {}", sym.value(*v)),
        Err(t) => match &t.kind {
            TrapKind::OutOfBounds { addr, len, access } => format!(
                "trap at insn {}: out-of-bounds {access:?} of {len} bytes at {}",
                t.pc,
                sym.address(*addr)
            ),
            TrapKind::HelperError { id, .. } => {
                format!("trap at insn {}: helper {id} failed", t.pc)
            }
            k => format!("trap at insn {}: {:?}", t.pc, k.code()),
        },
    };

    let mut outside = Vec::new();
    let (front, rest) = bufs.ctx.split_at(GUARD);
    let back = &rest[CTX_LEN..];
    outside.extend(changed("ctx", front, |_| CTX_CANARY, GUARD as i64));
    outside.extend(changed("ctx", back, |_| CTX_CANARY, -(CTX_LEN as i64)));
    let floor = bufs.stack_floor(case.frames);
    let len = bufs.stack.len() as i64;
    let stack = bufs.stack.as_mut_slice();
    outside.extend(changed("fp", &stack[..floor], |_| STACK_CANARY, len));

    let mut map_damage = Vec::new();
    for (i, (s, (before, after))) in case
        .maps
        .iter()
        .zip(maps_before.iter().zip(&maps_after))
        .enumerate()
    {
        if s.is_read_only() {
            if before != after {
                map_damage.push(format!("map{i} (read-only) changed"));
            }
            continue;
        }
        for (k, v) in before.iter().filter(|(k, _)| s.is_canary(k)) {
            if !after.iter().any(|(k2, v2)| k2 == k && v2 == v) {
                map_damage.push(format!("map{i}[{}] changed", sym.render(k)));
            }
        }
    }

    let ctx = sym.render(&bufs.ctx[GUARD..GUARD + CTX_LEN]);
    let maps: Vec<String> = maps_after.iter().map(|m| sym.render_map(m)).collect();
    let mut leaks = Vec::new();
    if let Ok(v) = exec.result
        && let Some(name) = sym.name(v)
    {
        leaks.push(format!("r0 = {name}"));
    }
    if tokens(&ctx) > tokens(&ctx_before) {
        leaks.push("into the context".to_owned());
    }
    if stale(&ctx) > stale(&ctx_before) {
        leaks.push("stale stack bytes into the context".to_owned());
    }
    for (i, (before, after)) in maps_before.iter().zip(&maps).enumerate() {
        let before = sym.render_map(before);
        if tokens(after) > tokens(&before) {
            leaks.push(format!("into map{i}"));
        }
        if stale(after) > stale(&before) {
            leaks.push(format!("stale stack bytes into map{i}"));
        }
    }

    Outcome {
        result,
        instructions: exec.instructions,
        ctx,
        maps,
        outside,
        map_damage,
        leaks,
        reads_canary: exec.result.as_ref().is_ok_and(|&v| holds_canary(v)),
        trapped: exec.result.is_err(),
    }
}

/// Loads and runs `case` on `backend`: its outcome, or why it did not load.
fn run(case: &Case, backend: &str, verify: bool, bufs: &mut Buffers) -> Result<Outcome, String> {
    let (world, loaded, _) = load(case, backend, verify);
    Ok(execute(case, &world, &loaded?, bufs))
}

// Checks.

const CHILD_CASE: &str = "OXBPF_ESCAPE_CASE";
const CHILD_BACKEND: &str = "OXBPF_ESCAPE_BACKEND";
const CHILD_MARK: &str = "escape outcome: ";
/// The test that runs one accepted must-reject program in a child process.
const CHILD_TEST: &str = "child_runs_one_accepted_program";

/// Runs the accepted program `name` verified on `backend` in a child process: its outcome, or how
/// the child died.
fn run_in_child(name: &str, backend: &str) -> String {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return format!("no test binary to run: {e}"),
    };
    let out = Command::new(exe)
        .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE, name)
        .env(CHILD_BACKEND, backend)
        .output();
    match out {
        Err(e) => format!("the child did not start: {e}"),
        Ok(o) => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            match stdout.lines().find_map(|l| l.split_once(CHILD_MARK)) {
                Some((_, s)) => s.to_owned(),
                None => format!("CRASHED the host process ({})", o.status),
            }
        }
    }
}

/// Runs `case` unverified on every backend: the problems found, and the interpreter's outcome.
fn check_unverified(case: &Case, problems: &mut Vec<String>) -> Result<Outcome, String> {
    let mut bufs = Buffers::new();
    let interp = run(case, "interp", false, &mut bufs);
    for b in &BACKENDS[1..] {
        let other = run(case, b, false, &mut bufs);
        match (&interp, &other) {
            (Ok(a), Ok(o)) if a != o => problems.push(format!(
                "verifier off, {b} differs from interp: {}",
                a.diff(o)
            )),
            (a, o) if a.is_err() != o.is_err() => problems.push(format!(
                "verifier off, {b} loads differently from interp: {:?} vs {:?}",
                a.as_ref().map(Outcome::summary),
                o.as_ref().map(Outcome::summary)
            )),
            _ => {}
        }
        if let Ok(o) = &other
            && !o.outside.is_empty()
        {
            problems.push(format!("verifier off, {b}: {}", o.summary()));
        }
    }
    match &interp {
        Err(e) => problems.push(format!("harness: does not load unverified: {e}")),
        Ok(o) if !o.outside.is_empty() => {
            problems.push(format!("verifier off, interp: {}", o.summary()))
        }
        Ok(o) if !case.quiet && !o.harmful() => problems.push(format!(
            "harness: the unverified run shows no harm: {}",
            o.summary()
        )),
        _ => {}
    }
    interp
}

/// The backends whose verifier accepts `case`, noting a refusal that is not the verifier's.
fn accepted_by(case: &Case, problems: &mut Vec<String>) -> Vec<&'static str> {
    let mut accepted = Vec::new();
    for b in BACKENDS {
        match load(case, b, true) {
            (_, Ok(_), _) => accepted.push(*b),
            (_, Err(e), true) => {
                if *b == "interp" && std::env::var_os("OXBPF_ESCAPE_VERBOSE").is_some() {
                    eprintln!("{}: refused: {e}", case.name);
                }
            }
            (_, Err(e), false) => problems.push(format!("{b}: refused, not by the verifier: {e}")),
        }
    }
    accepted
}

/// The problems of a must-reject program.
fn check_reject(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let interp = check_unverified(case, &mut problems);
    let accepted = accepted_by(case, &mut problems);
    if !accepted.is_empty() {
        let mut s = format!(
            "ACCEPTED by the verifier on {} ({})\n        unverified interp: {}",
            accepted.join(", "),
            case.what,
            interp.as_ref().map_or_else(Clone::clone, Outcome::summary)
        );
        for b in &accepted {
            let _ = write!(s, "\n        verified {b}: {}", run_in_child(case.name, b));
        }
        problems.push(s);
    }
    problems
}

/// The problems of a program that must stay contained: accepted, its verified runs must do
/// what its unverified run on the interpreter does.
fn check_contain(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let interp = check_unverified(case, &mut problems);
    let Ok(interp) = interp else {
        return problems;
    };
    for b in accepted_by(case, &mut problems) {
        let verified = run_in_child(case.name, b);
        if verified != interp.summary() {
            problems.push(format!(
                "ESCAPED when verified on {b} ({}): {verified}\n        unverified interp: {}",
                case.what,
                interp.summary()
            ));
        }
    }
    problems
}

/// The problems of a must-accept neighbour.
fn check_accept(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let mut bufs = Buffers::new();
    let base = match run(case, "interp", false, &mut bufs) {
        Ok(o) => o,
        Err(e) => return vec![format!("harness: does not load unverified: {e}")],
    };
    if base.harmful() {
        problems.push(format!(
            "harness: the unverified run is harmful: {}",
            base.summary()
        ));
    }
    for b in BACKENDS {
        match run(case, b, true, &mut bufs) {
            Err(e) => problems.push(format!("REFUSED by {b} ({}): {e}", case.what)),
            Ok(o) if o != base => problems.push(format!(
                "verified on {b}, differs from unverified interp: {}",
                o.diff(&base)
            )),
            Ok(_) => {}
        }
    }
    problems
}

/// Checks every case of a category and fails with all problems at once.
fn check_category(category: &str, cases: Vec<Case>) {
    let only = std::env::var("OXBPF_ESCAPE_ONLY").unwrap_or_default();
    let mut report = String::new();
    let (mut ran, mut failed) = (0, 0);
    for case in cases.iter().filter(|c| c.name.contains(only.as_str())) {
        ran += 1;
        let problems = match case.kind {
            Kind::Reject => check_reject(case),
            Kind::Accept => check_accept(case),
            Kind::Contain => check_contain(case),
        };
        if !problems.is_empty() {
            failed += 1;
            let _ = write!(report, "\n  {}:", case.name);
            for p in problems {
                let _ = write!(report, "\n      {p}");
            }
        }
    }
    assert!(
        failed == 0,
        "{category}: {failed} of {ran} programs failed:{report}"
    );
}

// Assembly.

/// Keeps the context in r6 and leaves unless all of it is present (so helpers may read it).
const ENTRY: &str = "mov %r6, %r1\njlt %r2, 96, out\n";
/// Where programs leave early.
const OUT: &str = "out:\nmov %r0, 0\nexit\n";
/// Reloads the spilled pointer at fp-8 and stores through it.
const USE: &str = "ldxdw %r1, [%r10-8]\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n";
/// r1 = fp-8.
const AT_FP8: &str = "mov %r1, %r10\nadd %r1, -8\n";
/// Stores a byte and returns 0.
const STB_R1: &str = "stb [%r1+0], 0x41\nmov %r0, 0\nexit\n";
/// Stores a byte through r0 and returns 0.
const STB_R0: &str = "stb [%r0+0], 0x41\nmov %r0, 0\nexit\n";

/// A program: [`ENTRY`], `body` (which ends the run), [`OUT`].
fn prog(body: &str) -> String {
    format!("{ENTRY}{body}{OUT}")
}

/// A program with bpf-to-bpf functions after its main one.
fn prog_fn(body: &str, functions: &str) -> String {
    format!("{ENTRY}{body}{OUT}{functions}")
}

/// Looks up key `key` of map `map`: r0 = the value, or a jump to `exit_to` if there is none.
fn look_or(map: u32, key: i32, exit_to: &str) -> String {
    format!(
        "stw [%r10-64], {key}\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx {map}\ncall 1\n\
         jeq %r0, 0, {exit_to}\n"
    )
}

/// [`look_or`] key 0 of map 0, leaving through `out`.
fn look() -> String {
    look_or(0, 0, "out")
}

/// Looks up map 0's value and spills it at fp-8 (and keeps it in r7).
fn spill_value() -> String {
    format!("{}mov %r7, %r0\nstxdw [%r10-8], %r0\n", look())
}

/// Reserves an 8-byte record of ring map `map`: r0, or a jump to `out`.
fn reserve(map: u32, size: u32) -> String {
    format!("lddw %r1, map_idx {map}\nmov %r2, {size}\nmov %r3, 0\ncall 131\njeq %r0, 0, out\n")
}

/// Turns the number in r7 (the laundered value of r10) into a pointer at the stack canary and
/// stores through it.
const AIM_STACK_FROM_R7: &str = "ldxdw %r8, [%r6+8]\nsub %r8, %r7\nmov %r1, %r10\nadd %r1, %r8\n\
                                 stdw [%r1+0], 0x41\nmov %r0, 0\nexit\n";

/// fp-16 = the bytes of the spilled pointer at fp-8, by `probe_read`.
const PROBE_FP8_TO_FP16: &str =
    "mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -8\ncall 4\n";

// 1. Helpers the verifier cannot model.

fn helpers_without_prototypes() -> Vec<Case> {
    let sv = spill_value();
    let nudge_fp8 = |delta: i32, width: u32| {
        format!("{AT_FP8}mov %r2, {delta}\nmov %r3, {width}\ncall {NUDGE}\n")
    };
    let lookup_args = "stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\n";
    let nudged = prog(&format!("{sv}{}{USE}", nudge_fp8(16, 8)));
    let poked = prog(&format!(
        "{sv}{AT_FP8}ldxdw %r2, [%r6+16]\ncall {POKE}\n{USE}"
    ));
    let filled = prog(&format!(
        "stdw [%r10-16], -8\nmov %r1, %r10\nadd %r1, -15\nmov %r2, 1\nmov %r3, 0xfd\n\
         call {FILL}\nldxdw %r3, [%r10-16]\nmov %r4, %r10\nadd %r4, %r3\n\
         stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n"
    ));
    let callx_lookup = prog(&format!(
        "ldxdw %r7, [%r6+48]\n{lookup_args}call %r7\nexit\n"
    ));
    vec![
        reject(
            "noproto_nudges_spilled_map_value",
            "a helper without prototype moves a spilled map value pointer 16 bytes on",
            nudged.clone(),
        )
        .worst(),
        reject(
            "noproto_nudge_refused",
            "the same, with calls without prototype refused",
            nudged,
        ),
        reject(
            "noproto_pokes_aimed_address_over_spill",
            "a helper without prototype overwrites a spilled map value pointer with an address",
            poked.clone(),
        )
        .worst(),
        reject(
            "noproto_poke_refused",
            "the same, with calls without prototype refused",
            poked,
        ),
        reject(
            "noproto_nudges_spilled_stack_pointer",
            "a spilled stack pointer moved 600 bytes down by a helper, then stored through",
            prog(&format!(
                "mov %r3, %r10\nadd %r3, -16\nstxdw [%r10-8], %r3\n{}{USE}",
                nudge_fp8(-600, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_context_pointer",
            "a spilled context pointer moved past the context by a helper",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{}ldxdw %r1, [%r10-8]\n{STB_R1}",
                nudge_fp8(96, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_offset",
            "a spilled offset -8 becomes -608 behind the verifier's back, then r10 + offset",
            prog(&format!(
                "stdw [%r10-16], -8\nmov %r1, %r10\nadd %r1, -16\nmov %r2, -600\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r3, [%r10-16]\nmov %r4, %r10\nadd %r4, %r3\n\
                 stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n"
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_narrow_spilled_index",
            "a 4-byte spilled index 4 becomes 32, then indexes a 16-byte value",
            prog(&format!(
                "{}mov %r7, %r0\nstw [%r10-4], 4\nmov %r1, %r10\nadd %r1, -4\nmov %r2, 28\n\
                 mov %r3, 4\ncall {NUDGE}\nldxw %r3, [%r10-4]\nadd %r7, %r3\n\
                 stdw [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_low_half_of_spilled_pointer",
            "a helper rewrites the low 4 bytes of a spilled map value pointer",
            prog(&format!("{sv}{}{USE}", nudge_fp8(32, 4))),
        )
        .worst(),
        reject(
            "noproto_fill_rewrites_spilled_offset_byte",
            "one byte of a spilled offset -8 rewritten, making it -520",
            filled.clone(),
        )
        .worst(),
        reject(
            "noproto_fill_refused",
            "the same, with calls without prototype refused",
            filled,
        ),
        reject(
            "noproto_callee_nudges_caller_spill",
            "a bpf-to-bpf callee moves the caller's spilled pointer through a helper",
            prog_fn(
                &format!("{sv}{AT_FP8}call local bump\n{USE}"),
                &format!("bump:\nmov %r2, 16\nmov %r3, 8\ncall {NUDGE}\nexit\n"),
            ),
        )
        .worst(),
        reject(
            "noproto_nudges_in_a_loop",
            "a loop moves a spilled pointer 8 bytes per iteration, twice",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\n{}add %r8, 1\njlt %r8, 2, loop\n{USE}",
                nudge_fp8(8, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_behind_a_branch",
            "a spilled pointer moved only when the context says so",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                nudge_fp8(16, 8)
            )),
        )
        .worst(),
        reject(
            "callx_id_from_context_returns_map_value",
            "callx of the helper id the context holds (map_lookup_elem): r0 is a map value",
            callx_lookup.clone(),
        )
        .worst(),
        reject(
            "callx_id_from_context_refused",
            "the same, with calls without prototype refused",
            callx_lookup,
        ),
        reject(
            "callx_id_from_map_value_leaks_into_context",
            "callx of an id read back from a map value, its pointer result stored in the context",
            prog(&format!(
                "{}stdw [%r0+0], 1\nldxdw %r7, [%r0+0]\n{lookup_args}call %r7\n\
                 stxdw [%r6+24], %r0\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "callx_unregistered_id",
            "callx of a helper id nobody registered",
            prog("mov %r3, 777\ncall %r3\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "callx_reaches_probe_read_over_spill",
            "callx of a computed id (probe_read) that rewrites a spilled pointer",
            prog(&format!(
                "{sv}ldxdw %r5, [%r6+48]\nadd %r5, 3\n{AT_FP8}mov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 16\ncall %r5\n{USE}"
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_bounded_index",
            "an index bounded by a mask, spilled, grown by a helper, then used",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 7\n{}mov %r7, %r0\nstxdw [%r10-16], %r8\n\
                 mov %r1, %r10\nadd %r1, -16\nmov %r2, 64\nmov %r3, 8\ncall {NUDGE}\n\
                 ldxdw %r3, [%r10-16]\nadd %r7, %r3\nstdw [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "callx_reserve_record_leaks",
            "callx of a computed id (ringbuf_reserve): a record taken for a number, never submitted",
            prog(
                "ldxdw %r5, [%r6+48]\nadd %r5, 130\nlddw %r1, map_idx 1\nmov %r2, 8\nmov %r3, 0\n\
                 call %r5\nmov %r7, %r0\nmov %r0, 0\njeq %r7, 0, +1\nmov %r0, 1\nexit\n",
            ),
        )
        .maps(&[array(), ring()])
        .worst()
        .quiet(),
    ]
}

// 2. Helpers with prototypes that write over a spilled pointer.

fn helpers_writing_over_spills() -> Vec<Case> {
    let sv = spill_value();
    // probe_read_str copies up to a NUL: its source is the bytes 1..=8 at ctx+88, not an
    // address (which may hold a 0 byte).
    let probe_over = |id: u32| {
        let src = if matches!(id, 45 | 114 | 115) { 88 } else { 16 };
        prog(&format!(
            "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, {src}\ncall {id}\n{USE}"
        ))
    };
    let pop_over = |id: u32| {
        prog(&format!(
            "{sv}lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall {id}\n{USE}"
        ))
    };
    let aim_at = |off: i32, len: &str| {
        format!("mov %r1, %r10\nadd %r1, {off}\nmov %r2, {len}\ncall {AIM}\n")
    };
    vec![
        reject(
            "probe_read_over_spilled_map_value",
            "probe_read copies an address over a spilled map value pointer",
            probe_over(4),
        ),
        reject(
            "probe_read_over_spill_leaks_allowed",
            "the same with pointer leaks allowed: the slot must become a number",
            probe_over(4),
        )
        .leaks(),
        reject(
            "probe_read_kernel_over_spilled_map_value",
            "probe_read_kernel copies an address over a spilled map value pointer",
            probe_over(113),
        ),
        reject(
            "probe_read_user_over_spill_leaks_allowed",
            "probe_read_user over a spilled pointer, pointer leaks allowed",
            probe_over(112),
        )
        .leaks(),
        reject(
            "probe_read_str_over_spilled_map_value",
            "probe_read_str copies an address over a spilled map value pointer",
            probe_over(45),
        ),
        reject(
            "probe_read_kernel_str_over_spill_leaks_allowed",
            "probe_read_kernel_str over a spilled pointer, pointer leaks allowed",
            probe_over(115),
        )
        .leaks(),
        reject(
            "comm_over_spilled_map_value",
            "get_current_comm fills fp-16..0, over a spilled pointer at fp-8",
            prog(&format!(
                "{sv}mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\n{USE}"
            )),
        ),
        reject(
            "pop_over_spilled_map_value",
            "map_pop_elem writes a queue value (an address) over a spilled pointer",
            pop_over(88),
        )
        .maps(&[array(), queue(8)]),
        reject(
            "peek_over_spilled_map_value",
            "map_peek_elem writes a stack map value over a spilled pointer",
            pop_over(89),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "pop_over_spill_leaks_allowed",
            "map_pop_elem over a spilled pointer, pointer leaks allowed",
            pop_over(88),
        )
        .maps(&[array(), queue(8)])
        .leaks(),
        reject(
            "memout_helper_over_spilled_map_value",
            "a host helper declared MemOut, Size writes over a spilled map value pointer",
            prog(&format!("{sv}{}{USE}", aim_at(-8, "8"))),
        ),
        reject(
            "memout_helper_over_spilled_stack_pointer",
            "a MemOut helper writes over a spilled stack pointer",
            prog(&format!(
                "mov %r3, %r10\nadd %r3, -16\nstxdw [%r10-8], %r3\n{}{USE}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "memout_helper_over_spilled_context",
            "a MemOut helper writes over a spilled context pointer",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{}ldxdw %r1, [%r10-8]\n{STB_R1}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "memout_helper_variable_size_reaches_spill",
            "a MemOut helper of size 0..=15 at fp-16 reaches the spill at fp-8",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 15\n{sv}{}{USE}",
                aim_at(-16, "%r8")
            )),
        ),
        reject(
            "memout_helper_straddles_into_spill",
            "a MemOut helper at fp-12 of 8 bytes rewrites half a spilled pointer",
            prog(&format!("{sv}{}{USE}", aim_at(-12, "8"))),
        ),
        reject(
            "probe_read_over_spilled_offset",
            "probe_read rewrites a spilled offset -8 to -600, then r10 + offset",
            prog(
                "stdw [%r10-8], -8\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 40\ncall 4\nldxdw %r3, [%r10-8]\nmov %r4, %r10\nadd %r4, %r3\n\
                 stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_probe_reads_into_caller_spill",
            "a callee probe_reads an address over its caller's spilled pointer",
            prog_fn(
                &format!("{sv}ldxdw %r2, [%r6+16]\n{AT_FP8}call local f\n{USE}"),
                "f:\nstxdw [%r10-8], %r2\nmov %r3, %r10\nadd %r3, -8\nmov %r2, 8\ncall 4\nexit\n",
            ),
        ),
        reject(
            "memout_in_loop_reaches_spill",
            "a MemOut helper called twice in a loop, the second time over the spill",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\nmov %r1, %r10\nmov %r2, %r8\nlsh %r2, 3\nadd %r1, %r2\n\
                 add %r1, -16\nmov %r2, 8\ncall {AIM}\nadd %r8, 1\njlt %r8, 2, loop\n{USE}"
            )),
        ),
        reject(
            "memout_behind_branch_over_spill",
            "a MemOut helper over the spill on one path only",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "probe_read_number_source_over_spill",
            "probe_read from a numeric address (map canary bytes) over a spilled pointer",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nldxdw %r3, [%r6+16]\ncall 4\n{USE}"
            )),
        ),
        reject(
            "copy_helper_over_spilled_map_value",
            "a host copy(MemOut, Size, Mem, Size) over a spilled pointer",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, 16\nmov %r4, 8\ncall {COPY}\n{USE}"
            )),
        ),
        reject(
            "memout_helper_over_spill_leaks_allowed",
            "a MemOut helper over a spilled map value pointer, pointer leaks allowed",
            prog(&format!("{sv}{}{USE}", aim_at(-8, "8"))),
        )
        .leaks(),
        reject(
            "memout_helper_variable_size_leaks_allowed",
            "a MemOut helper of size 0..=15 at fp-16 reaches the spill, pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 15\n{sv}{}{USE}",
                aim_at(-16, "%r8")
            )),
        )
        .leaks(),
        reject(
            "memout_helper_straddles_leaks_allowed",
            "a MemOut helper rewrites half a spilled pointer, pointer leaks allowed",
            prog(&format!("{sv}{}{USE}", aim_at(-12, "8"))),
        )
        .leaks(),
        reject(
            "memout_in_loop_leaks_allowed",
            "a MemOut helper reaches the spill on a loop's second pass, pointer leaks allowed",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\nmov %r1, %r10\nmov %r2, %r8\nlsh %r2, 3\nadd %r1, %r2\n\
                 add %r1, -16\nmov %r2, 8\ncall {AIM}\nadd %r8, 1\njlt %r8, 2, loop\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "memout_behind_branch_leaks_allowed",
            "a MemOut helper over the spill on one path, pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                aim_at(-8, "8")
            )),
        )
        .leaks(),
        reject(
            "callee_probe_reads_into_caller_spill_leaks_allowed",
            "a callee probe_reads an address over its caller's spill, pointer leaks allowed",
            prog_fn(
                &format!("{sv}ldxdw %r2, [%r6+16]\n{AT_FP8}call local f\n{USE}"),
                "f:\nstxdw [%r10-8], %r2\nmov %r3, %r10\nadd %r3, -8\nmov %r2, 8\ncall 4\nexit\n",
            ),
        )
        .leaks(),
        reject(
            "comm_over_spill_leaks_allowed",
            "get_current_comm over a spilled pointer, pointer leaks allowed",
            prog(&format!(
                "{sv}mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "copy_helper_over_spill_leaks_allowed",
            "a host copy helper over a spilled pointer, pointer leaks allowed",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, 16\nmov %r4, 8\ncall {COPY}\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "narrow_store_over_spilled_pointer",
            "stxw of an address's low half over a spilled map value pointer",
            prog(&format!(
                "{sv}ldxw %r3, [%r6+16]\nstxw [%r10-8], %r3\n{USE}"
            )),
        ),
        reject(
            "narrow_store_over_spill_leaks_allowed",
            "the same with pointer leaks allowed",
            prog(&format!(
                "{sv}ldxw %r3, [%r6+16]\nstxw [%r10-8], %r3\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "variable_store_over_spill",
            "a number stored at fp-16 + (x & 8), over a spilled pointer at fp-8",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{sv}mov %r1, %r10\n\
                 add %r1, -16\nadd %r1, %r8\nstxdw [%r1+0], %r9\n{USE}"
            )),
        ),
        reject(
            "variable_store_over_spill_leaks_allowed",
            "the same with pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{sv}mov %r1, %r10\n\
                 add %r1, -16\nadd %r1, %r8\nstxdw [%r1+0], %r9\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "byte_store_rewrites_spilled_offset",
            "stb rewrites one byte of a spilled offset -8 (making it -520), then r10 + offset",
            prog(
                "stdw [%r10-16], -8\nstb [%r10-15], 0xfd\nldxdw %r3, [%r10-16]\nmov %r4, %r10\n\
                 add %r4, %r3\nstdw [%r4+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        accept(
            "probe_read_str_zeroes_the_rest",
            "probe_read_str into 16 stack bytes copies 2 and zeroes the other 14, which are read",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 32\ncall 45\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "probe_read_kernel_str_zeroes_the_rest",
            "probe_read_kernel_str into 16 stack bytes copies 2 and zeroes the rest, which is read",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 32\ncall 115\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "pop_from_empty_queue_zeroes_its_buffer",
            "a third map_pop_elem of a two-value queue zeroes its buffer, which is read",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -24\ncall 88\n\
                 ldxdw %r0, [%r10-24]\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
        accept(
            "peek_empty_queue_zeroes_its_buffer",
            "map_peek_elem of an emptied queue zeroes its buffer, which is read",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -24\ncall 89\n\
                 ldxdw %r0, [%r10-24]\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
    ]
}

// 3. Pointer laundering.

fn pointer_laundering() -> Vec<Case> {
    let stack_probe = prog(&format!(
        "stxdw [%r10-8], %r10\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
    ));
    let via_map = prog(&format!(
        "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
         mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
         {}ldxdw %r7, [%r0+0]\n{AIM_STACK_FROM_R7}",
        look()
    ));
    let push_then = |id: u32| {
        prog(&format!(
            "stxdw [%r10-8], %r10\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n\
             call 87\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall {id}\n\
             ldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
        ))
    };
    let probe_part = |len: u32, src: i32| {
        prog(&format!(
            "stxdw [%r10-8], %r10\nmov %r1, %r10\nadd %r1, -16\nmov %r2, {len}\n\
             mov %r3, %r10\nadd %r3, {src}\ncall 4\nldxw %r0, [%r10-16]\nexit\n"
        ))
    };
    vec![
        reject(
            "launder_stack_pointer_with_probe_read",
            "probe_read copies a spilled r10 into a number slot; r10 + (aim - it) stores",
            stack_probe.clone(),
        ),
        reject(
            "launder_stack_pointer_leaks_allowed",
            "the same with pointer leaks allowed: r10 + unknown must still be refused",
            stack_probe,
        )
        .leaks(),
        reject(
            "launder_map_value_pointer_leaks_allowed",
            "a map value pointer laundered by probe_read, then value + (aim - it)",
            prog(&format!(
                "{}mov %r9, %r0\nstxdw [%r10-8], %r0\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n\
                 ldxdw %r8, [%r6+16]\nsub %r8, %r7\nadd %r9, %r8\nstdw [%r9+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                look()
            )),
        )
        .leaks(),
        reject(
            "launder_context_pointer_leaks_allowed",
            "the context pointer laundered by probe_read, then ctx + (aim - it)",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n\
                 ldxdw %r8, [%r6+0]\nsub %r8, %r7\nmov %r1, %r6\nadd %r1, %r8\n{STB_R1}"
            )),
        )
        .leaks(),
        reject(
            "launder_through_map_update_and_lookup",
            "r10 stored into a map by map_update_elem's value, read back as a number",
            via_map.clone(),
        ),
        reject(
            "launder_through_map_leaks_allowed",
            "the same with pointer leaks allowed",
            via_map,
        )
        .leaks(),
        reject(
            "launder_context_pointer_into_ring",
            "ringbuf_output of a stack slot holding the context pointer",
            prog(
                "stxdw [%r10-8], %r6\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\n\
                 mov %r3, 8\nmov %r4, 0\ncall 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), ring()]),
        reject(
            "launder_through_stack_map_push_pop",
            "r10 pushed onto a stack map and popped back as a number",
            push_then(88),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "launder_through_stack_map_peek",
            "r10 pushed onto a stack map and peeked back as a number",
            push_then(89),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "launder_with_mem_helper",
            "a host helper reading Mem, Size returns the spilled r10 as a number",
            prog(&format!(
                "stxdw [%r10-8], %r10\n{AT_FP8}mov %r2, 8\ncall {FIRST_WORD}\nexit\n"
            )),
        ),
        reject(
            "launder_with_copy_helper",
            "a host copy helper moves the spilled r10 into a number slot",
            prog(&format!(
                "stxdw [%r10-8], %r10\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\n\
                 add %r3, -8\nmov %r4, 8\ncall {COPY}\nldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
            )),
        ),
        reject(
            "launder_low_half_of_stack_pointer",
            "probe_read of the low 4 bytes of a spilled r10, returned",
            probe_part(4, -8),
        )
        .quiet(),
        reject(
            "launder_high_half_of_stack_pointer",
            "probe_read of the high 4 bytes of a spilled r10, returned",
            probe_part(4, -4),
        )
        .quiet(),
        reject(
            "launder_with_probe_read_str",
            "probe_read_str of a spilled stack pointer, returned as a number",
            prog(
                "mov %r3, %r10\nadd %r3, -7\nstxdw [%r10-8], %r3\nstdw [%r10-16], 0\n\
                 mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -8\ncall 45\n\
                 ldxdw %r0, [%r10-16]\nexit\n",
            ),
        )
        .quiet(),
        reject(
            "launder_bytewise_in_a_loop",
            "a loop reassembles a spilled r10 from its bytes",
            prog(
                "stxdw [%r10-8], %r10\nmov %r7, 0\nmov %r8, 0\nloop:\nmov %r3, %r10\n\
                 add %r3, -8\nadd %r3, %r8\nldxb %r4, [%r3+0]\nmov %r5, %r8\nlsh %r5, 3\n\
                 lsh %r4, %r5\nor %r7, %r4\nadd %r8, 1\njlt %r8, 8, loop\nmov %r0, %r7\nexit\n",
            ),
        ),
        reject(
            "launder_atomic_add_moves_spilled_pointer",
            "an atomic add of 16 to a spilled map value pointer, then a store through it",
            prog(&format!(
                "{}mov %r8, 16\nlock add [%r10-8], %r8\n{USE}",
                spill_value()
            )),
        ),
        reject(
            "launder_atomic_fetch_add_reads_pointer",
            "atomic fetch-add of 0 on a spilled r10 fetches it as a number",
            prog(
                "stxdw [%r10-8], %r10\nmov %r7, 0\nlock fetch add [%r10-8], %r7\nmov %r0, %r7\n\
                 exit\n",
            ),
        ),
        reject(
            "launder_atomic_xchg_into_context",
            "atomic xchg takes a spilled context pointer out as a number into the context",
            prog(
                "stxdw [%r10-8], %r6\nmov %r7, 0\nlock xchg [%r10-8], %r7\nstxdw [%r6+24], %r7\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "launder_atomic_cmpxchg_returns_pointer",
            "cmpxchg on a spilled r10 returns it in r0",
            prog(
                "stxdw [%r10-8], %r10\nmov %r0, 0\nmov %r7, 0\nlock cmpxchg [%r10-8], %r7\nexit\n",
            ),
        ),
        reject(
            "launder_through_callee",
            "a callee probe_reads its caller's spilled r10 and returns it",
            prog_fn(
                &format!("stxdw [%r10-8], %r10\n{AT_FP8}call local f\nexit\n"),
                "f:\nmov %r3, %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        reject(
            "launder_into_ring_record",
            "probe_read copies a spilled r10 into a ring record, which is submitted",
            prog(&format!(
                "stxdw [%r10-8], %r10\n{}mov %r7, %r0\nmov %r1, %r0\nmov %r2, 8\nmov %r3, %r10\n\
                 add %r3, -8\ncall 4\nmov %r1, %r7\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
    ]
}

// 4. Address leaks.

fn address_leaks() -> Vec<Case> {
    let ret = |body: &str| prog(&format!("{body}exit\n"));
    let narrow = |load: &str| prog(&format!("stxdw [%r10-8], %r10\n{load}\nexit\n"));
    let in_value = |body: &str| prog(&format!("{}{body}mov %r0, 0\nexit\n", look()));
    vec![
        reject("return_stack_pointer", "r0 = r10", ret("mov %r0, %r10\n")),
        reject(
            "return_context_pointer",
            "r0 = the context pointer",
            ret("mov %r0, %r6\n"),
        ),
        reject(
            "return_map_value_pointer",
            "r0 = a map value pointer",
            ret(&look()),
        ),
        reject(
            "return_unchecked_map_value_pointer",
            "r0 = map_lookup_elem's result, unchecked",
            ret("stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n"),
        ),
        reject(
            "return_low_half_via_mov32",
            "r0 = low half of r10",
            ret("mov32 %r0, %r10\n"),
        )
        .quiet(),
        reject(
            "return_pointers_xored",
            "r0 = r10 ^ ctx",
            ret("mov %r0, %r10\nxor %r0, %r6\n"),
        )
        .quiet(),
        reject(
            "return_pointer_times_one",
            "r0 = r10 * 1",
            ret("mov %r0, %r10\nmul %r0, 1\n"),
        ),
        reject(
            "return_pointer_and_all_ones",
            "r0 = ctx & -1",
            ret("mov %r0, %r6\nand %r0, -1\n"),
        ),
        reject(
            "return_add32_of_context",
            "r0 = ctx with a 32-bit add",
            ret("mov %r0, %r6\nadd32 %r0, 0\n"),
        )
        .quiet(),
        reject(
            "return_pointer_shifted_back",
            "r0 = (r10 << 1) >> 1",
            ret("mov %r0, %r10\nlsh %r0, 1\nrsh %r0, 1\n"),
        ),
        reject(
            "return_pointer_negated_twice",
            "r0 = -(-ctx)",
            ret("mov %r0, %r6\nneg %r0\nneg %r0\n"),
        ),
        reject(
            "return_pointer_difference",
            "r0 = r10 - ctx",
            ret("mov %r0, %r10\nsub %r0, %r6\n"),
        )
        .quiet(),
        reject(
            "return_pointer_byte_swapped_twice",
            "r0 = be64(be64(r10))",
            ret("mov %r0, %r10\nbe64 %r0\nbe64 %r0\n"),
        ),
        reject(
            "return_pointer_modulo",
            "r0 = r10 % 4096",
            ret("mov %r0, %r10\nmod %r0, 4096\n"),
        )
        .quiet(),
        reject(
            "store_stack_pointer_into_map_value",
            "stxdw of r10 into a map value",
            in_value("stxdw [%r0+0], %r10\n"),
        ),
        reject(
            "store_context_pointer_into_map_value",
            "stxdw of the context pointer into a map value",
            in_value("stxdw [%r0+8], %r6\n"),
        ),
        reject(
            "store_map_value_pointer_into_context",
            "stxdw of a map value pointer into the context",
            in_value("stxdw [%r6+24], %r0\n"),
        ),
        reject(
            "store_stack_pointer_into_context",
            "stxdw of r10 into the context",
            prog("stxdw [%r6+24], %r10\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "store_low_half_of_pointer_into_context",
            "stxw of r10 into the context",
            prog("stxw [%r6+24], %r10\nmov %r0, 0\nexit\n"),
        )
        .quiet(),
        reject(
            "xchg_stack_pointer_into_map_value",
            "atomic xchg puts r10 into a map value",
            in_value("mov %r7, %r10\nlock xchg [%r0+0], %r7\n"),
        ),
        reject(
            "cmpxchg_stack_pointer_into_map_value",
            "atomic cmpxchg puts r10 into a map value",
            in_value("mov %r9, %r0\nmov %r0, 0\nmov %r7, %r10\nlock cmpxchg [%r9+0], %r7\n"),
        ),
        reject(
            "atomic_add_pointer_into_map_value",
            "atomic add of the context pointer to a zeroed map value",
            in_value("mov %r7, %r6\nlock add [%r0+8], %r7\n"),
        ),
        reject(
            "update_map_with_stack_address",
            "map_update_elem whose value bytes hold r10",
            prog(
                "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\nstw [%r10-64], 0\n\
                 lddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\n\
                 add %r3, -16\nmov %r4, 0\ncall 2\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "pointer_to_scalar_helper",
            "r10 passed to a helper argument declared Scalar, which returns it",
            ret(&format!("mov %r1, %r10\ncall {IDENT}\n")),
        ),
        reject(
            "pointer_to_any_helper",
            "the context pointer passed to a helper argument declared Any, which returns it",
            ret(&format!("mov %r1, %r6\ncall {IDENT_ANY}\n")),
        ),
        reject(
            "narrow_load_of_spilled_pointer_w",
            "ldxw of a spilled r10",
            narrow("ldxw %r0, [%r10-8]"),
        )
        .quiet(),
        reject(
            "narrow_load_of_spilled_pointer_b",
            "ldxb of byte 5 of a spilled r10",
            narrow("ldxb %r0, [%r10-3]"),
        )
        .quiet(),
        reject(
            "narrow_load_of_spilled_pointer_h",
            "ldxh of bytes 2..4 of a spilled r10",
            narrow("ldxh %r0, [%r10-6]"),
        )
        .quiet(),
        reject(
            "signed_narrow_load_of_spilled_pointer",
            "ldxsw of the high half of a spilled r10",
            narrow("ldxsw %r0, [%r10-4]"),
        )
        .quiet(),
        reject(
            "spill_round_trip_returned",
            "the context pointer spilled, reloaded and returned",
            ret("stxdw [%r10-8], %r6\nldxdw %r0, [%r10-8]\n"),
        ),
        reject(
            "pointers_compared",
            "r0 = whether r10 > ctx",
            ret("mov %r0, 0\njgt %r10, %r6, +1\nmov %r0, 1\n"),
        )
        .quiet(),
        reject(
            "pointer_bit_tested",
            "r0 = bit 8 of the context address",
            ret("mov %r0, 0\njset %r6, 0x100, +1\nmov %r0, 1\n"),
        )
        .quiet(),
        reject(
            "ring_record_holds_stack_pointer",
            "r10 stored into a ring record, which is submitted",
            prog(&format!(
                "{}stxdw [%r0+0], %r10\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "callee_returns_its_stack_pointer_to_host",
            "a callee's r10 returned by the callee and then by the program",
            prog_fn("call local f\nexit\n", "f:\nmov %r0, %r10\nexit\n"),
        ),
        reject(
            "sign_extended_low_half",
            "r0 = movsx32 of r10",
            ret("movsx3264 %r0, %r10\n"),
        )
        .quiet(),
        reject(
            "pointer_as_update_flags",
            "r10 passed as map_update_elem's flags (a Scalar)",
            ret(
                "stdw [%r10-16], 0\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, %r10\n\
                 call 2\n",
            ),
        )
        .quiet(),
        reject(
            "push_context_pointer_into_queue",
            "map_push_elem of a stack slot holding the context pointer",
            prog(
                "stxdw [%r10-8], %r6\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\n\
                 mov %r3, 0\ncall 87\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
        reject(
            "probe_read_from_unwritten_stack",
            "probe_read copies stack bytes never written (another run's) and returns them",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -32\ncall 4\n\
                 ldxdw %r0, [%r10-16]\nexit\n",
            ),
        ),
        reject(
            "update_from_unwritten_stack",
            "map_update_elem of a value from stack bytes never written",
            prog(
                "stw [%r10-64], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\n\
                 mov %r3, %r10\nadd %r3, -32\nmov %r4, 0\ncall 2\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "ringbuf_output_of_unwritten_stack",
            "ringbuf_output of 16 stack bytes never written",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -32\nmov %r3, 16\nmov %r4, 0\n\
                 call 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), ring()]),
        reject(
            "variable_read_of_unwritten_stack",
            "ldxdw at fp-32 + (x & 8), never written",
            prog(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nmov %r1, %r10\nadd %r1, -32\nadd %r1, %r8\n\
                 ldxdw %r0, [%r1+0]\nexit\n",
            ),
        ),
    ]
}

// 5. Map type confusion.

fn map_type_confusion() -> Vec<Case> {
    let tail = prog("mov %r1, %r6\nlddw %r2, map_idx 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n");
    let lookup_store = prog(&format!("{}{STB_R0}", look()));
    let update = |id: u32| {
        prog(&format!(
            "stdw [%r10-16], 0\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
             mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall {id}\n\
             mov %r0, 0\nexit\n"
        ))
    };
    let queue_op = |id: u32| {
        prog(&format!(
            "stdw [%r10-16], 7\nstdw [%r10-8], 7\nlddw %r1, map_idx 0\nmov %r2, %r10\n\
             add %r2, -16\nmov %r3, 0\ncall {id}\nldxdw %r0, [%r10-16]\nexit\n"
        ))
    };
    let reserve_store = prog(&format!(
        "{}stdw [%r0+0], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
        reserve(0, 8)
    ));
    vec![
        reject(
            "tail_call_with_array",
            "bpf_tail_call given an array map",
            tail.clone(),
        )
        .quiet(),
        reject(
            "tail_call_with_hash",
            "bpf_tail_call given a hash map",
            tail.clone(),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "tail_call_with_ring",
            "bpf_tail_call given a ring buffer",
            tail,
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "tail_call_with_stack_pointer_as_context",
            "bpf_tail_call given r10 for the context",
            prog("mov %r1, %r10\nlddw %r2, map_idx 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n"),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "lookup_on_ring",
            "map_lookup_elem on a ring buffer",
            lookup_store.clone(),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "lookup_on_queue",
            "map_lookup_elem on a queue",
            lookup_store.clone(),
        )
        .maps(&[queue(8)])
        .quiet(),
        reject(
            "lookup_on_stack_map",
            "map_lookup_elem on a stack map",
            lookup_store.clone(),
        )
        .maps(&[lifo(8)])
        .quiet(),
        reject(
            "lookup_on_prog_array",
            "map_lookup_elem on a program array",
            lookup_store,
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "update_on_prog_array",
            "map_update_elem on a program array",
            update(2),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "delete_on_prog_array",
            "map_delete_elem on a program array",
            update(3),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject("update_on_queue", "map_update_elem on a queue", update(2))
            .maps(&[queue(16)])
            .quiet(),
        reject(
            "delete_on_ring",
            "map_delete_elem on a ring buffer",
            update(3),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "ringbuf_output_on_hash",
            "ringbuf_output into a hash map",
            prog(
                "stdw [%r10-8], 7\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 8\n\
                 mov %r4, 0\ncall 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "ringbuf_reserve_on_array",
            "ringbuf_reserve from an array map",
            reserve_store,
        )
        .quiet(),
        reject(
            "ringbuf_query_on_array",
            "ringbuf_query of an array map",
            prog("lddw %r1, map_idx 0\nmov %r2, 0\ncall 134\nexit\n"),
        )
        .quiet(),
        reject(
            "push_on_hash",
            "map_push_elem onto a hash map",
            queue_op(87),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "pop_on_array",
            "map_pop_elem from an array map",
            queue_op(88),
        )
        .quiet(),
        reject("peek_on_hash", "map_peek_elem of a hash map", queue_op(89))
            .maps(&[hash()])
            .quiet(),
        reject(
            "lookup_with_map_value_as_map",
            "map_lookup_elem given a map value pointer for the map",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r2, %r10\nadd %r2, -64\ncall 1\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "lookup_with_number_as_map",
            "map_lookup_elem given a number for the map",
            prog(
                "mov %r1, 4660\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\ncall 1\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "submit_map_value_as_record",
            "ringbuf_submit given a map value pointer",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[array(), ring()])
        .quiet(),
        reject(
            "submit_record_twice",
            "a ring record submitted twice",
            prog(&format!(
                "{}mov %r7, %r0\nmov %r1, %r7\nmov %r2, 0\ncall 132\nmov %r1, %r7\nmov %r2, 0\n\
                 call 132\nmov %r0, 0\nexit\n",
                reserve(0, 8)
            )),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "reserve_with_unknown_size",
            "ringbuf_reserve of a size read from the context, written at +96",
            prog(
                "ldxdw %r2, [%r6+24]\nlddw %r1, map_idx 0\nmov %r3, 0\ncall 131\n\
                 jeq %r0, 0, out\nstdw [%r0+96], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "record_never_submitted",
            "a ring record reserved and kept at exit",
            prog(&format!(
                "{}stdw [%r0+0], 1\nmov %r0, 0\nexit\n",
                reserve(0, 8)
            )),
        )
        .maps(&[ring()])
        .quiet(),
    ]
}

// 6. Read-only maps.

fn read_only_maps() -> Vec<Case> {
    let ro = [array().read_only()];
    let store = |body: &str| prog(&format!("{}mov %r7, 5\n{body}mov %r0, 0\nexit\n", look()));
    let cases = [
        (
            "read_only_value_stb",
            "stb into a read-only value",
            "stb [%r0+0], 1\n",
        ),
        (
            "read_only_value_sth",
            "sth into a read-only value",
            "sth [%r0+2], 1\n",
        ),
        (
            "read_only_value_stw",
            "stw into a read-only value",
            "stw [%r0+4], 1\n",
        ),
        (
            "read_only_value_stdw",
            "stdw into a read-only value",
            "stdw [%r0+8], 1\n",
        ),
        (
            "read_only_value_stxdw",
            "stxdw into a read-only value",
            "stxdw [%r0+0], %r7\n",
        ),
        (
            "read_only_value_stxb",
            "stxb into a read-only value's last byte",
            "stxb [%r0+15], %r7\n",
        ),
        (
            "read_only_value_atomic_add",
            "atomic add into a read-only value",
            "lock add [%r0+0], %r7\n",
        ),
        (
            "read_only_value_atomic_xchg",
            "atomic xchg into a read-only value",
            "lock xchg [%r0+8], %r7\n",
        ),
        (
            "read_only_value_atomic_cmpxchg",
            "atomic cmpxchg into a read-only value",
            "mov %r9, %r0\nmov %r0, 0\nlock cmpxchg [%r9+0], %r7\n",
        ),
        (
            "read_only_value_fetch_or32",
            "atomic fetch-or of 32 bits into a read-only value",
            "lock fetch or32 [%r0+4], %r7\n",
        ),
    ];
    let mut v: Vec<Case> = cases
        .into_iter()
        .map(|(name, what, body)| reject(name, what, store(body)).maps(&ro))
        .collect();
    let helper_into =
        |call: &str| prog(&format!("{}mov %r1, %r0\n{call}mov %r0, 0\nexit\n", look()));
    v.extend([
        reject(
            "update_read_only_map",
            "map_update_elem on a read-only map",
            prog(
                "stdw [%r10-16], 5\nstdw [%r10-8], 5\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro),
        reject(
            "delete_from_read_only_hash",
            "map_delete_elem on a read-only hash map",
            prog(
                "stw [%r10-64], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\ncall 3\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&[hash().read_only()]),
        reject(
            "probe_read_into_read_only_value",
            "probe_read with a read-only value for its destination",
            helper_into("mov %r2, 8\nmov %r3, %r6\nadd %r3, 32\ncall 4\n"),
        )
        .maps(&ro)
        .quiet(),
        reject(
            "comm_into_read_only_value",
            "get_current_comm into a read-only value",
            helper_into("mov %r2, 16\ncall 16\n"),
        )
        .maps(&ro),
        reject(
            "memout_helper_into_read_only_value",
            "a host MemOut helper into a read-only value",
            helper_into(&format!("mov %r2, 16\ncall {AIM}\n")),
        )
        .maps(&ro),
        reject(
            "copy_helper_into_read_only_value",
            "a host copy helper into a read-only value",
            helper_into(&format!(
                "mov %r2, 8\nmov %r3, %r6\nadd %r3, 32\nmov %r4, 8\ncall {COPY}\n"
            )),
        )
        .maps(&ro),
        reject(
            "rodata_value_store",
            "stdw through the direct value address of a read-only array (.rodata)",
            prog("lddw %r1, map_idx_value 0\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n"),
        )
        .maps(&ro),
        reject(
            "rodata_value_offset_store",
            "stxw at +12 of a read-only array's direct value address",
            prog(
                "lddw %r1, map_idx_value 0\nadd %r1, 8\nmov %r7, 5\nstxw [%r1+4], %r7\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro),
        reject(
            "pop_into_read_only_value",
            "map_pop_elem into a read-only value",
            prog(&format!(
                "{}mov %r2, %r0\nlddw %r1, map_idx 1\ncall 88\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[array().read_only(), queue(16)]),
        reject(
            "read_only_value_to_callee",
            "a read-only value pointer passed to a callee that stores through it",
            prog_fn(
                &format!("{}mov %r1, %r0\ncall local f\nmov %r0, 0\nexit\n", look()),
                "f:\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro),
        reject(
            "read_only_store_behind_branch",
            "a store into a read-only value on one path only",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{}jne %r8, 1, skip\nstb [%r0+0], 1\nskip:\nmov %r0, 0\n\
                 exit\n",
                look()
            )),
        )
        .maps(&ro),
        reject(
            "read_only_store_in_loop",
            "a loop storing the first 4 bytes of a read-only value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstb [%r1+0], 1\nadd %r7, 1\n\
                 jlt %r7, 4, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&ro),
        reject(
            "push_onto_read_only_queue",
            "map_push_elem onto a read-only queue",
            prog(
                "stdw [%r10-8], 7\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n\
                 call 87\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), queue(8).read_only()]),
        reject(
            "pop_from_read_only_stack_map",
            "map_pop_elem from a read-only stack map",
            prog("lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\nmov %r0, 0\nexit\n"),
        )
        .maps(&[array(), lifo(8).read_only()]),
    ]);
    v
}

// 7. Context and pointer arithmetic.

fn pointer_arithmetic() -> Vec<Case> {
    let value_plus = |index: &str, access: &str| {
        prog(&format!(
            "{index}{}add %r0, %r7\n{access}mov %r0, 0\nexit\n",
            look()
        ))
    };
    let stb0 = "stb [%r0+0], 0x41\n";
    let in_value = |body: &str| prog(&format!("{}{body}", look()));
    let hash_lookup =
        "stw [%r10-64], 5\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n";
    vec![
        reject(
            "context_plus_unknown_store",
            "ctx + an unbounded 64-bit number, stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+24]\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        ),
        reject(
            "context_plus_unknown_load",
            "ctx + an unbounded 64-bit number, loaded",
            prog("ldxdw %r7, [%r6+24]\nmov %r1, %r6\nadd %r1, %r7\nldxdw %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "context_minus_8_load",
            "ldxdw at ctx-8",
            prog("ldxdw %r0, [%r6-8]\nexit\n"),
        ),
        reject(
            "context_minus_32_store",
            "ctx - 32, stored through",
            prog("mov %r1, %r6\nadd %r1, -32\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "fixed_context_load_at_end",
            "ldxdw just past a fixed 96-byte context",
            prog("ldxdw %r0, [%r6+96]\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_load_straddles_end",
            "ldxdw at +89 of a fixed 96-byte context",
            prog("ldxdw %r0, [%r6+89]\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_store_one_past",
            "stb just past a fixed 96-byte context",
            prog("stb [%r6+96], 0x41\nmov %r0, 0\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_masked_offset",
            "a fixed context + (x & 127), stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+24]\nand %r7, 127\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        )
        .fixed_ctx(),
        reject(
            "map_value_plus_unknown",
            "a map value + an unbounded number",
            value_plus("ldxdw %r7, [%r6+24]\n", stb0),
        ),
        reject(
            "map_value_plus_byte_index",
            "a 16-byte value + (x & 255)",
            value_plus("ldxdw %r7, [%r6+24]\nand %r7, 255\n", stb0),
        ),
        reject(
            "map_value_plus_masked_index_dw",
            "a 16-byte value + (x & 15), 8 bytes stored",
            value_plus("ldxdw %r7, [%r6+56]\nand %r7, 15\n", "stdw [%r0+0], 0x41\n"),
        ),
        reject(
            "map_value_store_at_end",
            "stb at +16 of a 16-byte value",
            in_value("stb [%r0+16], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "map_value_store_before_start",
            "stb at -1 of a value",
            in_value("stb [%r0-1], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "map_value_load_straddles_end",
            "ldxdw at +12 of a 16-byte value",
            in_value("ldxdw %r0, [%r0+12]\nexit\n"),
        ),
        reject(
            "map_value_bound_off_by_one",
            "an index checked <= 16 for a 16-byte value",
            value_plus("ldxdw %r7, [%r6+64]\njgt %r7, 16, out\n", stb0),
        ),
        reject(
            "map_value_signed_bound",
            "an index checked only by a signed upper bound",
            value_plus("ldxdw %r7, [%r6+40]\njsgt %r7, 8, out\n", stb0),
        ),
        reject(
            "stack_plus_unknown",
            "r10 + an unbounded number, stored through",
            prog(
                "ldxdw %r7, [%r6+40]\nmov %r1, %r10\nadd %r1, %r7\nstdw [%r1+0], 0x41\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "stack_store_at_frame_top",
            "stdw at r10+0",
            prog("stdw [%r10+0], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "stack_load_below_frame",
            "ldxdw at r10-520",
            prog("ldxdw %r0, [%r10-520]\nexit\n"),
        ),
        reject(
            "stack_store_below_frame",
            "stb at r10-513",
            prog("stb [%r10-513], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "stack_masked_index_past_top",
            "r10 - 16 + (x & 31), stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+64]\nand %r7, 31\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r7\n\
                 {STB_R1}"
            )),
        ),
        reject(
            "map_handle_plus_8_to_lookup",
            "map_lookup_elem given a map handle + 8",
            prog(
                "lddw %r1, map_idx 0\nadd %r1, 8\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\n\
                 call 1\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "map_handle_dereferenced",
            "ldxdw through a map handle",
            prog("lddw %r1, map_idx 0\nldxdw %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "context_truncated_by_add32",
            "ldxb through ctx after a 32-bit add",
            prog("mov %r1, %r6\nadd32 %r1, 0\nldxb %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "pointer_plus_pointer",
            "ldxb through ctx + r10",
            prog("mov %r1, %r6\nadd %r1, %r10\nldxb %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "record_store_at_end",
            "stdw at +8 of an 8-byte ring record",
            prog(&format!(
                "{}stdw [%r0+8], 0x41\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "record_used_after_submit",
            "a store through a ring record after its submit",
            prog(&format!(
                "{}mov %r7, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nstdw [%r7+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "map_value_maybe_null",
            "a store through map_lookup_elem's result without a null check",
            prog(&format!("{hash_lookup}{STB_R0}")),
        )
        .maps(&[hash()]),
        reject(
            "null_check_inverted",
            "a store through map_lookup_elem's result on its null path",
            prog(&format!("{hash_lookup}jne %r0, 0, out\n{STB_R0}")),
        )
        .maps(&[hash()]),
        reject(
            "wide_index_checked_in_32_bits",
            "an index bounded by a 32-bit compare, used as 64 bits",
            value_plus("ldxdw %r7, [%r6+72]\njgt32 %r7, 8, out\n", stb0),
        ),
        reject(
            "shifted_index_past_end",
            "(x & 15) << 1 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+56]\nand %r7, 15\nlsh %r7, 1\n", stb0),
        ),
        reject(
            "modulo_index_off_by_one",
            "x % 17 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+64]\nmod %r7, 17\n", stb0),
        ),
        reject(
            "and32_index_plus_8",
            "(x & 15) + 8 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+56]\nand32 %r7, 15\nadd %r7, 8\n", stb0),
        ),
        reject(
            "direct_value_address_past_end",
            "stb at +16 of an array's direct value address",
            prog("lddw %r1, map_idx_value 0\nstb [%r1+16], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "sub32_wraps_index",
            "(x & 15) - 16 in 32 bits, zero-extended, as an index",
            value_plus("ldxdw %r7, [%r6+56]\nand32 %r7, 15\nsub32 %r7, 16\n", stb0),
        ),
        reject(
            "negated_index_off_by_one",
            "16 - (x & 15) as an index into 16 bytes",
            value_plus(
                "ldxdw %r7, [%r6+80]\nand %r7, 15\nneg %r7\nadd %r7, 16\n",
                stb0,
            ),
        ),
        reject(
            "arsh_sign_extends_index",
            "a byte shifted up and arithmetically down: a negative index",
            value_plus("ldxb %r7, [%r6+40]\nlsh %r7, 56\narsh %r7, 56\n", stb0),
        ),
        reject(
            "mod_by_maybe_zero_keeps_index",
            "x % (y & 15), where y & 15 = 0 leaves x whole",
            value_plus(
                "ldxdw %r7, [%r6+24]\nldxdw %r8, [%r6+80]\nand %r8, 15\nmod %r7, %r8\n",
                stb0,
            ),
        ),
        reject(
            "mod32_by_maybe_zero_keeps_index",
            "x % (y & 15) in 32 bits, where y & 15 = 0 leaves x",
            value_plus(
                "ldxdw %r7, [%r6+24]\nldxdw %r8, [%r6+80]\nand %r8, 15\nmod32 %r7, %r8\n",
                stb0,
            ),
        ),
        reject(
            "null_check_of_other_lookup",
            "the result of one lookup used after checking another's",
            prog(&format!(
                "{hash_lookup}mov %r7, %r0\n{}stb [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[hash()]),
    ]
}

// 8. Neighbours: frames, loops, branches.

fn frames_loops_branches() -> Vec<Case> {
    let trigger = "ldxdw %r8, [%r6+32]\n";
    let fret = "fret:\nmov %r0, 0\nexit\n";
    vec![
        reject(
            "callee_writes_above_caller_frame",
            "a callee stores 8 bytes past the caller's fp-8 it was given",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\n",
                "f:\nstdw [%r1+8], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_clobbers_own_spill_through_caller_pointer",
            "a callee writes below the caller's frame, over its own spilled map value pointer",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -512\nmov %r2, %r6\ncall local f\nmov %r0, 0\nexit\n",
                &format!(
                    "f:\nmov %r7, %r1\nmov %r8, %r2\n{}stxdw [%r10-8], %r0\nldxdw %r9, [%r8+16]\n\
                     stxdw [%r7-8], %r9\nldxdw %r1, [%r10-8]\nstdw [%r1+0], 0x41\n{fret}",
                    look_or(0, 0, "fret")
                ),
            ),
        ),
        reject(
            "callee_returns_stack_pointer_written_by_caller",
            "a callee returns its fp-8; the caller stores through it",
            prog_fn(
                "call local f\nstdw [%r0+0], 0x41\nmov %r0, 0\nexit\n",
                "f:\nmov %r0, %r10\nadd %r0, -8\nexit\n",
            ),
        ),
        reject(
            "callee_returns_stack_pointer_read_by_caller",
            "a callee returns its fp-8; the caller loads through it",
            prog_fn(
                "call local f\nldxdw %r0, [%r0+0]\nexit\n",
                "f:\nmov %r0, %r10\nadd %r0, -8\nstdw [%r0+0], 7\nexit\n",
            ),
        ),
        reject(
            "callee_writes_past_map_value",
            "a callee stores at +16 of the 16-byte value it was given",
            prog_fn(
                &format!("{}mov %r1, %r0\ncall local f\nmov %r0, 0\nexit\n", look()),
                "f:\nstb [%r1+16], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_context_plus_unknown",
            "a callee stores at ctx + an unbounded number it was given",
            prog_fn(
                "mov %r1, %r6\nldxdw %r2, [%r6+24]\ncall local f\nmov %r0, 0\nexit\n",
                &format!("f:\nadd %r1, %r2\n{STB_R1}"),
            ),
        ),
        reject(
            "callee_length_check_off_by_one",
            "a callee checks an index <= 16 against a 16-byte value",
            prog_fn(
                &format!(
                    "{}mov %r1, %r0\nldxdw %r2, [%r6+64]\ncall local f\nmov %r0, 0\nexit\n",
                    look()
                ),
                &format!("f:\njgt %r2, 16, fret\nadd %r1, %r2\nstb [%r1+0], 0x41\n{fret}"),
            ),
        ),
        reject(
            "nested_callee_writes_above_main_frame",
            "main's fp-8 handed down two calls, stored 8 bytes past",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\n",
                "f:\ncall local g\nexit\ng:\nstdw [%r1+8], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_over_value_off_by_one",
            "a loop storing bytes 0..=16 of a 16-byte value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstb [%r1+0], 0x41\n\
                 add %r7, 1\njle %r7, 16, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_over_stack_off_by_one",
            "a loop storing fp-8 down to fp-520",
            prog(
                "mov %r7, 8\nloop:\nmov %r1, %r10\nsub %r1, %r7\nstdw [%r1+0], 0\nadd %r7, 8\n\
                 jle %r7, 520, loop\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_bound_from_data",
            "a loop over a value as long as the context says",
            prog(&format!(
                "ldxdw %r8, [%r6+24]\n{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\n\
                 stb [%r1+0], 0x41\nadd %r7, 1\njlt %r7, %r8, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_walks_pointer_past_end",
            "a pointer stepped 17 times over a 16-byte value",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r7, 0\nloop:\nstb [%r1+0], 0x41\nadd %r1, 1\nadd %r7, 1\n\
                 jlt %r7, 17, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_on_data_stores_past_end",
            "a store at +16 of a value on the path the context chooses",
            prog(&format!(
                "{trigger}{}jne %r8, 1, skip\nstb [%r0+16], 0x41\nskip:\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_on_data_stack_plus_unknown",
            "r10 + an unbounded number stored through on one path",
            prog(&format!(
                "{trigger}ldxdw %r7, [%r6+40]\njne %r8, 1, skip\nmov %r1, %r10\nadd %r1, %r7\n\
                 stb [%r1+0], 0x41\nskip:\nmov %r0, 0\nexit\n"
            )),
        ),
        reject(
            "branch_number_over_spilled_pointer",
            "one path stores a number over a spilled pointer, then both store through it",
            prog(&format!(
                "{trigger}{}stxdw [%r10-8], %r0\njne %r8, 1, skip\nldxdw %r9, [%r6+16]\n\
                 stxdw [%r10-8], %r9\nskip:\n{USE}",
                look()
            )),
        ),
        reject(
            "branch_context_or_map_value",
            "a pointer that is the context on one path, a 16-byte value on the other, +16",
            prog(&format!(
                "{trigger}{}mov %r1, %r0\njeq %r8, 1, skip\nmov %r1, %r6\nskip:\n\
                 stdw [%r1+16], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_spills_stack_or_map_pointer",
            "fp-16 or a value spilled on a branch, reloaded, stored at +16",
            prog(&format!(
                "{trigger}{}mov %r1, %r0\njne %r8, 1, skip\nmov %r1, %r10\nadd %r1, -16\nskip:\n\
                 stxdw [%r10-8], %r1\nldxdw %r2, [%r10-8]\nstdw [%r2+16], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_calls_callee_past_end",
            "a loop calls a callee that stores at value + 8 * i, i up to 2",
            prog_fn(
                &format!(
                    "{}mov %r9, %r0\nmov %r7, 0\nloop:\nmov %r1, %r9\nmov %r2, %r7\n\
                     call local f\nadd %r7, 1\njlt %r7, 3, loop\nmov %r0, 0\nexit\n",
                    look()
                ),
                "f:\nlsh %r2, 3\nadd %r1, %r2\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_writes_caller_spilled_offset",
            "a callee changes the caller's spilled offset -8 to -600 through a pointer",
            prog_fn(
                "stdw [%r10-8], -8\nmov %r1, %r10\nadd %r1, -8\ncall local f\n\
                 ldxdw %r3, [%r10-8]\nmov %r4, %r10\nadd %r4, %r3\nstdw [%r4+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                "f:\nstdw [%r1+0], -600\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_variable_store_over_caller_spill",
            "a callee stores a number at a variable offset of the caller's frame, over its spill",
            prog_fn(
                &format!(
                    "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{}\
                     stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, %r8\n\
                     mov %r3, %r9\ncall local f\n{USE}",
                    look()
                ),
                "f:\nadd %r1, %r2\nstxdw [%r1+0], %r3\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_second_pass_overwrites_spill",
            "a loop's second iteration stores a number over a spilled pointer",
            prog(&format!(
                "ldxdw %r9, [%r6+16]\n{}stxdw [%r10-8], %r0\nmov %r7, 0\nloop:\nmov %r1, %r10\n\
                 mov %r2, %r7\nlsh %r2, 3\nadd %r1, %r2\nstxdw [%r1-16], %r9\nadd %r7, 1\n\
                 jlt %r7, 2, loop\n{USE}",
                look()
            )),
        ),
        reject(
            "callee_frame_pointer_kept_by_caller",
            "a callee stores its r10 into the caller's frame; the caller uses it after return",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r1, [%r10-8]\n\
                 stdw [%r1-8], 0x41\nmov %r0, 0\nexit\n",
                "f:\nstxdw [%r1+0], %r10\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_reads_unwritten_caller_stack",
            "a callee loads the caller's fp-16, never written",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -16\ncall local f\nexit\n",
                "f:\nldxdw %r0, [%r1+0]\nexit\n",
            ),
        ),
    ]
}

// Must-accept neighbours.

fn must_accept() -> Vec<Case> {
    vec![
        accept(
            "memout_helper_then_numbers",
            "a MemOut helper fills a stack buffer, read back as numbers",
            prog(&format!(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall {COUNT}\nldxdw %r0, [%r10-16]\n\
                 ldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n"
            )),
        ),
        accept(
            "lookup_check_store_every_width",
            "map lookup, null check, stores of every width into a writable value",
            prog(&format!(
                "{}stb [%r0+0], 1\nsth [%r0+2], 2\nstw [%r0+4], 3\nstdw [%r0+8], 4\n\
                 ldxdw %r0, [%r0+8]\nexit\n",
                look()
            )),
        ),
        accept(
            "number_over_spilled_number",
            "a number stored over a spilled number",
            prog("stdw [%r10-8], 5\nstdw [%r10-8], 7\nldxdw %r0, [%r10-8]\nexit\n"),
        ),
        accept(
            "number_over_spilled_pointer",
            "a number stored over a spilled pointer, read back as a number",
            prog("stxdw [%r10-8], %r10\nstdw [%r10-8], 9\nldxdw %r0, [%r10-8]\nexit\n"),
        ),
        accept(
            "probe_read_from_context",
            "probe_read of 16 context bytes into the stack",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 56\ncall 4\n\
                 ldxdw %r0, [%r10-16]\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n",
            ),
        ),
        accept(
            "comm_into_stack",
            "get_current_comm into a stack buffer",
            prog("mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nldxb %r0, [%r10-16]\nexit\n"),
        ),
        accept(
            "update_then_lookup",
            "map_update_elem from stack numbers, then lookup and load",
            prog(&format!(
                "stdw [%r10-16], 11\nstdw [%r10-8], 22\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
                 {}ldxdw %r0, [%r0+8]\nexit\n",
                look()
            )),
        ),
        accept(
            "callee_fills_caller_buffer",
            "a callee stores into the caller's buffer through a pointer argument",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -16\ncall local f\nldxdw %r0, [%r10-16]\n\
                 ldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n",
                "f:\nstdw [%r1+0], 33\nstdw [%r1+8], 44\nmov %r0, 0\nexit\n",
            ),
        ),
        accept(
            "loop_over_value_bytes",
            "a loop storing every byte of a 16-byte value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstxb [%r1+0], %r7\n\
                 add %r7, 1\njlt %r7, 16, loop\nldxb %r0, [%r0+15]\nexit\n",
                look()
            )),
        ),
        accept(
            "spilled_pointer_survives_helper_elsewhere",
            "a MemOut helper writes fp-32..-16; the pointer spilled at fp-8 stays usable",
            prog(&format!(
                "{}stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 16\ncall {COUNT}\n\
                 ldxdw %r1, [%r10-8]\nstdw [%r1+0], 5\nldxdw %r0, [%r1+0]\nexit\n",
                look()
            )),
        ),
        accept(
            "spilled_pointer_beside_memout",
            "a MemOut helper writes fp-16..-8, next to a pointer spilled at fp-8",
            prog(&format!(
                "{}stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\ncall {COUNT}\n\
                 ldxdw %r1, [%r10-8]\nstdw [%r1+0], 6\nldxdw %r0, [%r10-16]\nexit\n",
                look()
            )),
        ),
        accept(
            "probe_read_over_spilled_number",
            "probe_read over a spilled number, used as a number",
            prog(
                "stdw [%r10-8], 3\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 56\ncall 4\nldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "masked_index_into_value",
            "value + (x & 7), 8 bytes stored",
            prog(&format!(
                "ldxdw %r7, [%r6+56]\nand %r7, 7\n{}add %r0, %r7\nstdw [%r0+0], 1\nmov %r0, 0\n\
                 exit\n",
                look()
            )),
        ),
        accept(
            "ring_record_reserve_store_submit",
            "ringbuf_reserve, stores, ringbuf_submit",
            prog(&format!(
                "{}stdw [%r0+0], 1\nstdw [%r0+8], 2\nmov %r1, %r0\nmov %r2, 0\ncall 132\n\
                 mov %r0, 1\nexit\n",
                reserve(1, 16)
            )),
        )
        .maps(&[array(), ring()]),
        accept(
            "refilled_length_bounded_before_use",
            "a length refilled by a MemOut helper, masked before it indexes the stack",
            prog(&format!(
                "stdw [%r10-8], 8\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall {COUNT}\n\
                 ldxdw %r3, [%r10-8]\nand %r3, 7\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r3\n\
                 stb [%r4+0], 1\nmov %r0, 0\nexit\n"
            )),
        ),
        accept(
            "context_bounded_by_length",
            "a load the length check covers",
            prog("ldxdw %r0, [%r6+88]\nexit\n"),
        ),
        accept(
            "callx_of_constant_lookup",
            "callx of a constant helper id (map_lookup_elem), checked and stored through",
            prog(
                "mov %r7, 1\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\n\
                 call %r7\njeq %r0, 0, out\nstdw [%r0+0], 3\nmov %r0, 3\nexit\n",
            ),
        ),
        accept(
            "null_check_on_copy",
            "map_lookup_elem's result copied, the original checked, the copy stored through",
            prog(
                "stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n\
                 mov %r7, %r0\njeq %r0, 0, out\nstb [%r7+0], 1\nldxb %r0, [%r7+0]\nexit\n",
            ),
        ),
        accept(
            "index_checked_against_length",
            "an index checked < len, a byte loaded at ctx + index",
            prog(
                "ldxdw %r7, [%r6+56]\njge %r7, %r2, out\nmov %r1, %r6\nadd %r1, %r7\n\
                 ldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        accept(
            "unknown_helper_on_numbers_assumed_worst",
            "a helper without prototype changes a spilled number, read back as a number",
            prog(&format!(
                "stdw [%r10-8], 5\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 2\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r0, [%r10-8]\nexit\n"
            )),
        )
        .worst(),
    ]
}

// Contained: accepted only with the run-time check that stops them.

/// Stores at ctx+96, one past the context, if the number in r3 says the context is 104 bytes.
const STORE_IF_R3_104: &str = "jlt %r3, 104, out\nstdw [%r6+96], 0x41\nmov %r0, 0\nexit\n";

fn contained() -> Vec<Case> {
    vec![
        contain(
            "length_copy_plus_16",
            "len + 16 >= 112 taken for len >= 112; ldxdw at ctx+96",
            prog("mov %r3, %r2\nadd %r3, 16\njlt %r3, 112, out\nldxdw %r0, [%r6+96]\nexit\n"),
        ),
        contain(
            "length_spilled_and_nudged",
            "the length spilled, grown by a helper without prototype, then trusted",
            prog(&format!(
                "stxdw [%r10-16], %r2\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 64\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r3, [%r10-16]\n{STORE_IF_R3_104}"
            )),
        )
        .worst(),
        contain(
            "length_spilled_and_probe_read_over",
            "the length spilled, overwritten by probe_read with 104, then trusted",
            prog(&format!(
                "stxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 24\ncall 4\nldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
            )),
        ),
        contain(
            "length_spilled_and_rewritten_by_callee",
            "the length spilled, rewritten to 200 by a callee, then trusted",
            prog_fn(
                &format!(
                    "stxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\n\
                     ldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
                ),
                "f:\nstdw [%r1+0], 200\nmov %r0, 0\nexit\n",
            ),
        ),
        contain(
            "length_spilled_and_popped_over",
            "the length spilled, overwritten by map_pop_elem, then trusted",
            prog(&format!(
                "stxdw [%r10-8], %r2\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 ldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
            )),
        )
        .maps(&[array(), queue(8)]),
        contain(
            "length_after_unknown_callx",
            "the length spilled, overwritten by a callx of a computed id (probe_read)",
            prog(&format!(
                "stxdw [%r10-16], %r2\nldxdw %r5, [%r6+48]\nadd %r5, 3\nmov %r1, %r10\n\
                 add %r1, -16\nmov %r2, 8\nmov %r3, %r6\nadd %r3, 24\ncall %r5\n\
                 ldxdw %r3, [%r10-16]\n{STORE_IF_R3_104}"
            )),
        )
        .worst(),
        contain(
            "length_through_map_value",
            "the length stored into a map value, read back plus 8, then trusted",
            prog(&format!(
                "mov %r9, %r2\n{}stxdw [%r0+0], %r9\nldxdw %r3, [%r0+0]\nadd %r3, 8\n\
                 {STORE_IF_R3_104}",
                look()
            )),
        ),
        contain(
            "length_compared_backwards",
            "104 < len taken the wrong way round; ldxdw at ctx+96",
            prog("mov %r3, 104\njlt %r3, %r2, out\nldxdw %r0, [%r6+96]\nexit\n"),
        ),
        contain(
            "index_checked_against_length_off_by_one",
            "an index checked <= len, a byte loaded at ctx + index",
            prog(
                "ldxdw %r7, [%r6+64]\nmul %r7, 6\njgt %r7, %r2, out\nmov %r1, %r6\n\
                 add %r1, %r7\nldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        contain(
            "context_plus_16_bit_index",
            "ctx + (x & 0xffff), a byte loaded",
            prog(
                "ldxdw %r7, [%r6+24]\nand %r7, 0xffff\nmov %r1, %r6\nadd %r1, %r7\n\
                 ldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        contain(
            "context_index_from_narrow_spill",
            "104 spilled in 4 bytes, reloaded, ctx + it stored through",
            prog(&format!(
                "stw [%r10-4], 104\nldxw %r7, [%r10-4]\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        ),
    ]
}

fn must_reject() -> Vec<Case> {
    [
        helpers_without_prototypes(),
        helpers_writing_over_spills(),
        pointer_laundering(),
        address_leaks(),
        map_type_confusion(),
        read_only_maps(),
        pointer_arithmetic(),
        frames_loops_branches(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// Tests.

#[test]
fn helpers_the_verifier_cannot_model() {
    check_category("helpers without prototypes", helpers_without_prototypes());
}

#[test]
fn helpers_writing_over_spilled_pointers() {
    check_category("helpers writing over spills", helpers_writing_over_spills());
}

#[test]
fn pointers_laundered_into_numbers() {
    check_category("pointer laundering", pointer_laundering());
}

#[test]
fn addresses_leaked_to_the_host() {
    check_category("address leaks", address_leaks());
}

#[test]
fn maps_of_the_wrong_type() {
    check_category("map type confusion", map_type_confusion());
}

#[test]
fn read_only_maps_written() {
    check_category("read-only maps", read_only_maps());
}

#[test]
fn pointer_arithmetic_out_of_bounds() {
    check_category("pointer arithmetic", pointer_arithmetic());
}

#[test]
fn attacks_through_frames_loops_and_branches() {
    check_category("frames, loops, branches", frames_loops_branches());
}

#[test]
fn safe_neighbours_are_accepted() {
    check_category("must-accept neighbours", must_accept());
}

#[test]
fn the_suite_is_large_and_its_names_unique() {
    let reject = must_reject();
    assert!(reject.len() >= 160, "{} must-reject programs", reject.len());
    let others: Vec<Case> = must_accept().into_iter().chain(contained()).collect();
    let mut names: Vec<&str> = reject.iter().chain(&others).map(|c| c.name).collect();
    let all = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all, "duplicate case names");
}

#[test]
fn accepted_programs_stay_contained() {
    check_category("contained programs", contained());
}

/// Runs, in a child process started by [`run_in_child`], the accepted program named by
/// `OXBPF_ESCAPE_CASE` verified on `OXBPF_ESCAPE_BACKEND`; does nothing otherwise.
#[test]
fn child_runs_one_accepted_program() {
    let (Ok(name), Ok(backend)) = (std::env::var(CHILD_CASE), std::env::var(CHILD_BACKEND)) else {
        return;
    };
    let case = must_reject()
        .into_iter()
        .chain(contained())
        .find(|c| c.name == name)
        .expect("a case of that name");
    let line = match run(&case, &backend, true, &mut Buffers::new()) {
        Ok(o) => o.summary(),
        Err(e) => format!("refused in the child: {e}"),
    };
    println!("{CHILD_MARK}{line}");
}
