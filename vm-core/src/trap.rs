//! The one trap table: every way a run can fail, shared by every backend.
//!
//! [`TrapCode`] is the stable numeric code (compiled code and the C API report it);
//! [`TrapKind`] carries the details; [`Trap`] adds the instruction index.

use core::fmt;

macro_rules! trap_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $msg:literal; )*) => {
        /// Stable numeric code of a trap kind.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum TrapCode {
            $( $(#[$doc])* $name = $code, )*
        }

        impl TrapCode {
            /// Every code, in numeric order.
            pub const ALL: &'static [TrapCode] = &[$(TrapCode::$name),*];

            /// A short description of the code.
            pub const fn message(self) -> &'static str {
                match self { $(TrapCode::$name => $msg,)* }
            }
        }

        impl TryFrom<u8> for TrapCode {
            type Error = u8;
            fn try_from(v: u8) -> Result<Self, u8> {
                match v { $($code => Ok(TrapCode::$name),)* other => Err(other) }
            }
        }
    };
}

trap_codes! {
    /// A load or store touched memory outside every region the program may access.
    OutOfBounds = 1, "out-of-bounds memory access";
    /// The instruction budget ran out.
    BudgetExhausted = 2, "instruction budget exhausted";
    /// A local call would exceed the maximum call depth.
    CallDepthExceeded = 3, "call depth exceeded";
    /// A call named a helper that is not registered.
    UnknownHelper = 4, "unknown helper";
    /// A helper reported an error.
    HelperError = 5, "helper error";
    /// An atomic operation on an address not aligned to its size.
    UnalignedAtomic = 6, "unaligned atomic access";
}

/// Direction of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load.
    Read,
    /// A store (or the write half of an atomic).
    Write,
}

/// What went wrong, with its details.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// `len` bytes at `addr` lie outside every accessible region.
    OutOfBounds {
        /// First byte of the access.
        addr: u64,
        /// Access size in bytes.
        len: u64,
        /// Read or write.
        access: Access,
    },
    /// The instruction budget could not pay for the next basic block.
    BudgetExhausted,
    /// A local call would need more frames than [`Config::max_call_depth`](crate::Config).
    CallDepthExceeded,
    /// A call (usually `callx`) named a helper id that is not registered.
    UnknownHelper {
        /// The requested id.
        id: u64,
    },
    /// A helper failed.
    HelperError {
        /// The helper's id.
        id: u32,
        /// The helper's message.
        message: String,
    },
    /// An atomic operation on an address not aligned to its size.
    UnalignedAtomic {
        /// The address.
        addr: u64,
    },
}

impl TrapKind {
    /// The stable code of this kind.
    pub const fn code(&self) -> TrapCode {
        match self {
            TrapKind::OutOfBounds { .. } => TrapCode::OutOfBounds,
            TrapKind::BudgetExhausted => TrapCode::BudgetExhausted,
            TrapKind::CallDepthExceeded => TrapCode::CallDepthExceeded,
            TrapKind::UnknownHelper { .. } => TrapCode::UnknownHelper,
            TrapKind::HelperError { .. } => TrapCode::HelperError,
            TrapKind::UnalignedAtomic { .. } => TrapCode::UnalignedAtomic,
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::OutOfBounds { addr, len, access } => {
                let dir = match access {
                    Access::Read => "read",
                    Access::Write => "write",
                };
                write!(f, "out-of-bounds {dir} of {len} bytes at {addr:#x}")
            }
            TrapKind::UnknownHelper { id } => write!(f, "unknown helper {id}"),
            TrapKind::HelperError { id, message } => write!(f, "helper {id} failed: {message}"),
            TrapKind::UnalignedAtomic { addr } => write!(f, "unaligned atomic access at {addr:#x}"),
            other => f.write_str(other.code().message()),
        }
    }
}

/// A run that stopped abnormally: what happened and at which instruction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("trap at insn {pc}: {kind}")]
pub struct Trap {
    /// Index of the instruction that trapped (for the budget: the first instruction of the basic
    /// block that could not be paid for).
    pub pc: usize,
    /// What went wrong.
    pub kind: TrapKind,
}

impl Trap {
    /// A trap of `kind` at `pc`.
    pub const fn new(pc: usize, kind: TrapKind) -> Trap {
        Trap { pc, kind }
    }

    /// The stable code of this trap.
    pub const fn code(&self) -> TrapCode {
        self.kind.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_u8() {
        for &c in TrapCode::ALL {
            assert_eq!(TrapCode::try_from(c as u8), Ok(c));
            assert!(!c.message().is_empty());
        }
        assert_eq!(TrapCode::try_from(0), Err(0));
        assert_eq!(TrapCode::try_from(200), Err(200));
    }

    #[test]
    fn display_names_pc_and_address() {
        let t = Trap::new(
            7,
            TrapKind::OutOfBounds {
                addr: 0x10,
                len: 4,
                access: Access::Write,
            },
        );
        assert_eq!(
            t.to_string(),
            "trap at insn 7: out-of-bounds write of 4 bytes at 0x10"
        );
        let b = Trap::new(0, TrapKind::BudgetExhausted);
        assert_eq!(
            b.to_string(),
            "trap at insn 0: instruction budget exhausted"
        );
    }
}
