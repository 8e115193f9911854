//! oxbpf: an eBPF virtual machine whose backends are chosen at run time, by name, behind one trait.
//!
//! ```
//! use oxbpf::{Proto, Vm};
//! let mut vm = Vm::new("interp")?;
//! // Helper 1 takes one number and returns one: its prototype, for the verifier.
//! vm.register_helper_with_proto(1, "double", Proto::numbers(1), |_, [a, ..]| Ok(a * 2));
//! let prog = vm.load_asm("mov %r1, 21\ncall 1\nexit")?;
//! assert_eq!(prog.execute(&mut [])?, 42);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | backend   | crate          | what it is |
//! |-----------|----------------|------------|
//! | `interp`  | `oxbpf-interp` | interpreter over a pre-translated op array |
//! | `jit`     | `oxbpf-cranelift` | Cranelift JIT: native code in this process |
//! | `aot`     | `oxbpf-cranelift` | Cranelift object code, mapped back without Cranelift ([`aot`]) |
//!
//! Every backend keeps the same execution contract: the same `r0` or the same [`Trap`] at the same
//! instruction, the same instruction-budget accounting (see [`Program`]).

use std::sync::Arc;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use oxbpf_core::{
    Access, Arg, Backend, Config, Executable, Execution, HelperContext, HelperRegistry,
    HelperResult, HelperStop, Insn, LoadError, MapArg, MapTypes, PrepareError, Program, Proto, Ret,
    StackBuffer, Trap, TrapCode, TrapKind, asm, isa,
};
pub use oxbpf_cranelift::{Aot, Jit, NativeEntry, Target, aot, native_entry};
pub use oxbpf_helpers::{HostEnv, Map, MapDef, MapError, MapSet, MapType};
pub use oxbpf_interp::Interpreter;
pub use oxbpf_loader::mbpf;
pub use oxbpf_loader::{
    ElfError, ElfObject, LinkedProgram, MapRef, MapSpec, ProgramInfo, RelocationInfo, write_object,
};
pub use oxbpf_quickjs as quickjs;
pub use oxbpf_verifier::{
    ContextSize, ContextSpec, MapInfo, MapLoad, PacketFields, Settings as VerifierSettings,
    Termination, UnknownHelpers, Verified, VerifyError,
};

/// Names of the registered backends, the default first.
pub const BACKENDS: &[&str] = &["interp", "jit", "aot"];

/// The backend registered under `name`.
pub fn backend(name: &str) -> Option<Arc<dyn Backend>> {
    match name {
        "interp" => Some(Arc::new(Interpreter)),
        "jit" => Some(Arc::new(Jit)),
        "aot" => Some(Arc::new(Aot)),
        _ => None,
    }
}

