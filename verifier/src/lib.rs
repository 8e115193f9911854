//! oxbpf-verifier: proves eBPF programs safe before they load, by abstract interpretation over
//! the shared [`Insn`](oxbpf_core::Insn).
//!
//! Each register and stack slot holds an abstract [`Value`]: uninitialised, a [`Scalar`]
//! (unsigned and signed intervals plus known bits, narrowed by branches, 32-bit comparisons
//! included) or a pointer into a region (context, stack of a frame, map, map value, packet,
//! ring-buffer record) with an offset range. The search follows every path, with bpf-to-bpf
//! calls in frames of their own, prunes a path where an already verified state covers it, and
//! ends loops by their exit conditions within a bound on processed instructions, or (as the host
//! chooses, see [`Termination`]) proves them for any number of iterations by widening.
//!
//! It rejects, with `insn N: reason`: reads of registers and stack bytes never written, accesses
//! outside a region or through a number, a possibly-null map value or record used before its
//! check, pointers leaking to the host (unless [`Settings::allow_pointer_leaks`]), helper calls that
//! break their [`Proto`](oxbpf_core::Proto), records never submitted, loops without progress, and
//! programs too complex to finish. [`Verified::proven`] marks the accesses proven in bounds.

mod branch;
mod call;
mod env;
mod error;
mod insn;
mod liveness;
mod mem;
mod relate;
mod scalar;
mod state;
mod tnum;
mod types;
mod verify;

pub use env::{
    ContextSize, ContextSpec, Env, MapLoad, PacketFields, Settings, Termination, UnknownHelpers,
};
pub use error::{VerifyError, VerifyErrorKind};
pub use scalar::Scalar;
pub use tnum::Tnum;
pub use types::{Ptr, PtrKind, Value};
pub use verify::{Verified, verify, verify_with_log};
