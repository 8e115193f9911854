//! Helper prototypes: what each argument register must hold and what `r0` holds after the call,
//! as the verifier checks them (Linux's `bpf_func_proto`, reduced to what oxbpf's helpers need).

/// What a helper argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    /// Not read by the helper: anything, even an uninitialised register.
    Unused,
    /// Any initialised value, scalar or pointer.
    Any,
    /// An initialised scalar (not a pointer).
    Scalar,
    /// A map, as an `lddw` of a map loads it.
    Map,
    /// A pointer to a whole key (`key_size` readable, initialised bytes) of the map in the
    /// closest earlier [`Arg::Map`] argument.
    MapKey,
    /// A pointer to a whole value (`value_size` readable, initialised bytes) of that map.
    MapValue,
    /// A pointer to `value_size` writable bytes for that map's helper to fill (they may be
    /// uninitialised before the call and are initialised after it).
    MapValueOut,
    /// A pointer to readable, initialised memory of the size in the next argument.
    Mem,
    /// A pointer to writable memory of the size in the next argument, which the helper fills
    /// (it may be uninitialised before the call).
    MemOut,
    /// The size of the previous [`Arg::Mem`] or [`Arg::MemOut`] argument: a scalar with a known
    /// upper bound.
    Size,
    /// The context pointer the program was given, unmodified.
    Ctx,
    /// A ring-buffer record from `ringbuf_reserve`, which the call releases.
    Record,
}

/// What `r0` holds after a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// A scalar.
    Scalar,
    /// A pointer to a value of the map in the first [`Arg::Map`] argument, or 0.
    MapValueOrNull,
    /// A new ring-buffer record of the size in the second argument (a known constant), or 0;
    /// the program must submit or discard it before it exits.
    RecordOrNull,
}

/// A helper's prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proto {
    /// `r1` to `r5`.
    pub args: [Arg; 5],
    /// `r0` after the call.
    pub ret: Ret,
}

impl Proto {
    /// A helper that reads the given argument kinds (the rest unused) and returns a scalar.
    pub const fn scalar(args: [Arg; 5]) -> Proto {
        Proto {
            args,
            ret: Ret::Scalar,
        }
    }

    /// The prototype assumed for a helper registered without one: it may read any argument
    /// register, initialised or not, and returns a scalar. (Host helpers reach program memory
    /// only through bounds-checked accesses, so nothing more is needed for safety.)
    pub const UNKNOWN: Proto = Proto::scalar([Arg::Unused; 5]);
}
