//! [`Object`]: an eBPF ELF object with its maps created, from which its programs load.

use crate::pipeline::Linked;
use crate::{ElfObject, Error, LoadError, Loaded, Map, MapSet, ProgramInfo, Verified, Vm};
use std::sync::Arc;

/// An eBPF ELF object with its maps created: its programs load from it and share them, and the
/// host reaches them by name (global data by section name: `.rodata`, `.data`, `.bss`).
#[derive(Debug)]
pub struct Object {
    elf: ElfObject,
    /// The maps, in the order of [`ElfObject::maps`] (the indexes its `lddw`s name).
    maps: MapSet,
}

impl Object {
    /// Parses `bytes` and creates the maps.
    pub fn open(bytes: &[u8]) -> Result<Object, Error> {
        let elf = ElfObject::parse(bytes)?;
        let mut maps = MapSet::new();
        for spec in elf.maps() {
            let map_err = |error| Error::Map {
                name: spec.name().to_owned(),
                error,
            };
            let map = Map::new(spec.def.clone()).map_err(map_err)?;
            if let Some(data) = &spec.data {
                // Global data: the section's bytes are the single value (at least one byte).
                let mut value = data.clone();
                value.resize(spec.def.value_size as usize, 0);
                map.update(&0u32.to_le_bytes(), &value, 0)
                    .map_err(map_err)?;
            }
            maps.add(map);
        }
        Ok(Object { elf, maps })
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
        let insns = oxbpf_core::isa::decode(&linked.bytecode).map_err(LoadError::from)?;
        let helpers = vm.helpers_over(&self.maps);
        vm.link_over_maps(insns, &self.maps, helpers, linked.bounded_loops)
    }
}
