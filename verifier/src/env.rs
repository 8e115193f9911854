//! What the verifier is told about a program's surroundings: its context, the maps its `lddw`s
//! load, the helpers it may call, and the limits of the search.

use oxbpf_core::HelperRegistry;
use oxbpf_core::program_type::{ContextLayout, FieldKind, ProgramType};
use oxbpf_helpers::MapDef;

/// How long the context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextSize {
    /// Exactly this many bytes (a program type's context structure).
    Fixed(u32),
    /// Raw memory whose length the program gets in `r2` at entry (the conformance suite's
    /// convention, and the default). Accesses the program has not bounded by comparing `r2`
    /// (or `r1 + r2`) stay checked at run time.
    InR2,
}

/// Where the context holds the packet pointers (as `struct xdp_md` or `__sk_buff` do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketFields {
    /// Offset of the field holding the address of the first packet byte.
    pub data: u32,
    /// Offset of the field holding the address one past the last packet byte.
    pub data_end: u32,
    /// Width of both fields in bytes (4 or 8).
    pub width: u32,
}

/// A program type's context: its size, what the program may read and write, and its packet
/// fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContextSpec {
    /// Its length.
    pub size: ContextSize,
    /// Byte ranges `start..end` the program may write (all of it when `None`).
    pub writable: Option<Vec<(u32, u32)>>,
    /// The packet fields, if the context has them.
    pub packet: Option<PacketFields>,
    /// The program type's structure, when the context is one: every access is then one of its
    /// fields, at a width the field allows ([`ContextLayout::check`]), and the packet pointer
    /// fields narrower than an address are read from their full-width copies.
    pub layout: Option<ContextLayout>,
    /// The program's type, when it has one: a helper of Linux's catalogue registered under its
    /// Linux name may be called only by the types Linux lets call it.
    pub program_type: Option<ProgramType>,
}

impl ContextSpec {
    /// Raw memory of `r2` bytes, readable and writable: the default.
    pub fn raw_memory() -> ContextSpec {
        ContextSpec {
            size: ContextSize::InR2,
            writable: None,
            packet: None,
            layout: None,
            program_type: None,
        }
    }

    /// The context of programs of type `t`: its structure as [`ProgramType::context`] gives it
    /// (a tracepoint record of `record_size` bytes, the host's), or raw memory for a type
    /// without one.
    pub fn of_type(t: ProgramType, record_size: Option<u32>) -> ContextSpec {
        let Some(mut layout) = t.context() else {
            return ContextSpec {
                program_type: Some(t),
                ..ContextSpec::raw_memory()
            };
        };
        if layout.size == 0 {
            layout.size = record_size.unwrap_or(4096);
        }
        ContextSpec {
            program_type: Some(t),
            ..ContextSpec::of_layout(layout)
        }
    }

    /// The context described by `layout`.
    pub fn of_layout(layout: ContextLayout) -> ContextSpec {
        let data = layout.field_of(FieldKind::PacketData);
        let end = layout.field_of(FieldKind::PacketEnd);
        let packet = match (data, end) {
            (Some(d), Some(e)) => Some(PacketFields {
                data: d.offset,
                data_end: e.offset,
                width: d.size,
            }),
            _ => None,
        };
        ContextSpec {
            size: ContextSize::Fixed(layout.size),
            writable: Some(layout.writable_ranges()),
            packet,
            layout: Some(layout),
            program_type: None,
        }
    }

    /// A fixed-size context the program may read and write whole.
    pub fn fixed(size: u32) -> ContextSpec {
        ContextSpec {
            size: ContextSize::Fixed(size),
            writable: None,
            packet: None,
            layout: None,
            program_type: None,
        }
    }
}

impl Default for ContextSpec {
    fn default() -> ContextSpec {
        ContextSpec::raw_memory()
    }
}

