//! [`Loaded`]: a program prepared by a backend, ready to run.

use crate::{Error, MapSet, NativeEntry};
use oxbpf_core::{Backend, Executable, Execution, HelperRegistry, Program, StackBuffer, Trap};
use std::sync::Arc;

/// A program prepared by a backend, ready to run any number of times.
pub struct Loaded {
    exe: Arc<dyn Executable>,
    helpers: Arc<HelperRegistry>,
    maps: MapSet,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("len", &self.exe.program().len())
            .finish()
    }
}

impl Loaded {
    /// Runs the program on `mem` (`r1` = its address, `r2` = its length); returns `r0`.
    pub fn execute(&self, mem: &mut [u8]) -> Result<u64, Trap> {
        self.exe.run(mem)
    }

    /// Runs the program on `mem` and also reports the instructions charged.
    pub fn execute_counted(&self, mem: &mut [u8]) -> Execution {
        self.exe.execute(mem)
    }

    /// Runs the program on `mem` with the caller's `stack` (see [`Executable::execute_on`]): two
    /// runs on the same buffers see the same addresses, whichever backend runs them.
    pub fn execute_on(&self, mem: &mut [u8], stack: &mut StackBuffer) -> Execution {
        self.exe.execute_on(mem, stack)
    }

    /// The program's compiled code as one native function, when it is JIT or AOT code that never
    /// calls into the host (see [`NativeEntry`]): the cheapest way to run it.
    pub fn native_entry(&self) -> Option<NativeEntry<'_>> {
        self.exe.native_entry()
    }

    /// The same program (with its proofs, helpers and maps) prepared on the backend named
    /// `backend`: compiled code for a program loaded on the interpreter, say.
    pub fn prepare_on(&self, backend: &str) -> Result<Loaded, Error> {
        let b = crate::backend(backend).ok_or_else(|| Error::UnknownBackend(backend.to_owned()))?;
        let program = self.exe.program().clone();
        Loaded::prepare(b, program, self.helpers.clone(), self.maps.clone())
    }

    /// `program` prepared by `backend`, served by `helpers`, using `maps`: the last step of
    /// every load.
    pub(crate) fn prepare(
        backend: Arc<dyn Backend>,
        program: Program,
        helpers: Arc<HelperRegistry>,
        maps: MapSet,
    ) -> Result<Loaded, Error> {
        let exe = backend.prepare(Arc::new(program), helpers.clone())?;
        Ok(Loaded::new(exe.into(), helpers, maps))
    }

    /// An executable already prepared (an AOT object's), served by `helpers`, using `maps`.
    pub(crate) fn new(
        exe: Arc<dyn Executable>,
        helpers: Arc<HelperRegistry>,
        maps: MapSet,
    ) -> Loaded {
        Loaded { exe, helpers, maps }
    }

    /// The helpers the program runs with.
    pub fn helpers(&self) -> &HelperRegistry {
        &self.helpers
    }

    /// The checked program.
    pub fn program(&self) -> &Program {
        self.exe.program()
    }

    /// The backend-prepared executable.
    pub fn executable(&self) -> &dyn Executable {
        &*self.exe
    }

    /// The executable, shared: what a prog array holds for tail calls
    /// ([`Map::set_program`]).
    pub fn shared_executable(&self) -> Arc<dyn Executable> {
        self.exe.clone()
    }

    /// The maps the program uses (those of its ELF object; none for other programs).
    pub fn maps(&self) -> &MapSet {
        &self.maps
    }
}
