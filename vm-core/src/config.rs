//! Load and run settings shared by every backend.

/// Settings a [`Program`](crate::Program) is loaded and run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bytes of stack per call frame; `r10` points one past the end of the current frame.
    ///
    /// Default: 512 (as in Linux).
    pub stack_frame_size: usize,
    /// Maximum number of simultaneously live frames, the entry function's included. A local call
    /// that would need one more traps with
    /// [`CallDepthExceeded`](crate::TrapKind::CallDepthExceeded).
    ///
    /// Default: 8 (as in Linux).
    pub max_call_depth: usize,
    /// Maximum number of instructions one run may execute, charged per basic block on entry to
    /// the block; `None` is unlimited. A block that cannot be paid for traps with
    /// [`BudgetExhausted`](crate::TrapKind::BudgetExhausted) before any of it runs.
    ///
    /// Default: `None`.
    pub instruction_budget: Option<u64>,
    /// Whether a run without a budget still counts the instructions it executes (reported in
    /// [`Execution::instructions`](crate::Execution::instructions)). With a budget, runs always
    /// count. Without a budget and with this off, every backend reports 0 and compiled code
    /// carries no counter at all, which makes branchy code measurably faster.
    ///
    /// Default: `true`.
    pub count_instructions: bool,
    /// Whether compiled backends check memory accesses at run time. The interpreter always
    /// checks. Turning this off is only sound for programs the verifier proved safe or code the
    /// host trusts.
    ///
    /// Default: `true`.
    pub bounds_check: bool,
    /// Maximum program length in instruction slots, checked at load.
    ///
    /// Default: 1,000,000 (Linux's limit for privileged programs).
    pub max_instructions: usize,
    /// Whether programs are verified (oxbpf-verifier) before they load; a rejected program does
    /// not load. Off, memory safety rests on the run-time checks alone, and compiled code keeps
    /// a check at every access. Programs of a type whose context holds packet pointers (XDP,
    /// the `__sk_buff` types) are verified whatever this says: their loads of those pointers
    /// are rewritten from the proofs.
    ///
    /// Default: `true`.
    pub verify: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            stack_frame_size: 512,
            max_call_depth: 8,
            instruction_budget: None,
            count_instructions: true,
            bounds_check: true,
            max_instructions: 1_000_000,
            verify: true,
        }
    }
}

impl Config {
    /// Whether runs count executed instructions: with a budget, or when
    /// [`count_instructions`](Self::count_instructions) asks for it.
    pub fn counts_instructions(&self) -> bool {
        self.instruction_budget.is_some() || self.count_instructions
    }

    /// The count a run reports, given the instructions it was charged: `charged` when runs
    /// count, 0 otherwise (so every backend reports the same).
    pub fn reported_count(&self, charged: u64) -> u64 {
        if self.counts_instructions() {
            charged
        } else {
            0
        }
    }

    /// Total stack bytes a run needs: one frame per possible call level.
    pub fn stack_size(&self) -> usize {
        self.stack_frame_size.saturating_mul(self.max_call_depth)
    }
}
