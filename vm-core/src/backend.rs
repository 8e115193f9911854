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
use std::marker::PhantomData;
use std::sync::Arc;

/// What kind of failure a [`PrepareError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrepareErrorKind {
    /// The program calls a helper the registry does not hold (a host may register it).
    UnknownHelper,
    /// The backend could not translate or compile the program (a host may run it on another
    /// backend).
    Compile,
}

/// A backend could not prepare a program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{backend}: {message}")]
pub struct PrepareError {
    /// The backend's name.
    pub backend: &'static str,
    /// What kind of failure it is.
    pub kind: PrepareErrorKind,
    /// What went wrong.
    pub message: String,
}

impl PrepareError {
    /// A failure of `backend` to translate or compile the program.
    pub fn compile(backend: &'static str, message: impl Into<String>) -> PrepareError {
        PrepareError {
            backend,
            kind: PrepareErrorKind::Compile,
            message: message.into(),
        }
    }

    /// `backend` found no helper `id` (at instruction `pc`, when known) in the registry.
    pub fn unknown_helper(backend: &'static str, pc: Option<usize>, id: u32) -> PrepareError {
        let at = pc.map(|pc| format!("insn {pc}: ")).unwrap_or_default();
        PrepareError {
            backend,
            kind: PrepareErrorKind::UnknownHelper,
            message: format!("{at}helper {id} is not registered"),
        }
    }
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
    /// reused across the runs of this thread (of which only the bytes the program may read
    /// before writing are zeroed again: none for a verified program, see
    /// [`Program::stack_reach`]).
    fn execute(&self, ctx: &mut [u8]) -> Execution {
        let program = self.program();
        let len = program.config().stack_size();
        StackBuffer::with_cached_top_zeroed(len, program.stack_reach(), |stack| {
            self.execute_on(ctx, stack)
        })
    }

    /// Runs the program and returns `r0` or the trap.
    fn run(&self, ctx: &mut [u8]) -> Result<u64, Trap> {
        self.execute(ctx).result
    }

    /// The program this executable runs.
    fn program(&self) -> &Program;

    /// The program's compiled code as one native function, when the backend has one for it (see
    /// [`NativeEntry`]); `None` by default.
    fn native_entry(&self) -> Option<NativeEntry<'_>> {
        None
    }
}

/// How a [`NativeEntry`] runs: `call(code, stack_size, ctx, stack)`.
pub type NativeCall = fn(usize, usize, &mut [u8], &mut StackBuffer) -> Result<u64, Trap>;

/// A prepared program's code as one native function, borrowed from its [`Executable`]: each
/// [`call_on`](Self::call_on) is one call of compiled code, with no context block, memory map or
/// runtime state set up around it. It gives what [`Executable::execute_on`] gives on the same
/// buffers, without the instruction count.
///
/// Compiled backends (oxbpf-cranelift's JIT and AOT code) hand one out, through
/// [`Executable::native_entry`], for a program whose code needs nothing from the host: one
/// function, no helper calls, no shared memory, no instruction counting.
#[derive(Clone, Copy, Debug)]
pub struct NativeEntry<'a> {
    call: NativeCall,
    code: usize,
    stack_size: usize,
    _exe: PhantomData<&'a ()>,
}

impl NativeEntry<'_> {
    /// An entry that runs as `call(code, stack_size, ctx, stack)` while it borrows the
    /// executable it comes from. `code` means something to `call` only: a backend passes the
    /// address of its code and a function of its own that trusts it, so no one else can make an
    /// entry that function runs.
    pub fn new(call: NativeCall, code: usize, stack_size: usize) -> Self {
        NativeEntry {
            call,
            code,
            stack_size,
            _exe: PhantomData,
        }
    }

    /// Runs the program with `r1` = address of `ctx` and `r2` = its length on `stack`, under the
    /// contract of [`Executable::execute_on`], and returns `r0` or the trap.
    #[inline]
    pub fn call_on(&self, ctx: &mut [u8], stack: &mut StackBuffer) -> Result<u64, Trap> {
        (self.call)(self.code, self.stack_size, ctx, stack)
    }
}
