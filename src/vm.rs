//! [`Vm`]: a backend, a configuration, helpers and verifier settings, from which programs load.

use crate::pipeline::Linked;
use crate::{
    ContextSpec, Error, HostEnv, Loaded, MapSet, Object, ProgramType, Proto, Verified,
    VerifierSettings, aot,
};
use oxbpf_core::{Backend, Config, HelperContext, HelperRegistry, HelperResult, Program};
use std::sync::Arc;

/// A virtual machine: a backend, a configuration and registered helpers, from which programs are
/// loaded.
pub struct Vm {
    backend: Arc<dyn Backend>,
    config: Config,
    helpers: HelperRegistry,
    host: HostEnv,
    verifier: VerifierSettings,
    /// The program type the host chose for every program, over what an object's sections say.
    program_type: Option<ProgramType>,
    /// Whether an ELF program's section gives it its type (when the host chose none).
    section_types: bool,
    /// What a call to a Linux helper no one implements does.
    missing_helpers: MissingHelpers,
}

/// What becomes of a program calling a helper of Linux's catalogue
/// ([`catalogue`](crate::catalogue)) that neither oxbpf nor the host implements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingHelpers {
    /// The program does not load: an error naming the helper (the default).
    #[default]
    Refuse,
    /// The program loads, verified against Linux's prototype of the helper; a call to it traps
    /// at run time with an error naming it. For a host that knows the path is not taken, or
    /// that only verifies.
    Trap,
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
        let b = crate::backend(backend).ok_or_else(|| Error::UnknownBackend(backend.to_owned()))?;
        Ok(Vm {
            backend: b,
            config,
            helpers: HelperRegistry::new(),
            host: HostEnv::default(),
            verifier: VerifierSettings::default(),
            program_type: None,
            section_types: true,
            missing_helpers: MissingHelpers::Refuse,
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
        let helpers = self.serving(self.helpers.clone());
        let program = Program::from_bytes(bytes, &self.config, &helpers)?;
        self.load_linked(Linked::alone(program, helpers))
    }

    /// Assembles, checks and prepares assembly text.
    pub fn load_asm(&self, source: &str) -> Result<Loaded, Error> {
        let helpers = self.serving(self.helpers.clone());
        let program = Program::from_asm(source, &self.config, &helpers)?;
        self.load_linked(Linked::alone(program, helpers))
    }

    /// What a call to a Linux helper that neither oxbpf nor the host implements does
    /// ([`MissingHelpers::Refuse`] by default).
    pub fn set_missing_helpers(&mut self, m: MissingHelpers) {
        self.missing_helpers = m;
    }

    /// The policy [`set_missing_helpers`](Self::set_missing_helpers) chose.
    pub fn missing_helpers(&self) -> MissingHelpers {
        self.missing_helpers
    }

    /// The helpers a program this VM loads without maps may call: those registered, and under
    /// [`MissingHelpers::Trap`] stand-ins for the rest of Linux's catalogue. A host that checks
    /// programs itself ([`Program::from_bytes`]) checks them against these.
    pub fn program_helpers(&self) -> HelperRegistry {
        self.serving(self.helpers.clone())
    }

    /// `helpers`, and under [`MissingHelpers::Trap`] a stand-in for every helper of Linux's
    /// catalogue they lack: registered under its Linux name without a prototype (so the
    /// verifier checks calls against Linux's), failing every call with an error naming it.
    pub(crate) fn serving(&self, mut helpers: HelperRegistry) -> HelperRegistry {
        if self.missing_helpers == MissingHelpers::Trap {
            for l in (1..).map_while(crate::catalogue::helper) {
                if !helpers.contains(l.id) {
                    let name = l.name;
                    helpers.register(l.id, name, move |_, _| {
                        Err(oxbpf_core::HelperStop::Error(format!(
                            "Linux's `bpf_{name}` is not implemented by this host"
                        )))
                    });
                }
            }
        }
        helpers
    }

    /// The verifier's settings (used when [`Config::verify`] is on).
    pub fn verifier_mut(&mut self) -> &mut VerifierSettings {
        &mut self.verifier
    }

    /// Makes every program this VM loads a program of type `t`: the verifier checks its
    /// context as the type's structure ([`ContextSpec::of_type`]), whatever the sections of an
    /// object say. `None` undoes it: an ELF program's section gives its type (see
    /// [`use_section_types`](Self::use_section_types)), other programs get raw memory.
    pub fn set_program_type(&mut self, t: Option<ProgramType>) {
        self.program_type = t;
        if let Some(t) = t {
            add_type_helpers(&mut self.helpers, t);
        }
        self.verifier.context = match t {
            Some(t) => ContextSpec::of_type(t, None),
            None => ContextSpec::raw_memory(),
        };
    }

    /// The program type the host chose ([`set_program_type`](Self::set_program_type)).
    pub fn program_type(&self) -> Option<ProgramType> {
        self.program_type
    }

    /// Whether an ELF program's section name gives its type, as libbpf's `SEC()` names do
    /// (`xdp`, `tc`, `kprobe/...`; on by default). Off, ELF programs get the context the
    /// verifier settings describe (raw memory by default) unless the host chose a type.
    pub fn use_section_types(&mut self, on: bool) {
        self.section_types = on;
    }

    /// Whether sections give ELF programs their types.
    pub fn section_types(&self) -> bool {
        self.section_types
    }

    /// The verifier's settings.
    pub(crate) fn verifier_settings(&self) -> &VerifierSettings {
        &self.verifier
    }

    /// The backend, shared.
    pub(crate) fn backend_arc(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// The host environment the standard helpers report.
    #[cfg(feature = "mbpf")]
    pub(crate) fn host_env(&self) -> &HostEnv {
        &self.host
    }

    /// The helpers serving a program that uses `maps`: the standard ones over those maps, then
    /// this VM's, which take precedence.
    pub(crate) fn helpers_over(&self, maps: &MapSet) -> HelperRegistry {
        let mut helpers = HelperRegistry::new();
        oxbpf_helpers::standard::register(&mut helpers, maps, &self.host);
        for h in self.helpers.iter() {
            helpers.register_with_proto(h.id, &h.name, h.proto, h.func.clone());
        }
        helpers
    }

    /// Verifies `program` against this VM's helpers and verifier settings (no maps).
    pub fn verify(&self, program: &Program) -> Result<Verified, Error> {
        self.verify_with_log_if(program, false).0
    }

    /// [`verify`](Self::verify), also returning the states along the path the verifier took
    /// last (the failing one on a rejection), one line per instruction.
    pub fn verify_with_log(&self, program: &Program) -> (Result<Verified, Error>, Vec<String>) {
        self.verify_with_log_if(program, true)
    }

    /// [`verify`](Self::verify), with the log when `log` is set.
    fn verify_with_log_if(
        &self,
        program: &Program,
        log: bool,
    ) -> (Result<Verified, Error>, Vec<String>) {
        let linked = Linked::alone(program.clone(), self.serving(self.helpers.clone()));
        self.verify_linked(&linked, log)
    }

    /// Verifies (when [`Config::verify`] is on) and prepares an already checked program. It
    /// runs with the helpers registered now.
    pub fn load_program(&self, program: Program) -> Result<Loaded, Error> {
        self.load_linked(Linked::alone(program, self.serving(self.helpers.clone())))
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
        let helpers = self.serving(self.helpers.clone());
        let program = Arc::new(aot::program_of(object, &helpers)?);
        let helpers = Arc::new(helpers);
        let exe = aot::load(object, program, helpers.clone())?;
        Ok(Loaded::new(exe.into(), helpers, MapSet::new()))
    }
}

/// Adds to `helpers` the helpers oxbpf implements for programs of type `t` that `helpers` lacks
/// (the host's take precedence): for a packet type, the packet helpers
/// ([`oxbpf_helpers::standard::register_packet`]).
pub(crate) fn add_type_helpers(helpers: &mut HelperRegistry, t: ProgramType) {
    let mut own = HelperRegistry::new();
    oxbpf_helpers::standard::register_packet(&mut own, t);
    for h in own.iter() {
        if !helpers.contains(h.id) {
            helpers.register_with_proto(h.id, &h.name, h.proto, h.func.clone());
        }
    }
}