/// Why a [`Vm`] operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No backend has this name.
    #[error("unknown backend `{0}` (available: {list})", list = BACKENDS.join(", "))]
    UnknownBackend(String),
    /// The program could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The verifier rejected the program.
    #[error("verifier: {0}")]
    Verify(#[from] VerifyError),
    /// The backend could not prepare the program.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// The program trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// An AOT object could not be loaded.
    #[error("AOT object: {0}")]
    Aot(#[from] aot::AotError),
    /// An ELF object could not be loaded.
    #[error("ELF object: {0}")]
    Elf(#[from] ElfError),
    /// An `lddw` names a map the host did not supply.
    #[error("insn {pc}: lddw refers to map {index}, but only {count} maps were given")]
    UnknownMap {
        /// The `lddw`'s instruction index.
        pc: usize,
        /// The map index or descriptor it names.
        index: u64,
        /// How many maps there are.
        count: usize,
    },
    /// An `lddw` asks for the value address of a map that has none there.
    #[error(
        "insn {pc}: lddw asks for byte {offset} of the value of map `{map}`, which is not an array map's first value"
    )]
    NoValueAddress {
        /// The `lddw`'s instruction index.
        pc: usize,
        /// The map's name.
        map: String,
        /// The offset asked for.
        offset: u32,
    },
    /// A bundle was refused (container, CRC, signature, manifest).
    #[error("bundle: {0}")]
    Bundle(#[from] mbpf::MbpfError),
    /// A bundle's JavaScript did not compile or load.
    #[error("bundle: {0}")]
    Js(#[from] oxbpf_quickjs::JsError),
    /// A bundle's lowered eBPF could not be used (its text does not decode, or it needs maps
    /// the bundle lacks).
    #[error("bundle: lowered eBPF: {0}")]
    Lowered(String),
    /// A map of an ELF object could not be created.
    #[error("map `{name}`: {error}")]
    Map {
        /// The map's name.
        name: String,
        /// Why.
        error: MapError,
    },
}

/// A virtual machine: a backend, a configuration and registered helpers, from which programs are
/// loaded.
pub struct Vm {
    backend: Arc<dyn Backend>,
    config: Config,
    helpers: HelperRegistry,
    host: HostEnv,
    verifier: VerifierSettings,
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("backend", &self.backend.name())
            .field("config", &self.config)
            .field("helpers", &self.helpers)
            .finish()
    }
}

impl Vm {
    /// A VM on the backend named `backend` (see [`BACKENDS`]) with the default [`Config`].
    pub fn new(backend: &str) -> Result<Vm, Error> {
        Vm::with_config(backend, Config::default())
    }

    /// A VM on the backend named `backend` with `config`.
    pub fn with_config(backend: &str, config: Config) -> Result<Vm, Error> {
        let b = self::backend(backend).ok_or_else(|| Error::UnknownBackend(backend.to_owned()))?;
        Ok(Vm {
            backend: b,
            config,
            helpers: HelperRegistry::new(),
            host: HostEnv::default(),
            verifier: VerifierSettings::default(),
        })
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The configuration programs are loaded with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, to change before loading.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The registered helpers.
    pub fn helpers(&self) -> &HelperRegistry {
        &self.helpers
    }

    /// The registered helpers, to change before loading.
    pub fn helpers_mut(&mut self) -> &mut HelperRegistry {
        &mut self.helpers
    }

    /// What the standard helpers of ELF programs report about the current task, and where
    /// `trace_printk` writes; to change before loading.
    pub fn host_env_mut(&mut self) -> &mut HostEnv {
        &mut self.host
    }

    /// Registers `func` as helper `id` named `name` (replacing any with that id or name),
    /// without a prototype: programs that call it load only unverified, or with
    /// [`UnknownHelpers::AssumeWorst`] (see
    /// [`register_helper_with_proto`](Self::register_helper_with_proto)).
    pub fn register_helper<F>(&mut self, id: u32, name: &str, func: F)
    where
        F: Fn(&mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult + Send + Sync + 'static,
    {
        self.helpers.register(id, name, func);
    }

    /// Registers `func` as helper `id` named `name` with its prototype: what each argument
    /// register must hold (a number, a map of given types, a pointer to memory it reads or writes
    /// with its size in the next argument, the context, ...) and what it returns. The verifier
    /// checks every call against it and assumes the helper touches nothing else: `func` must
    /// keep to it.
    pub fn register_helper_with_proto<F>(&mut self, id: u32, name: &str, proto: Proto, func: F)
    where
        F: Fn(&mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult + Send + Sync + 'static,
    {
        self.helpers
            .register_with_proto(id, name, Some(proto), Arc::new(func));
    }

    /// Decodes, checks and prepares bytecode.
    pub fn load_bytes(&self, bytes: &[u8]) -> Result<Loaded, Error> {
        self.load_program(Program::from_bytes(bytes, &self.config, &self.helpers)?)
    }

    /// Assembles, checks and prepares assembly text.
    pub fn load_asm(&self, source: &str) -> Result<Loaded, Error> {
        self.load_program(Program::from_asm(source, &self.config, &self.helpers)?)
    }

    /// The verifier's settings (used when [`Config::verify`] is on).
    pub fn verifier_mut(&mut self) -> &mut VerifierSettings {
        &mut self.verifier
    }

    /// The verifier's environment for a program served by `helpers` that loads `maps`.
    fn env<'a>(
        &self,
        helpers: &'a HelperRegistry,
        maps: Vec<MapInfo>,
        links: LinkFacts,
    ) -> oxbpf_verifier::Env<'a> {
        oxbpf_verifier::Env {
            helpers,
            maps,
            map_loads: links.map_loads,
            settings: self.verifier.clone(),
            bounded_loops: links.bounded_loops,
        }
    }

    /// The helpers serving a program that uses `maps`: the standard ones over those maps, then
    /// this VM's, which take precedence.
    fn helpers_over(&self, maps: &MapSet) -> HelperRegistry {
        let mut helpers = HelperRegistry::new();
        oxbpf_helpers::standard::register(&mut helpers, maps, &self.host);
        for h in self.helpers.iter() {
            helpers.register_with_proto(h.id, &h.name, h.proto, h.func.clone());
        }
        helpers
    }

    /// Verifies `program` against this VM's helpers and verifier settings (no maps).
    pub fn verify(&self, program: &Program) -> Result<Verified, Error> {
        let env = self.env(&self.helpers, Vec::new(), LinkFacts::default());
        Ok(oxbpf_verifier::verify(program, &env)?)
    }

    /// [`verify`](Self::verify), also returning the states along the path the verifier took
    /// last (the failing one on a rejection), one line per instruction.
    pub fn verify_with_log(&self, program: &Program) -> (Result<Verified, Error>, Vec<String>) {
        let env = self.env(&self.helpers, Vec::new(), LinkFacts::default());
        let (r, lines) = oxbpf_verifier::verify_with_log(program, &env);
        (r.map_err(Error::from), lines)
    }

    /// Verifies (when [`Config::verify`] is on) and prepares an already checked program. It
    /// runs with the helpers registered now.
    pub fn load_program(&self, program: Program) -> Result<Loaded, Error> {
        let program = if self.config.verify {
            let proofs = self.verify(&program)?.proofs().clone();
            program.with_proofs(proofs)
        } else {
            program
        };
        let helpers = Arc::new(self.helpers.clone());
        let exe = self.backend.prepare(Arc::new(program), helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers,
            maps: MapSet::new(),
        })
    }

    /// Parses an eBPF ELF object as clang writes it and creates its maps (BTF-defined, legacy and
    /// global data); its programs then load with [`Object::load`] and share those maps.
    pub fn open_elf(&self, object: &[u8]) -> Result<Object, Error> {
        Object::open(object)
    }

    /// Loads the program `program` (a function or section name; `None` for the first) from an
    /// eBPF ELF object, with new maps: [`open_elf`](Self::open_elf) then [`Object::load`].
    pub fn load_elf(&self, object: &[u8], program: Option<&str>) -> Result<Loaded, Error> {
        self.open_elf(object)?.load(self, program)
    }

    /// Loads an AOT object written by [`aot::compile`] (or `oxbpf aot`), in this process or
    /// another: the program and configuration embedded in the object are rebuilt and checked
    /// against its hash, its architecture, CPU features and oxbpf version against this machine,
    /// and its code mapped without Cranelift. The VM's helpers serve its calls; its backend and
    /// configuration play no part.
    pub fn load_aot(&self, object: &[u8]) -> Result<Loaded, Error> {
        let program = Arc::new(aot::program_of(object, &self.helpers)?);
        let helpers = Arc::new(self.helpers.clone());
        let exe = aot::load(object, program, helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers,
            maps: MapSet::new(),
        })
    }
}

