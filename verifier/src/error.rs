//! A rejection: the instruction and the reason, with the states of the registers involved.

/// Why a program was rejected: `insn N: reason`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {pc}: {reason}")]
pub struct VerifyError {
    /// The instruction index.
    pub pc: usize,
    /// What is wrong there, naming the registers involved and their states.
    pub reason: String,
}
