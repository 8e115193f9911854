//! Helper prototypes: what each argument register must hold and what `r0` holds after the call,
//! as the verifier checks them (Linux's `bpf_func_proto`, reduced to what oxbpf's helpers need).
//!
//! A verified program calls only helpers with a prototype: the verifier checks every argument
//! against it and knows from it which memory the helper may read and write, so that no pointer
//! or number it tracks (a spilled register, a proven length) changes behind its back.

use core::fmt;

/// A set of map types by their Linux ids (`enum bpf_map_type`, ids below 64): the maps an
/// [`Arg::Map`] argument accepts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapTypes(pub u64);

impl MapTypes {
    /// Every map type.
    pub const ANY: MapTypes = MapTypes(u64::MAX);

    /// The types with these Linux ids.
    pub const fn of(ids: &[u32]) -> MapTypes {
        let mut bits = 0u64;
        let mut i = 0;
        while i < ids.len() {
            if ids[i] < 64 {
                bits |= 1 << ids[i];
            }
            i += 1;
        }
        MapTypes(bits)
    }

    /// Whether the type with Linux id `id` is in the set.
    pub const fn contains(self, id: u32) -> bool {
        id < 64 && self.0 & (1 << id) != 0
    }
}

impl fmt::Debug for MapTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == MapTypes::ANY {
            return write!(f, "any");
        }
        f.debug_set()
            .entries((0..64u32).filter(|&i| self.contains(i)))
            .finish()
    }
}

/// A map argument: which map types the helper takes, and whether it changes the map (an update,
/// a delete, a push or pop), which a map read-only to programs (`BPF_F_RDONLY_PROG`) refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapArg {
    /// The map types accepted.
    pub types: MapTypes,
    /// Whether the helper changes the map's contents.
    pub writes: bool,
}

impl MapArg {
    /// Any map, which the helper only reads.
    pub const ANY: MapArg = MapArg {
        types: MapTypes::ANY,
        writes: false,
    };

    /// A map of one of `types` that the helper only reads.
    pub const fn reads(types: MapTypes) -> MapArg {
        MapArg {
            types,
            writes: false,
        }
    }

    /// A map of one of `types` whose contents the helper changes.
    pub const fn writes(types: MapTypes) -> MapArg {
        MapArg {
            types,
            writes: true,
        }
    }
}

/// What a helper argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    /// Not read by the helper: anything, even an uninitialised register.
    Unused,
    /// Any initialised value. A pointer is accepted only where the host allows pointer leaks:
    /// the helper sees it as a number and may hand it back.
    Any,
    /// An initialised scalar (not a pointer).
    Scalar,
    /// A map, as an `lddw` of a map loads it, of the types the [`MapArg`] accepts.
    Map(MapArg),
    /// A pointer to a whole key (`key_size` readable, initialised bytes) of the map in the
    /// closest earlier [`Arg::Map`] argument.
    MapKey,
    /// A pointer to a whole value (`value_size` readable, initialised bytes) of that map.
    MapValue,
    /// A pointer to `value_size` writable bytes for that map's helper to fill (they may be
    /// uninitialised before the call and are initialised after it: the helper writes every one,
    /// zeroes where it has nothing).
    MapValueOut,
    /// A pointer to readable, initialised memory of the size in the next argument.
    Mem,
    /// A pointer to writable memory of the size in the next argument, which the helper fills
    /// (it may be uninitialised before the call; the helper writes every byte, zeroes where it
    /// has nothing, as the verifier takes all of them as written).
    MemOut,
    /// A pointer to readable, initialised and writable memory of the size in the next argument,
    /// which the helper reads and may rewrite (what it held becomes unknown numbers): Linux's
    /// `ARG_PTR_TO_MEM` without `MEM_RDONLY`, as `fib_lookup`'s parameters.
    MemInOut,
    /// As [`Arg::Mem`], or null (the number 0) with a size of 0: Linux's `ARG_PTR_TO_MEM |
    /// PTR_MAYBE_NULL` before an `ARG_CONST_SIZE_OR_ZERO` (`csum_diff`'s buffers).
    MemOrNull,
    /// The size of the previous [`Arg::Mem`], [`Arg::MemOut`], [`Arg::MemInOut`] or
    /// [`Arg::MemOrNull`] argument: a scalar with a known upper bound.
    Size,
    /// An address the helper reads the size in the closest earlier [`Arg::Size`] argument from
    /// (the source of `probe_read`): a number, which the helper looks up in the run's regions
    /// itself, or a pointer to readable, initialised memory of that size.
    Address,
    /// The context pointer the program was given, unmodified.
    Ctx,
    /// A ring-buffer record from `ringbuf_reserve`, which the call releases.
    Record,
    /// A socket a program was given (`__sk_buff.sk`, `bpf_sock_ops.sk`, ...) or a helper
    /// returned, checked for null: Linux's `ARG_PTR_TO_SOCK_COMMON`.
    Sock,
    /// The `struct bpf_spin_lock` of a map value (a pointer to exactly the map's
    /// `spin_lock` field), which the call takes: the program may then call
    /// no helper but the one releasing it ([`Arg::Unlock`]), call no function and not exit
    /// until it does, and holds one lock at a time (Linux's `bpf_spin_lock`).
    Lock,
    /// The `struct bpf_spin_lock` the program holds, which the call releases
    /// (`bpf_spin_unlock`).
    Unlock,
}

/// What `r0` holds after a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// A scalar.
    Scalar,
    /// A pointer to a value of the map in the first [`Arg::Map`] argument, or 0.
    MapValueOrNull,
    /// A pointer to a value of the map in the first [`Arg::Map`] argument, never 0
    /// (`get_local_storage`).
    MapValue,
    /// A new ring-buffer record of the size in the second argument (a known constant), or 0;
    /// the program must submit or discard it before it exits.
    RecordOrNull,
    /// The full socket (`struct bpf_sock`) the [`Arg::Sock`] argument is part of, or 0.
    SocketOrNull,
    /// The TCP state (`struct bpf_tcp_sock`) of the [`Arg::Sock`] argument's socket, or 0.
    TcpSockOrNull,
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

    /// A helper of up to five number arguments returning a number: the first `n` arguments are
    /// [`Arg::Scalar`], the rest unused.
    pub const fn numbers(n: usize) -> Proto {
        let mut args = [Arg::Unused; 5];
        let mut i = 0;
        while i < n && i < 5 {
            args[i] = Arg::Scalar;
            i += 1;
        }
        Proto::scalar(args)
    }
}
