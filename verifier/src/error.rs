//! A rejection: the instruction and the reason, with the states of the registers involved, and
//! what kind of rejection it is.

/// What kind of rejection a [`VerifyError`] is: what a host may do about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VerifyErrorKind {
    /// The program may do something unsafe (or the verifier cannot show it does not): the
    /// default.
    #[default]
    Unsafe,
    /// A pointer would become a number the host or other programs can see; a host may allow
    /// that (`Settings::allow_pointer_leaks`).
    Leak,
    /// A call of a helper without a prototype (unregistered, registered without one, or a
    /// `callx` of an unknown target); a host may register the prototype or let the verifier
    /// assume the worst (`Settings::unknown_helpers`).
    UnknownHelper,
    /// The verifier gave up: more instructions processed than `Settings::max_steps` allows.
    /// Nothing unsafe was found; a host may raise the limit or change the termination policy.
    TooComplex,
}

/// Why a program was rejected: `insn N: reason`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {pc}: {reason}")]
pub struct VerifyError {
    /// The instruction index.
    pub pc: usize,
    /// What is wrong there, naming the registers involved and their states.
    pub reason: String,
    /// What kind of rejection it is.
    pub kind: VerifyErrorKind,
}
