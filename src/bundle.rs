//! `.mbpf` bundles through the same entry as every program: [`Vm::load_bundle`] gives a
//! [`Loaded`] that runs on the VM's backend behind the same [`Executable`](crate::Executable)
//! trait, with the same budgets and traps.
//!
//! The program a bundle loads as is two instructions, `call MBPF_RUN; exit`: helper
//! [`MBPF_RUN_HELPER`] reads the context the program was given (bounds-checked, as any helper
//! reads program memory), runs the bundle's JavaScript on it as its hook's data, and returns
//! the hook's return code, which the program returns. Runs of one bundle take turns (one
//! QuickJS runtime per program instance); its maps are the `Loaded`'s.

use crate::{Access, Error, HelperStop, Loaded, Program, Vm};
use oxbpf_loader::mbpf::{Bundle, LoadPolicy};
use oxbpf_quickjs::{HookInput, Instance};
use std::sync::{Arc, Mutex};

/// The id of the helper that runs a bundle's JavaScript ("MBPF").
pub const MBPF_RUN_HELPER: u32 = 0x4d42_5046;

impl Vm {
    /// Opens a bundle under `policy` (CRCs, signature, manifest; see
    /// [`Bundle::open`]), loads its JavaScript on QuickJS (top level, `mbpf_init()`), and
    /// prepares it to run on this VM's backend: each run hands the context bytes to the hook as
    /// its data and returns the hook's return code (as an unsigned 32-bit `r0`).
    pub fn load_bundle(&self, bytes: &[u8], policy: &LoadPolicy) -> Result<Loaded, Error> {
        let bundle = Bundle::open(bytes, policy)?;
        self.load_opened_bundle(&bundle)
    }

    /// [`load_bundle`](Self::load_bundle) for a bundle already opened.
    pub fn load_opened_bundle(&self, bundle: &Bundle) -> Result<Loaded, Error> {
        let instance = Instance::new(bundle)?;
        let maps = instance.maps().clone();
        let hook = bundle.manifest.hook;
        let instance = Arc::new(Mutex::new(instance));
        let mut helpers = self.helpers.clone();
        helpers.register(MBPF_RUN_HELPER, "mbpf_run", move |hc, [addr, len, ..]| {
            if !hc.memory.contains(addr, len, Access::Read) {
                return Err(HelperStop::Error(format!(
                    "the context ({len} bytes at {addr:#x}) is not readable"
                )));
            }
            let mut data = vec![0; len as usize];
            hc.memory
                .read(addr, &mut data)
                .map_err(|f| HelperStop::Error(f.to_string()))?;
            let mut js = instance.lock().unwrap_or_else(|e| e.into_inner());
            let result = js.run(&HookInput::new(hook, data));
            Ok(u64::from(result.rc as u32))
        });
        let program = Program::from_asm(
            &format!("call {MBPF_RUN_HELPER}\nexit"),
            &self.config,
            &helpers,
        )?;
        let helpers = Arc::new(helpers);
        let exe = self.backend.prepare(Arc::new(program), helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers,
            maps,
        })
    }
}
