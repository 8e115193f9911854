//! The runner: cases, their runs on every backend with canaries, and the checks that compare them.

use crate::host_helpers::register_host_helpers;
use crate::maps::{MapSpec, World, array};
use oxbpf::{
    BACKENDS, Config, ContextSpec, Error, Loaded, StackBuffer, TrapKind, UnknownHelpers, Vm,
};
use std::fmt::Write as _;
use std::process::Command;

/// Bytes of context a run gets.
const CTX_LEN: usize = 96;
/// Canary bytes on each side of the context: a page, so that no other buffer of the run (a map
/// value, another thread's context) lies within the offsets programs add to pointers, and an
/// unverified program's stray access lands in a canary rather than, by chance, in a region.
const GUARD: usize = 4096;
/// Stack bytes below the deepest frame a run may have, all canary.
const STACK_EXTRA: usize = 8192;
/// Instructions a run may execute.
const BUDGET: u64 = 100_000;
/// The guards around the context.
const CTX_CANARY: u8 = 0xc1;
/// The stack below the frames a program may reach.
const STACK_CANARY: u8 = 0xc2;
/// Spare map values.
pub(crate) const MAP_CANARY: u8 = 0xc3;
/// The stack frames a program may use, before it writes them: what an earlier run left there.
const STALE: u8 = 0xc4;
/// How far below its buffer the `aim` helpers point.
pub(crate) const AIM_DROP: u64 = 6000;

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
pub(crate) struct Case {
    pub(crate) name: &'static str,
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
pub(crate) fn reject(name: &'static str, what: &'static str, asm: String) -> Case {
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
pub(crate) fn accept(name: &'static str, what: &'static str, asm: String) -> Case {
    Case {
        kind: Kind::Accept,
        ..reject(name, what, asm)
    }
}

/// A program a sound verifier may accept only with the run-time check that stops it.
pub(crate) fn contain(name: &'static str, what: &'static str, asm: String) -> Case {
    Case {
        kind: Kind::Contain,
        ..reject(name, what, asm)
    }
}

impl Case {
    pub(crate) fn maps(mut self, maps: &[MapSpec]) -> Case {
        self.maps = maps.to_vec();
        self
    }

    /// The verifier assumes the worst of calls without a prototype instead of refusing them.
    pub(crate) fn worst(mut self) -> Case {
        self.unknown = UnknownHelpers::AssumeWorst;
        self
    }

    /// The host allows pointer leaks: memory safety must hold all the same.
    pub(crate) fn leaks(mut self) -> Case {
        self.leaks = true;
        self
    }

    /// The verifier takes the context for a fixed `CTX_LEN`-byte structure.
    pub(crate) fn fixed_ctx(mut self) -> Case {
        self.fixed_ctx = true;
        self
    }

    /// Its harm is not visible from outside (a policy refusal, a helper that refuses the map at
    /// run time): its unverified run need not show any.
    pub(crate) fn quiet(mut self) -> Case {
        self.quiet = true;
        self
    }
}

// Runs.

/// The context and stack buffers, reused by every run of a case so that every backend sees the
/// same addresses.
pub(crate) struct Buffers {
    ctx: Vec<u8>,
    stack: StackBuffer,
}

impl Buffers {
    pub(crate) fn new() -> Buffers {
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

    /// An address inside a region (not its guard bytes or one past its end), by the region.
    /// Outside every region, where an address lands depends on what the heap put next to the
    /// regions, which differs between backends' runs.
    fn inside(&self, v: u64) -> Option<String> {
        self.regions
            .iter()
            .find(|(name, start, len, origin)| {
                let (start, len) = if name == "ctx" {
                    (*origin, CTX_LEN as u64)
                } else {
                    (*start, *len)
                };
                v.wrapping_sub(start) < len
            })
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
        self.inside(v)
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
pub(crate) struct Outcome {
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

    pub(crate) fn summary(&self) -> String {
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
pub(crate) fn run(
    case: &Case,
    backend: &str,
    verify: bool,
    bufs: &mut Buffers,
) -> Result<Outcome, String> {
    let (world, loaded, _) = load(case, backend, verify);
    Ok(execute(case, &world, &loaded?, bufs))
}

// Checks.

pub(crate) const CHILD_CASE: &str = "OXBPF_ESCAPE_CASE";
pub(crate) const CHILD_BACKEND: &str = "OXBPF_ESCAPE_BACKEND";
pub(crate) const CHILD_MARK: &str = "escape outcome: ";
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
pub(crate) fn check_category(category: &str, cases: Vec<Case>) {
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
