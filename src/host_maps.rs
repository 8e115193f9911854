//! Raw bytecode that uses maps the host created: its `lddw`s of maps name them by position.

use crate::pipeline::{LinkFacts, Linked, map_infos, resolve_map_loads};
use crate::{Error, Loaded, Map, MapSet, Vm};
use oxbpf_core::isa::Imm64Kind;
use oxbpf_core::{Insn, Program};
use oxbpf_verifier::{MapLoad, Verified};
use std::sync::Arc;

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
    pub(crate) fn link_host_maps(
        &self,
        mut insns: Vec<Insn>,
        maps: &MapSet,
    ) -> Result<Linked, Error> {
        let map_loads = map_loads(&insns);
        let by_index: Vec<&Arc<Map>> = maps.iter().collect();
        resolve_map_loads(&mut insns, &map_loads, &by_index)?;
        let helpers = if maps.is_empty() {
            self.helpers().clone()
        } else {
            self.helpers_over(maps)
        };
        let program =
            Program::from_insns(insns, self.config(), &helpers)?.with_shared(maps.regions());
        Ok(Linked {
            program,
            helpers,
            maps: maps.clone(),
            map_infos: map_infos(maps.iter()),
            facts: LinkFacts {
                map_loads,
                bounded_loops: Vec::new(),
            },
        })
    }
}

/// The `lddw`s of maps in `insns`, by the map's position in the host's set (`map_fd N` or
/// `map_idx N`, and their value forms with the offset in the high half).
fn map_loads(insns: &[Insn]) -> Vec<MapLoad> {
    insns
        .iter()
        .enumerate()
        .filter_map(|(pc, insn)| {
            let Insn::LoadImm64 { kind, imm, .. } = *insn else {
                return None;
            };
            let value_form = match kind {
                Imm64Kind::MapFd | Imm64Kind::MapIdx => false,
                Imm64Kind::MapValue | Imm64Kind::MapIdxValue => true,
                _ => return None,
            };
            Some(MapLoad {
                pc,
                // Beyond u32: an index no set has (the resolution names it).
                map: u32::try_from(imm & 0xffff_ffff).unwrap_or(u32::MAX),
                value_offset: value_form.then_some((imm >> 32) as u32),
            })
        })
        .collect()
}
