//! [`Object`]: an eBPF ELF object with its maps created, from which its programs load.

use crate::pipeline::{LinkFacts, Linked, map_infos, resolve_map_loads};
use crate::{ElfObject, Error, LoadError, Loaded, Map, MapLoad, MapSet, ProgramInfo, Verified, Vm};
use oxbpf_core::Program;
use std::sync::Arc;

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
        vm.load_linked(self.link(vm, program)?)
    }

    /// Verifies program `program` as [`load`](Self::load) would, whatever
    /// [`Config::verify`](crate::Config::verify) says; with `log`, also returns the states
    /// along the path the verifier took last.
    pub fn verify(
        &self,
        vm: &Vm,
        program: Option<&str>,
        log: bool,
    ) -> (Result<Verified, Error>, Vec<String>) {
        match self.link(vm, program) {
            Ok(linked) => vm.verify_linked(&linked, log),
            Err(e) => (Err(e), Vec::new()),
        }
    }

    /// Links and checks `program`: the program, the helpers serving it (the standard ones over
    /// these maps, then `vm`'s), and its `lddw`s of maps.
    fn link(&self, vm: &Vm, program: Option<&str>) -> Result<Linked, Error> {
        let linked = self.elf.program(program)?;
        let map_loads: Vec<MapLoad> = linked
            .map_refs
            .iter()
            .map(|r| MapLoad {
                pc: r.insn,
                map: r.map as u32,
                value_offset: r.value_offset,
            })
            .collect();
        let mut insns = oxbpf_core::isa::decode(&linked.bytecode).map_err(LoadError::from)?;
        let by_index: Vec<&Arc<Map>> = self.by_index.iter().collect();
        resolve_map_loads(&mut insns, &map_loads, &by_index)?;
        let helpers = vm.helpers_over(&self.maps);
        let program =
            Program::from_insns(insns, vm.config(), &helpers)?.with_shared(self.maps.regions());
        let facts = LinkFacts {
            map_loads,
            bounded_loops: linked.bounded_loops,
        };
        Ok(Linked {
            program,
            helpers,
            maps: self.maps.clone(),
            map_infos: map_infos(&self.by_index),
            facts,
        })
    }
}
