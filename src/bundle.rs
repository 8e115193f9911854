//! `.mbpf` bundles through the same entry as every program: [`Vm::load_bundle`] gives a
//! [`Loaded`] that runs on the VM's backend behind the same [`Executable`](crate::Executable)
//! trait, with the same traps.
//!
//! A run's memory (`r1`, `r2`) is the hook's context blob
//! ([`HookInput::to_blob`](oxbpf_loader::mbpf::hook::HookInput::to_blob): the hook's fields,
//! then the data), and `r0` the hook's return code as an unsigned 32-bit number.
//!
//! - A bundle that carries lowered eBPF (section `EBPF_TEXT`, written by `oxbpf mbpf build
//!   --lower`) runs it: the text itself under a trusted signature, or, unsigned, the lowering of
//!   its source done again here (as QuickJS bytecode is only taken from a trusted signature).
//!   It runs under the bundle's instruction budget ([`oxbpf_lower::instruction_budget`], or
//!   the VM's if smaller), is verified like any program but for its loops, which are proven
//!   safe for any number of iterations (`Termination::Budget`), and shares the maps of the
//!   bundle's QuickJS instance, which ran the top level and `mbpf_init()`.
//! - Any other bundle loads as two instructions, `call MBPF_RUN; exit`: helper
//!   [`MBPF_RUN_HELPER`] reads the blob (bounds-checked, as any helper reads program memory),
//!   runs the JavaScript on QuickJS and returns the return code. Runs of one bundle take turns
//!   (one QuickJS runtime per program instance).
//!
//! Either way, `mbpf.log` lines go to the VM's trace sink ([`HostEnv::trace`](crate::HostEnv),
//! standard error by default), and `mbpf.emit` records to the bundle's emit ring
//! ([`EMIT_RING`](oxbpf_loader::mbpf::runtime::EMIT_RING) in [`Loaded::maps`]).

use crate::pipeline::Linked;
use crate::{Access, Error, HelperStop, Loaded, MapSet, Program, Termination, Vm};
use oxbpf_core::Insn;
use oxbpf_loader::mbpf::hook::HookInput;
use oxbpf_loader::mbpf::manifest::Manifest;
use oxbpf_loader::mbpf::{Bundle, LoadPolicy, Payload};
use oxbpf_quickjs::Instance;
use std::sync::{Arc, Mutex};

/// The id of the helper that runs a bundle's JavaScript ("MBPF").
pub const MBPF_RUN_HELPER: u32 = 0x4d42_5046;

impl Vm {
    /// Opens a bundle under `policy` (CRCs, signature, manifest; see
    /// [`Bundle::open`]), loads its JavaScript on QuickJS (top level, `mbpf_init()`), and
    /// prepares it to run on this VM's backend: lowered to eBPF when the bundle carries a
    /// lowering, on QuickJS otherwise (see the module docs).
    pub fn load_bundle(&self, bytes: &[u8], policy: &LoadPolicy) -> Result<Loaded, Error> {
        let bundle = Bundle::open(bytes, policy)?;
        self.load_opened_bundle(&bundle)
    }

    /// [`load_bundle`](Self::load_bundle) for a bundle already opened.
    pub fn load_opened_bundle(&self, bundle: &Bundle) -> Result<Loaded, Error> {
        let instance = Instance::new(bundle)?;
        let maps = instance.maps().clone();
        if let Some(insns) = lowered_text(self, bundle)? {
            // The lowered code links against the lowering's maps; the bundle's are its maps.
            let mut linked = self.link_lowered(insns, &maps, &bundle.manifest)?;
            linked.maps = maps;
            return self.load_linked(linked);
        }
        self.load_on_quickjs(bundle, instance)
    }

