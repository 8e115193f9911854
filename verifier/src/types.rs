//! What a register or a spilled stack slot holds: nothing yet, a scalar, or a pointer into one of
//! the regions a program may reach.

use crate::scalar::Scalar;
use std::fmt;

/// Where a pointer points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PtrKind {
    /// The context (`r1` at entry).
    Ctx,
    /// One past the context, when its length is only known at run time (`r1 + r2` for raw
    /// memory).
    CtxEnd,
    /// Packet data, from the context's data field.
    Packet,
    /// One past the packet data, from the context's data-end field.
    PacketEnd,
    /// The metadata before the packet, from the context's `data_meta` field; it ends where
    /// the packet data starts.
    PacketMeta,
    /// The stack of call frame `frame` (0 = the entry function), relative to its `r10`.
    Stack {
        /// Frame index.
        frame: u8,
    },
    /// A map itself (its handle), as `lddw` of a map loads it: only helpers take it.
    Map {
        /// Index into the verifier's map table.
        map: u32,
    },
    /// A value of a map.
    MapValue {
        /// Index into the verifier's map table.
        map: u32,
    },
    /// Memory a helper handed out: a ring-buffer record of `size` bytes.
    Record {
        /// Its size in bytes.
        size: u32,
    },
    /// The socket the context carries (read-only): which part of it the pointer reaches.
    Socket {
        /// Its common part, all of it, or its TCP state.
        part: SockPart,
    },
}

/// What a socket pointer reaches, as Linux types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SockPart {
    /// `PTR_TO_SOCK_COMMON`: `struct bpf_sock` but `type` to `priority` (`__sk_buff.sk`).
    Common,
    /// `PTR_TO_SOCKET`: all of `struct bpf_sock`.
    Full,
    /// `PTR_TO_TCP_SOCK`: `struct bpf_tcp_sock`.
    Tcp,
}

/// A pointer: a region, a byte offset range into it, and whether it may be null.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ptr {
    /// The region.
    pub kind: PtrKind,
    /// The smallest offset.
    pub off_min: i64,
    /// The largest offset.
    pub off_max: i64,
    /// Whether it may be 0 (a map lookup or a reservation not checked yet).
    pub nullable: bool,
    /// Copies of one helper result share an id, so a null check on one covers all; a
    /// ring-buffer record's id is also its reference, released by submit or discard.
    pub id: u32,
    /// For raw memory: the scalar id of the index this pointer was built from (0: none), so
    /// that the offset is `var_off` plus a value of that id, which facts may relate to the
    /// run-time length (see `relate`).
    pub var: u32,
    /// The offset beside the index `var`.
    pub var_off: i64,
}

impl Ptr {
    /// A pointer to offset `off` of `kind`.
    pub fn at(kind: PtrKind, off: i64) -> Ptr {
        Ptr {
            kind,
            off_min: off,
            off_max: off,
            nullable: false,
            id: 0,
            var: 0,
            var_off: 0,
        }
    }

    /// Whether the offset is known exactly.
    pub fn fixed(&self) -> Option<i64> {
        (self.off_min == self.off_max).then_some(self.off_min)
    }
}

/// The abstract value of a register or spilled slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// Never written on this path.
    Uninit,
    /// A number.
    Scalar(Scalar),
    /// A pointer.
    Ptr(Ptr),
}

impl Value {
    /// Any number.
    pub const UNKNOWN: Value = Value::Scalar(Scalar::UNKNOWN);

    /// The number `v`.
    pub fn constant(v: u64) -> Value {
        Value::Scalar(Scalar::constant(v))
    }

    /// Whether it is a pointer.
    pub fn is_ptr(&self) -> bool {
        matches!(self, Value::Ptr(_))
    }
}

impl fmt::Display for PtrKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PtrKind::Ctx => write!(f, "ctx"),
            PtrKind::CtxEnd => write!(f, "ctx_end"),
            PtrKind::Packet => write!(f, "pkt"),
            PtrKind::PacketEnd => write!(f, "pkt_end"),
            PtrKind::PacketMeta => write!(f, "pkt_meta"),
            PtrKind::Stack { frame } => write!(f, "fp{frame}"),
            PtrKind::Map { map } => write!(f, "map{map}"),
            PtrKind::MapValue { map } => write!(f, "map_value{map}"),
            PtrKind::Record { size } => write!(f, "record[{size}]"),
            PtrKind::Socket {
                part: SockPart::Common,
            } => write!(f, "sock_common"),
            PtrKind::Socket {
                part: SockPart::Full,
            } => write!(f, "sock"),
            PtrKind::Socket {
                part: SockPart::Tcp,
            } => write!(f, "tcp_sock"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Uninit => write!(f, "uninit"),
            Value::Scalar(s) => write!(f, "{s}"),
            Value::Ptr(p) => {
                write!(f, "{}", p.kind)?;
                match p.fixed() {
                    Some(0) => {}
                    Some(o) => write!(f, "{o:+}")?,
                    None => write!(f, "{:+}..={:+}", p.off_min, p.off_max)?,
                }
                if p.nullable {
                    write!(f, "_or_null")?;
                }
                Ok(())
            }
        }
    }
}
