//! Raw bytecode that uses maps the host created: its `lddw`s of maps name them by position.

use crate::{Error, Loaded, MapSet, Vm};
use oxbpf_core::isa::Imm64Kind;
use oxbpf_core::{Insn, Program};
use oxbpf_verifier::{MapInfo, MapLoad, Verified};
use std::sync::Arc;

impl Vm {
    /// Checks, verifies (when [`Config::verify`](crate::Config::verify) is on) and prepares
    /// `insns` that use the host's `maps`: an `lddw` of kind `map_fd N` or `map_idx N` loads the
    /// handle of the `N`-th map of `maps` (in the order added), `map_value`/`map_idx_value` the
    /// address of its value plus the offset in the high half. The standard helpers serve these
    /// maps; helpers registered on this VM take precedence.
    pub fn load_with_maps(&self, insns: Vec<Insn>, maps: &MapSet) -> Result<Loaded, Error> {
        let (program, helpers, loads) = self.link_host_maps(insns, maps)?;
        let program = if self.config.verify {
            let env = self.env(&helpers, map_infos(maps), link_facts(loads));
            let proofs = oxbpf_verifier::verify(&program, &env)?.proofs().clone();
            program.with_proofs(proofs)
        } else {
            program
        };
        let helpers = Arc::new(helpers);
        let exe = self.backend.prepare(Arc::new(program), helpers.clone())?;
        Ok(Loaded {
            exe: exe.into(),
            helpers,
            maps: maps.clone(),
        })
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
        let (program, helpers, loads) = match self.link_host_maps(insns, maps) {
            Ok(p) => p,
            Err(e) => return (Err(e), Vec::new()),
        };
        let env = self.env(&helpers, map_infos(maps), link_facts(loads));
        crate::verify_logged(&program, &env, log)
    }

    /// Resolves the `lddw`s of maps, checks the program and builds its helpers.
    fn link_host_maps(
        &self,
        mut insns: Vec<Insn>,
        maps: &MapSet,
    ) -> Result<(Program, oxbpf_core::HelperRegistry, Vec<MapLoad>), Error> {
        let loads = resolve_maps(&mut insns, maps)?;
        let helpers = if maps.is_empty() {
            self.helpers.clone()
        } else {
            self.helpers_over(maps)
        };
        let program =
            Program::from_insns(insns, &self.config, &helpers)?.with_shared(maps.regions());
        Ok((program, helpers, loads))
    }
}

fn link_facts(map_loads: Vec<MapLoad>) -> crate::LinkFacts {
    crate::LinkFacts {
        map_loads,
        bounded_loops: Vec::new(),
    }
}

/// The verifier's view of the host's maps, in order.
fn map_infos(maps: &MapSet) -> Vec<MapInfo> {
    maps.iter()
        .map(|m| crate::map_info(m.name(), m.def()))
        .collect()
}

/// Turns every `lddw` of a map into a plain constant (the map's handle or value address) and
/// returns what the verifier needs to know of them.
fn resolve_maps(insns: &mut [Insn], maps: &MapSet) -> Result<Vec<MapLoad>, Error> {
    let mut loads = Vec::new();
    for (pc, insn) in insns.iter_mut().enumerate() {
        let Insn::LoadImm64 { kind, imm, .. } = insn else {
            continue;
        };
        let value_form = match kind {
            Imm64Kind::MapFd | Imm64Kind::MapIdx => false,
            Imm64Kind::MapValue | Imm64Kind::MapIdxValue => true,
            _ => continue,
        };
        let index = *imm & 0xffff_ffff;
        let offset = (*imm >> 32) as u32;
        let unknown = Error::UnknownMap {
            pc,
            index,
            count: maps.len(),
        };
        let map = maps.iter().nth(index as usize).ok_or(unknown)?;
        let value = if value_form {
            map.value_addr(offset)
                .ok_or_else(|| Error::NoValueAddress {
                    pc,
                    map: map.name().to_owned(),
                    offset,
                })?
        } else {
            map.handle()
        };
        loads.push(MapLoad {
            pc,
            map: index as u32,
            value_offset: value_form.then_some(offset),
        });
        *kind = Imm64Kind::Value;
        *imm = value;
    }
    Ok(loads)
}
