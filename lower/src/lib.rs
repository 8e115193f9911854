//! oxbpf-lower: the compiler of `.mbpf` bundles. [`bytecode`] reads QuickJS bytecode (what
//! `oxbpf_quickjs::compile` writes for a bundle), and [`lower`] lowers the bundle's entry
//! function from it to eBPF, for the subset of JavaScript that allows it; anything else is
//! refused with the instruction and the reason, and the bundle stays on QuickJS. Nothing here
//! runs JavaScript: the runtime is `oxbpf-quickjs`, and what both share (hooks and their
//! context blob, the runtime's maps, record sizes and limits) is the bundle format's, in
//! [`oxbpf_loader::mbpf`].
//!
//! The passes: [`bytecode::read`] gives the module; the analysis runs every reachable
//! instruction of the entry function (and of the functions inlined into it) on abstract values
//! to a fixpoint; the emission runs the same steps again, writing each one's eBPF as typed
//! [`Insn`]s through the instruction [`Builder`](oxbpf_core::isa::Builder), whose labels it
//! resolves, with helpers named by their [`standard`](oxbpf_helpers::standard) ids. No text
//! stands between the steps and the instructions; [`listing`] prints a program from its
//! `Insn`s (their `Display`, vm-core's one printer of instructions).
//!
//! ```
//! use oxbpf_loader::mbpf::manifest::{Hook, Manifest};
//! let m = Manifest::new("drop_ff", "1.0", Hook::NetRx);
//! let js = "function mbpf_prog(ctx) { return ctx.readU8(0) === 0xff ? 1 : 0; }";
//! let insns = oxbpf_lower::lower(&oxbpf_quickjs::compile(js, &m.entry)?, &m)?;
//! // The byte, after a bounds check against the blob's length, behind NET_RX's 32-byte header.
//! assert!(oxbpf_lower::listing(&insns).contains(&"ldxb %r0, [%r1+32]".to_owned()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The subset
//! - Numbers that are integers in a range the analysis proves (results of `ctx` reads and
//!   fields, small constants, `|`, `&`, `^`, `~`, `<<`, `>>`, `>>>`, `+`, `-`, `*` while every
//!   result stays within ±2^53, where doubles are exact, `%` by a divisor proven not 0, with the
//!   dividend's sign, and `Math.min`/`max`/`abs`/`sign`/`imul`/`floor`/`ceil`/`round`/`trunc`),
//!   booleans from comparisons, and
//!   `undefined`; `if`/`else`, `?:`, `&&`/`||`, loops whose counters the comparisons bound,
//!   and sums carried around a loop without `| 0` where its iterations are counted: a counter
//!   that moves by at least 1 every time around, within bounds, caps how often a sum grows
//!   (`sum += ctx.readU8(i)` under `i++` and `i < ctx.data_len`; see `loops.rs`).
//! - `ctx.<field>` and `ctx.readU8/readU16LE/readU32LE(off)`, with the reference's RangeError
//!   (offset outside the data) turned into the hook's default return, as on QuickJS.
//! - Module-level `const` numbers and `const b = new Uint8Array(N)` buffers (`b[i]` reads and
//!   writes with indices proven inside), kept across runs as on QuickJS.
//! - `maps.<name>.lookup/update` on ARRAY maps and `lookup/update/delete` on HASH and LRU_HASH
//!   maps, with buffers as keys and values, as map helper calls 1, 2 and 3; every call counts
//!   against `max_helpers` first, and a missing capability gives the hook's default, as the
//!   error it throws does on QuickJS.
//! - PERCPU maps as their base type (the calling CPU's values) and their `cpuId()` (helper 8);
//!   COUNTER `add/set/get` (the counter's slot through `map_lookup_elem`, `add` atomic; a
//!   counter's value may be any 64-bit integer, so it is only compared); RING `submit` as
//!   `ringbuf_output` (130) into a ring that drops its oldest records when full, as on QuickJS.
//! - `mbpf.log(level, msg)` as `trace_printk` (helper 6), `msg` a literal or a concatenation of
//!   literals and integers (`+`, template literals, `n.toString(16)`), at most three integers;
//!   `mbpf.nowNs(out)` from the clock read once per run (helper 5); `mbpf.emit(id, bytes)` as
//!   `ringbuf_reserve`/`ringbuf_submit` (131, 132) into the emit ring QuickJS writes too;
//!   `mbpf.mapLookup/mapUpdate/mapDelete` with a constant map id; `mbpf.u64LoadLE/u64StoreLE`
//!   with `[lo, hi]` array literals; `mbpf.apiVersion`. A helper without its capability is
//!   absent, and calling it gives the hook's default, as its TypeError does on QuickJS.
//! - Calls of the module's other top-level functions, inlined at each call site (tail calls
//!   too), their arguments in the caller's operand-stack slots and their locals after the
//!   caller's; recursion is refused, as are calls nested more than 8 deep.
//! - `return` of a number (ToInt32), of anything else (0), or a failure (the hook's default).
//!
//! # The program it gives
//! `r1` is the context blob
//! ([`HookInput::to_blob`](oxbpf_loader::mbpf::hook::HookInput::to_blob): the hook's fields,
//! then the data) and `r2` its length, as on the QuickJS path, and `r0` the hook's
//! return code as an unsigned 32-bit number. The program's maps are, by position (`lddw
//! map_fd N`): the manifest's maps, the written flags of its arrays (in manifest order), the
//! [`EMIT_RING`], and [`GLOBALS`] holding the module's buffers ([`lowered_maps`] builds that
//! set).
//!
//! Not carried over: the step and wall-time budgets (lowered code runs under an instruction
//! budget instead, [`instruction_budget`], or the VM's if that is smaller: a run that exhausts
//! it traps) and the heap limit (the data is not copied).