    /// Lowers the entry function of `bytecode` (a bundle's, with `manifest`) to eBPF and
    /// verifies the result as a load would: what `oxbpf mbpf build --lower` stores. An error
    /// names why it was not lowered (the lowering's reason, or the verifier's).
    pub fn lower_bundle(&self, bytecode: &[u8], manifest: &Manifest) -> Result<Vec<Insn>, Error> {
        let insns =
            oxbpf_lower::lower(bytecode, manifest).map_err(|e| Error::Lowered(e.to_string()))?;
        let maps = oxbpf_quickjs::maps::create(&manifest.maps)
            .map_err(|(name, e)| Error::Lowered(format!("map {name}: {e}")))?;
        let linked = self.link_lowered(insns.clone(), &maps, manifest)?;
        self.verify_linked(&linked, false).0?;
        Ok(insns)
    }

    /// Links lowered code against the lowering's maps over `maps` (the bundle's): its runs get
    /// the bundle's instruction budget ([`oxbpf_lower::instruction_budget`]), so its loops are
    /// verified safe for any number of iterations ([`Termination::Budget`]) rather than walked
    /// to their ends.
    fn link_lowered(
        &self,
        insns: Vec<Insn>,
        maps: &MapSet,
        manifest: &Manifest,
    ) -> Result<Linked, Error> {
        let set = oxbpf_lower::lowered_maps(maps, manifest)
            .map_err(|e| Error::Lowered(format!("map: {e}")))?;
        let mut linked = self.link_host_maps(insns, &set)?;
        linked.program = linked
            .program
            .with_budget(oxbpf_lower::instruction_budget(manifest));
        linked.termination = Some(Termination::Budget);
        Ok(linked)
    }

    /// The bundle on QuickJS, behind the run helper.
    fn load_on_quickjs(&self, bundle: &Bundle, instance: Instance) -> Result<Loaded, Error> {
        let maps = instance.maps().clone();
        let hook = bundle.manifest.hook;
        let default = hook.default_return() as u32;
        let instance = Arc::new(Mutex::new(instance));
        let trace = self.host_env().trace.clone();
        let mut helpers = self.serving(self.helpers().clone());
        helpers.register(MBPF_RUN_HELPER, "mbpf_run", move |hc, [addr, len, ..]| {
            if !hc.memory.contains(addr, len, Access::Read) {
                return Err(HelperStop::Error(format!(
                    "the context ({len} bytes at {addr:#x}) is not readable"
                )));
            }
            let mut blob = vec![0; len as usize];
            hc.memory
                .read(addr, &mut blob)
                .map_err(|f| HelperStop::Error(f.to_string()))?;
            // A blob shorter than the hook's fields: the hook's default, as the lowered code.
            let Some(input) = HookInput::from_blob(hook, &blob) else {
                return Ok(u64::from(default));
            };
            let mut js = instance.lock().unwrap_or_else(|e| e.into_inner());
            let result = js.run(&input);
            // `mbpf.log` lines go where the lowered code's `trace_printk` lines go.
            for line in js.take_logs() {
                trace(&line);
            }
            Ok(u64::from(result.rc as u32))
        });
        // The run helper does the work: the program only calls it (it is not verified, as it
        // is not the bundle's code).
        let insns = vec![
            Insn::Call {
                helper: MBPF_RUN_HELPER,
            },
            Insn::Exit,
        ];
        let program = Program::from_insns(insns, self.config(), &helpers)?;
        Loaded::prepare(self.backend_arc(), program, Arc::new(helpers), maps)
    }
}

/// The lowered eBPF a bundle runs, if it carries a lowering: the stored text under a trusted
/// signature; otherwise its source lowered and verified again (`None` when it no longer lowers
/// or the verifier rejects the lowering: the bundle then runs on QuickJS).
fn lowered_text(vm: &Vm, bundle: &Bundle) -> Result<Option<Vec<Insn>>, Error> {
    let Some(text) = &bundle.ebpf else {
        return Ok(None);
    };
    if bundle.signed {
        return oxbpf_core::isa::decode(text)
            .map(Some)
            .map_err(|e| Error::Lowered(e.to_string()));
    }
    let bytecode = match &bundle.payload {
        Payload::Bytecode(b) => b.clone(),
        Payload::Source(s) => oxbpf_quickjs::compile(s, &bundle.manifest.entry)?,
    };
    Ok(vm.lower_bundle(&bytecode, &bundle.manifest).ok())
}
