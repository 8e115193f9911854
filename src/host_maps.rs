//! Raw bytecode that uses maps the host created: its `lddw`s of maps name them by position.

use crate::pipeline::Linked;
use crate::{Error, Loaded, MapSet, Vm};
use oxbpf_core::Insn;
use oxbpf_verifier::Verified;

impl Vm {
    /// Checks, verifies (when [`Config::verify`](crate::Config::verify) is on) and prepares
    /// `insns` that use the host's `maps`: an `lddw` of kind `map_fd N` or `map_idx N` loads the
    /// handle of the `N`-th map of `maps` (in the order added), `map_value`/`map_idx_value` the
    /// address of its value plus the offset in the high half. The standard helpers serve these
    /// maps; helpers registered on this VM take precedence.
    pub fn load_with_maps(&self, insns: Vec<Insn>, maps: &MapSet) -> Result<Loaded, Error> {
        self.load_linked(self.link_host_maps(insns, maps)?)
    }

    /// Verifies `insns` as [`load_with_maps`](Self::load_with_maps) would, whatever
    /// [`Config::verify`](crate::Config::verify) says; with `log`, also returns the states along
    /// the path the verifier took last.
    pub fn verify_with_maps(
        &self,
        insns: Vec<Insn>,
        maps: &MapSet,
        log: bool,
    ) -> (Result<Verified, Error>, Vec<String>) {
        match self.link_host_maps(insns, maps) {
            Ok(linked) => self.verify_linked(&linked, log),
            Err(e) => (Err(e), Vec::new()),
        }
    }

    /// Resolves the `lddw`s of maps, checks the program and builds its helpers.
    pub(crate) fn link_host_maps(&self, insns: Vec<Insn>, maps: &MapSet) -> Result<Linked, Error> {
        let helpers = self.serving(if maps.is_empty() {
            self.helpers().clone()
        } else {
            self.helpers_over(maps)
        });
        self.link_over_maps(insns, maps, helpers, Vec::new())
    }
}