mod analyze;
pub mod bytecode;
mod calls;
mod emit;
mod inline;
mod keyed;
mod loops;
mod module;
mod step;
mod text;
mod value;

use bytecode::Instr;
use oxbpf_core::Insn;
use oxbpf_helpers::{Map, MapDef, MapError, MapSet, MapType};
use oxbpf_loader::mbpf::manifest::Manifest;
use oxbpf_loader::mbpf::runtime::{EMIT_RING, has_written_flags, written_name};

/// The map holding the module's buffers: one entry of [`GLOBALS_BYTES`] bytes.
pub const GLOBALS: &str = ".globals";

/// Size of [`GLOBALS`]' value: the module buffers of a lowered program fit in it.
pub const GLOBALS_BYTES: u32 = 4096;

/// What kind of refusal a [`LowerError`] is: what its caller may do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LowerErrorKind {
    /// The bytecode does not read (it is not what `oxbpf_quickjs::compile` writes).
    Bytecode,
    /// The function uses what the lowering does not cover (an opcode, a value, a call, an entry
    /// of another shape): it runs on QuickJS instead.
    Unsupported,
    /// The function is covered but too large for eBPF (frame, jumps, the analysis' steps).
    Limit,
    /// The lowering failed a check of its own: a bug in the lowering, not in the input.
    Internal,
}

/// Why a function was not lowered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{function}{}: {reason}", at.as_ref().map(|a| format!(", {a}")).unwrap_or_default())]
pub struct LowerError {
    /// The function.
    pub function: String,
    /// The instruction (`0012 get_field2 "foo"`), where one is at fault.
    pub at: Option<String>,
    /// Why.
    pub reason: String,
    /// What kind of refusal it is.
    pub kind: LowerErrorKind,
}

impl LowerError {
    /// A refusal of what the lowering does not cover ([`LowerErrorKind::Unsupported`]).
    fn new(function: &str, at: Option<&Instr>, reason: impl Into<String>) -> LowerError {
        LowerError {
            function: function.to_owned(),
            at: at.map(ToString::to_string),
            reason: reason.into(),
            kind: LowerErrorKind::Unsupported,
        }
    }

    /// The same refusal, of kind `kind`.
    pub(crate) fn of(self, kind: LowerErrorKind) -> LowerError {
        LowerError { kind, ..self }
    }
}

/// The maps of a program lowered for `manifest` before [`GLOBALS`] (which comes last), by
/// position: the manifest's, the written flags of its arrays in manifest order, and the
/// [`EMIT_RING`].
fn map_names(manifest: &Manifest) -> Vec<String> {
    manifest
        .maps
        .iter()
        .map(|d| d.name.clone())
        .chain(
            manifest
                .maps
                .iter()
                .filter(|d| has_written_flags(d.kind))
                .map(|d| written_name(&d.name)),
        )
        .chain([EMIT_RING.to_owned()])
        .collect()
}

/// Lowers the entry function of `bytecode` (written by `oxbpf_quickjs::compile` for a bundle
/// with `manifest`) to eBPF instructions.
pub fn lower(bytecode: &[u8], manifest: &Manifest) -> Result<Vec<Insn>, LowerError> {
    let module = bytecode::read(bytecode).map_err(|e| {
        LowerError::new(&manifest.entry, None, e.to_string()).of(LowerErrorKind::Bytecode)
    })?;
    let env = module::Env::new(&module, manifest)?;
    let states = analyze::run(&env)?;
    emit::run(&env, &states)
}

/// eBPF instructions a lowered run may execute per QuickJS step of the bundle's `max_steps`
/// budget (a step being a call, jump or branch, each followed by at most a straight run of
/// lowered code).
pub const INSNS_PER_STEP: u64 = 64;

/// The instruction budget a run of `manifest`'s lowered code gets: what its step budget allows
/// on QuickJS (`max_steps + 1` interrupt-handler calls, one per 10,000 steps; see
/// `oxbpf_quickjs::budget`), at [`INSNS_PER_STEP`] instructions a step. Loops are then verified
/// to be safe for any number of iterations, not walked to their ends: this budget ends a run
/// that would not.
pub fn instruction_budget(manifest: &Manifest) -> u64 {
    (u64::from(manifest.budgets.max_steps) + 1) * 10_000 * INSNS_PER_STEP
}

/// A program as text, one instruction a line as `Insn`'s `Display` (vm-core's one printer of
/// instructions) writes it, an `lddw`'s second slot left out: what `oxbpf mbpf inspect` shows
/// of a lowering.
pub fn listing(insns: &[Insn]) -> Vec<String> {
    insns
        .iter()
        .filter(|i| **i != Insn::LoadImm64Tail)
        .map(ToString::to_string)
        .collect()
}

/// The maps a program lowered for `manifest` uses, in the order its `lddw`s name them: the
/// manifest's maps, the written flags of its arrays and the emit ring, taken from `maps` (those
/// of the program's QuickJS instance, so both paths share them), and a new [`GLOBALS`].
pub fn lowered_maps(maps: &MapSet, manifest: &Manifest) -> Result<MapSet, MapError> {
    let mut set = MapSet::new();
    for name in map_names(manifest) {
        let map = maps.get(&name).ok_or(MapError::NotFound)?;
        set.insert(map.clone());
    }
    set.add(Map::new(MapDef::new(
        GLOBALS,
        MapType::Array,
        4,
        GLOBALS_BYTES,
        1,
    ))?);
    Ok(set)
}
