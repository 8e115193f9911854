//! The traits every execution backend implements.
//!
//! ```text
//!   bytes / assembly ──decode──▶ [Insn] ──check──▶ Program ──Backend::prepare──▶ Executable
//!                                                                                   │
//!                                     context bytes ──────────────▶ execute ──▶ Execution
//! ```
//!
//! A [`Backend`] turns a checked [`Program`] into an [`Executable`] (the interpreter pre-translates
//! it, compiled backends generate code). An `Executable` runs any number of times, from any number
//! of threads at once, each run on its own context buffer and stack.

use crate::helpers::HelperRegistry;
use crate::memory::StackBuffer;
use crate::program::Program;
use crate::trap::Trap;
use std::sync::Arc;

/// A backend could not prepare a program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{backend}: {message}")]
pub struct PrepareError {
    /// The backend's name.
    pub backend: &'static str,
    /// What went wrong.
    pub message: String,
}

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// `r0` at exit, or the trap that stopped the run.
    pub result: Result<u64, Trap>,
    /// Instructions charged to the budget (basic blocks entered, see [`Program`]).
    pub instructions: u64,
}

/// An execution engine, selected by name.
pub trait Backend: Send + Sync {
    /// The name hosts select it by (`"interp"`, `"jit"`, `"aot"`).
    fn name(&self) -> &'static str;

    /// Prepares `program` to run with `helpers`.
    fn prepare(
        &self,
        program: Arc<Program>,
        helpers: Arc<HelperRegistry>,
    ) -> Result<Box<dyn Executable>, PrepareError>;
}

/// A prepared program.
pub trait Executable: Send + Sync + std::any::Any {
    /// Runs the program with `r1` = address of `ctx` and `r2` = its length, on `stack`, which the
    /// caller provides zeroed and at least [`Config::stack_size`](crate::Config::stack_size)
    /// bytes long (see [`StackBuffer::reset`]). The program may read and write `ctx`; pass a copy
    /// to keep the original.
    ///
    /// Two runs on the same buffers see the same addresses, whichever backend runs them.
    fn execute_on(&self, ctx: &mut [u8], stack: &mut StackBuffer) -> Execution;

    /// Runs the program with `r1` = address of `ctx` and `r2` = its length, on a zeroed stack
    /// reused across the runs of this thread (not zeroed again for a verified program, which
    /// reads only the stack bytes it writes: see [`Program::stack_reads_proven`]).
    fn execute(&self, ctx: &mut [u8]) -> Execution {
        let program = self.program();
        let len = program.config().stack_size();
        if program.stack_reads_proven() {
            StackBuffer::with_cached_unzeroed(len, |stack| self.execute_on(ctx, stack))
        } else {
            StackBuffer::with_cached(len, |stack| self.execute_on(ctx, stack))
        }
    }

    /// Runs the program and returns `r0` or the trap.
    fn run(&self, ctx: &mut [u8]) -> Result<u64, Trap> {
        self.execute(ctx).result
    }

    /// The program this executable runs.
    fn program(&self) -> &Program;
}
