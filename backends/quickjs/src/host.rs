//! The lifecycle of bundle programs, as microBPF's runtime has it: load, attach to the hook the
//! manifest names, run every program attached to a hook (the last one's return code wins),
//! detach, hot update with map preservation, unload.

use crate::{Failure, HookInput, Instance, JsError, RunResult};
use oxbpf_loader::mbpf::Bundle;
use oxbpf_loader::mbpf::manifest::Hook;

/// A loaded program's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgramId(u32);

/// What happens to a program's maps when it is updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapPolicy {
    /// Keep them, if every map of the new version matches one of the old by name, type, key
    /// size and value size; otherwise (as the reference) all are created anew.
    Preserve,
    /// Create them anew.
    Reset,
}

/// Why a lifecycle step was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// No such program (never loaded, or unloaded).
    #[error("no program {0:?}")]
    Unknown(ProgramId),
    /// Attaching to a hook other than the manifest's.
    #[error("the program is for the {expected} hook, not {got}")]
    WrongHook {
        /// The manifest's hook.
        expected: &'static str,
        /// The hook asked for.
        got: &'static str,
    },
    /// Attaching a program that is attached.
    #[error("the program is already attached")]
    AlreadyAttached,
    /// Detaching a program that is not attached.
    #[error("the program is not attached")]
    NotAttached,
    /// Updating a program that is attached.
    #[error("detach the program before updating it")]
    UpdateWhileAttached,
    /// The new version does not load.
    #[error(transparent)]
    Load(#[from] JsError),
}

struct Slot {
    id: ProgramId,
    instance: Instance,
    attached: bool,
}

/// The programs of one host.
#[derive(Default)]
pub struct Host {
    slots: Vec<Slot>,
    next: u32,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("programs", &self.slots.len())
            .finish()
    }
}

impl Host {
    /// A host with no programs.
    pub fn new() -> Host {
        Host::default()
    }

    fn slot(&mut self, id: ProgramId) -> Result<&mut Slot, LifecycleError> {
        self.slots
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(LifecycleError::Unknown(id))
    }

    /// Loads a bundle (its top level and `mbpf_init()` run); not attached yet.
    pub fn load(&mut self, bundle: &Bundle) -> Result<ProgramId, LifecycleError> {
        let instance = Instance::new(bundle)?;
        let id = ProgramId(self.next);
        self.next += 1;
        self.slots.push(Slot {
            id,
            instance,
            attached: false,
        });
        Ok(id)
    }

    /// The program's instance (its maps, logs, emitted records).
    pub fn instance(&mut self, id: ProgramId) -> Result<&mut Instance, LifecycleError> {
        Ok(&mut self.slot(id)?.instance)
    }

    /// Attaches a program to `hook`, which must be its manifest's; once.
    pub fn attach(&mut self, id: ProgramId, hook: Hook) -> Result<(), LifecycleError> {
        let slot = self.slot(id)?;
        let expected = slot.instance.manifest().hook;
        if expected != hook {
            return Err(LifecycleError::WrongHook {
                expected: expected.name(),
                got: hook.name(),
            });
        }
        if slot.attached {
            return Err(LifecycleError::AlreadyAttached);
        }
        slot.attached = true;
        Ok(())
    }

    /// Detaches a program.
    pub fn detach(&mut self, id: ProgramId) -> Result<(), LifecycleError> {
        let slot = self.slot(id)?;
        if !slot.attached {
            return Err(LifecycleError::NotAttached);
        }
        slot.attached = false;
        Ok(())
    }

    /// Runs every program attached to `input`'s hook, in load order; the last one's result
    /// wins. With none attached, the return code is 0.
    pub fn run(&mut self, input: &HookInput) -> RunResult {
        let mut last = RunResult {
            rc: 0,
            failure: None,
        };
        for slot in self
            .slots
            .iter_mut()
            .filter(|s| s.attached && s.instance.manifest().hook == input.hook)
        {
            last = slot.instance.run(input);
        }
        last
    }

    /// Replaces a detached program with a new version; under [`MapPolicy::Preserve`] its maps
    /// carry over when every new map matches an old one. The old version's `mbpf_fini()` runs
    /// once the new one has loaded; on failure the old version stays.
    pub fn update(
        &mut self,
        id: ProgramId,
        bundle: &Bundle,
        policy: MapPolicy,
    ) -> Result<Option<Failure>, LifecycleError> {
        let slot = self.slot(id)?;
        if slot.attached {
            return Err(LifecycleError::UpdateWhileAttached);
        }
        let old_maps = slot.instance.maps();
        let keep = policy == MapPolicy::Preserve
            && bundle.manifest.maps.iter().all(|d| {
                old_maps
                    .get(&d.name)
                    .is_some_and(|m| crate::maps::serves(m, d))
            });
        let new = if keep {
            let mut maps = oxbpf_helpers::MapSet::new();
            for d in &bundle.manifest.maps {
                if let Some(m) = old_maps.get(&d.name) {
                    maps.insert(m.clone());
                }
                if let Some(w) = old_maps.get(&oxbpf_loader::mbpf::runtime::written_name(&d.name)) {
                    maps.insert(w.clone());
                }
            }
            Instance::with_maps(bundle, maps)?
        } else {
            Instance::new(bundle)?
        };
        let old = std::mem::replace(&mut slot.instance, new);
        Ok(old.unload())
    }

    /// Unloads a program (attached or not), running `mbpf_fini()`; what it reported, if it
    /// failed.
    pub fn unload(&mut self, id: ProgramId) -> Result<Option<Failure>, LifecycleError> {
        let i = self
            .slots
            .iter()
            .position(|s| s.id == id)
            .ok_or(LifecycleError::Unknown(id))?;
        Ok(self.slots.remove(i).instance.unload())
    }
}
