//! oxbpf-interp: the interpreter backend (`"interp"`).
//!
//! [`Interpreter::prepare`](oxbpf_core::Backend::prepare) translates the checked program's
//! instructions once into a flat array of specialised ops with absolute jump targets and
//! pre-resolved helpers; [`execute`](oxbpf_core::Executable::execute) runs them with every memory
//! access checked by the shared [`MemoryMap`](oxbpf_core::MemoryMap). It keeps the execution
//! contract of every backend: same results, same traps at the same instruction, same budget
//! accounting. It contains no `unsafe` code.
//!
//! ```
//! use std::sync::Arc;
//! use oxbpf_core::{Backend, Config, HelperRegistry, Program};
//! let helpers = Arc::new(HelperRegistry::new());
//! let p = Program::from_asm("mov %r0, %r2\nexit", &Config::default(), &helpers).unwrap();
//! let exe = oxbpf_interp::Interpreter.prepare(Arc::new(p), helpers).unwrap();
//! assert_eq!(exe.run(&mut [0u8; 12]), Ok(12));
//! ```
#![forbid(unsafe_code)]

mod exec;
mod ops;

use oxbpf_core::{
    Backend, Executable, Execution, HelperRegistry, PrepareError, Program, StackBuffer,
};
use std::sync::Arc;

/// The interpreter backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Interpreter;

impl Backend for Interpreter {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn prepare(
        &self,
        program: Arc<Program>,
        helpers: Arc<HelperRegistry>,
    ) -> Result<Box<dyn Executable>, PrepareError> {
        let ops = ops::translate(&program, &helpers)?;
        Ok(Box::new(InterpExecutable {
            program,
            helpers,
            ops,
        }))
    }
}

/// A program prepared for the interpreter.
struct InterpExecutable {
    program: Arc<Program>,
    helpers: Arc<HelperRegistry>,
    ops: ops::Ops,
}

impl Executable for InterpExecutable {
    fn execute_on(&self, ctx: &mut [u8], stack: &mut StackBuffer) -> Execution {
        if let Err(trap) = self.program.check_context(ctx) {
            return Execution {
                result: Err(trap),
                instructions: 0,
            };
        }
        exec::run(&self.ops, &self.program, &self.helpers, ctx, stack)
    }

    fn program(&self) -> &Program {
        &self.program
    }
}