mod bundle;
mod host_maps;

pub use bundle::MBPF_RUN_HELPER;

/// An eBPF ELF object with its maps created: its programs load from it and share them, and the
/// host reaches them by name (global data by section name: `.rodata`, `.data`, `.bss`).
#[derive(Debug)]
pub struct Object {
    elf: ElfObject,
    maps: MapSet,
    /// The maps in the order of [`ElfObject::maps`].
    by_index: Vec<Arc<Map>>,
}

impl Object {
    /// Parses `bytes` and creates the maps.
    pub fn open(bytes: &[u8]) -> Result<Object, Error> {
        let elf = ElfObject::parse(bytes)?;
        let mut maps = MapSet::new();
        let mut by_index = Vec::new();
        for spec in elf.maps() {
            let map_err = |error| Error::Map {
                name: spec.name.clone(),
                error,
            };
            let map = Map::new(&spec.name, spec.def.clone()).map_err(map_err)?;
            if let Some(data) = &spec.data {
                // Global data: the section's bytes are the single value (at least one byte).
                let mut value = data.clone();
                value.resize(spec.def.value_size as usize, 0);
                map.update(&0u32.to_le_bytes(), &value, 0)
                    .map_err(map_err)?;
            }
            by_index.push(maps.add(map));
        }
        Ok(Object {
            elf,
            maps,
            by_index,
        })
    }

    /// The parsed object: programs, map definitions, relocations.
    pub fn elf(&self) -> &ElfObject {
        &self.elf
    }

    /// The programs.
    pub fn programs(&self) -> &[ProgramInfo] {
        self.elf.programs()
    }

    /// The maps.
    pub fn maps(&self) -> &MapSet {
        &self.maps
    }

    /// The map named `name`.
    pub fn map(&self, name: &str) -> Option<&Arc<Map>> {
        self.maps.get(name)
    }