/// An `lddw` that loads a map (its handle) or the address of a byte of a map's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLoad {
    /// The instruction index of the `lddw`.
    pub pc: usize,
    /// Index into [`Env::maps`].
    pub map: u32,
    /// For a value address: the byte offset in the value.
    pub value_offset: Option<u32>,
}

/// How the verifier makes sure a program ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Termination {
    /// Every accepted program ends by itself: loops are walked iteration by iteration until
    /// their exit conditions decide, as Linux does, and a loop that has not ended within
    /// [`Settings::max_steps`] makes the program "too complex". (Only the loader's `bpf_loop`,
    /// bounded by construction, is proven once for all its iterations.)
    #[default]
    Proven,
    /// Loops are walked a few iterations, then widened: the numbers that change from one
    /// iteration to the next may take every value in the direction they move, narrowed again
    /// by the loop's conditions, so the body is proven safe for any number of iterations.
    /// Whether the loop ends is left to the host, whose instruction budget
    /// (`Config::instruction_budget`) stops a run that does not (PREVAIL's choice). A path that
    /// comes back to a loop head in the same state is still rejected.
    Budget,
}

/// What the verifier does with a call it cannot resolve to a prototype: a helper registered
/// without one, an id no helper has, or a `callx` whose target is not a known constant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownHelpers {
    /// The program is refused, naming the call (the default).
    #[default]
    Refuse,
    /// The call is assumed to read and write everything reachable from its arguments and the
    /// whole stack of every frame: after it, no spilled pointer and no known number survives on
    /// the stack (a slot that held a pointer is unreadable, a slot that held a number holds any
    /// number), no packet pointer survives, and no ring-buffer record may be held across it. Its
    /// arguments may be anything, pointers included: the host trusts the helpers it registered
    /// without prototypes with the addresses they are given. Its result is a number, unless it
    /// is a `callx` that may reach a helper returning a pointer: then `r0` may not be read.
    AssumeWorst,
}

/// What the host decides about verification, the same for every program it loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The context programs get (default: raw memory of `r2` bytes).
    pub context: ContextSpec,
    /// Whether a pointer may reach a place the host can read: `r0` at exit, context or map
    /// memory, or arithmetic that turns it into a number. Off by default.
    pub allow_pointer_leaks: bool,
    /// How many instructions the search may process, summed over every path, before it gives
    /// up with "too complex" (default 1,000,000, Linux's limit).
    pub max_steps: u64,
    /// How programs are shown to end (default [`Termination::Proven`]).
    pub termination: Termination,
    /// What calls without a prototype do (default [`UnknownHelpers::Refuse`]).
    pub unknown_helpers: UnknownHelpers,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            context: ContextSpec::default(),
            allow_pointer_leaks: false,
            max_steps: 1_000_000,
            termination: Termination::Proven,
            unknown_helpers: UnknownHelpers::Refuse,
        }
    }
}

/// Everything the verifier checks a program against.
#[derive(Clone, Debug)]
pub struct Env<'a> {
    /// The helpers and their prototypes.
    pub helpers: &'a HelperRegistry,
    /// The maps the program's `lddw`s load, as they are defined: the verifier reads their
    /// type, key and value sizes, name and whether programs may write them.
    pub maps: Vec<MapDef>,
    /// Which `lddw`s load them.
    pub map_loads: Vec<MapLoad>,
    /// The host's settings.
    pub settings: Settings,
    /// Heads of loops whose iteration count the program's producer bounds, as the loader's
    /// expansion of `bpf_loop` (at most 2^23 iterations, in a function nothing jumps into).
    /// There the search widens the numbers that change from one iteration to the next and
    /// proves the body once for all iterations, instead of walking each.
    pub bounded_loops: Vec<usize>,
}

impl<'a> Env<'a> {
    /// An environment with the default settings and no maps.
    pub fn new(helpers: &'a HelperRegistry) -> Env<'a> {
        Env {
            helpers,
            maps: Vec::new(),
            map_loads: Vec::new(),
            settings: Settings::default(),
            bounded_loops: Vec::new(),
        }
    }
}