    /// Links, checks and prepares program `program` (a function or section name; `None` for the
    /// first) on `vm`'s backend: its `lddw`s of maps load their handles, those of global data
    /// their addresses; the standard helpers serve these maps, and helpers registered on `vm`
    /// take precedence over them.
    pub fn load(&self, vm: &Vm, program: Option<&str>) -> Result<Loaded, Error> {
        let (mut program, helpers, loads) = self.link(vm, program)?;
        if vm.config.verify {
            let env = vm.env(&helpers, self.map_infos(), loads);
            let proofs = oxbpf_verifier::verify(&program, &env)?.proofs().clone();
            program = program.with_proofs(proofs);
        }
        let helpers = Arc::new(helpers);
        let exe = vm.backend.prepare(Arc::new(program), helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers,
            maps: self.maps.clone(),
        })
    }

    /// Verifies program `program` as [`load`](Self::load) would, whatever [`Config::verify`]
    /// says; with `log`, also returns the states along the path the verifier took last.
    pub fn verify(
        &self,
        vm: &Vm,
        program: Option<&str>,
        log: bool,
    ) -> (Result<Verified, Error>, Vec<String>) {
        let (program, helpers, loads) = match self.link(vm, program) {
            Ok(p) => p,
            Err(e) => return (Err(e), Vec::new()),
        };
        let env = vm.env(&helpers, self.map_infos(), loads);
        verify_logged(&program, &env, log)
    }

    /// Links and checks `program`: the program, the helpers serving it (the standard ones over
    /// these maps, then `vm`'s), and its `lddw`s of maps.
    fn link(
        &self,
        vm: &Vm,
        program: Option<&str>,
    ) -> Result<(Program, HelperRegistry, LinkFacts), Error> {
        let mut linked = self.elf.program(program)?;
        linked.fill_map_refs(|r| {
            let map = &self.by_index[r.map];
            match r.value_offset {
                Some(off) => map.value_addr(off).unwrap_or(0),
                None => map.handle(),
            }
        });
        let helpers = vm.helpers_over(&self.maps);
        let program = Program::from_bytes(&linked.bytecode, &vm.config, &helpers)?
            .with_shared(self.maps.regions());
        let facts = LinkFacts {
            map_loads: linked
                .map_refs
                .iter()
                .map(|r| MapLoad {
                    pc: r.insn,
                    map: r.map as u32,
                    value_offset: r.value_offset,
                })
                .collect(),
            bounded_loops: linked.bounded_loops,
        };
        Ok((program, helpers, facts))
    }

    /// The verifier's view of the maps, in the order of [`ElfObject::maps`].
    fn map_infos(&self) -> Vec<MapInfo> {
        self.elf
            .maps()
            .iter()
            .map(|m| map_info(&m.name, &m.def))
            .collect()
    }
}

/// Verifies `program` in `env`; with `log`, also returns the states along the path the
/// verifier took last.
fn verify_logged(
    program: &Program,
    env: &oxbpf_verifier::Env<'_>,
    log: bool,
) -> (Result<Verified, Error>, Vec<String>) {
    let (r, lines) = if log {
        oxbpf_verifier::verify_with_log(program, env)
    } else {
        (oxbpf_verifier::verify(program, env), Vec::new())
    };
    (r.map_err(Error::from), lines)
}

/// What linking tells the verifier: which `lddw`s load maps, and where the loops of `bpf_loop`
/// start.
#[derive(Default)]
struct LinkFacts {
    map_loads: Vec<MapLoad>,
    bounded_loops: Vec<usize>,
}

/// What the verifier needs to know of a map named `name` defined by `def`: the one place the
/// verifier's view of a map is made, whether it comes from an object, a bundle or the host.
pub(crate) fn map_info(name: &str, def: &MapDef) -> MapInfo {
    MapInfo {
        name: name.to_owned(),
        map_type: def.map_type as u32,
        key_size: def.key_size,
        value_size: def.value_size,
        read_only: def.flags & oxbpf_helpers::map::BPF_F_RDONLY_PROG != 0,
    }
}

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
        native_entry(&*self.exe)
    }

    /// The same program (with its proofs, helpers and maps) prepared on the backend named
    /// `backend`: compiled code for a program loaded on the interpreter, say.
    pub fn prepare_on(&self, backend: &str) -> Result<Loaded, Error> {
        let b = self::backend(backend).ok_or_else(|| Error::UnknownBackend(backend.to_owned()))?;
        let program = Arc::new(self.exe.program().clone());
        let exe = b.prepare(program, self.helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers: self.helpers.clone(),
            maps: self.maps.clone(),
        })
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
