//! [`Object`]: an eBPF ELF object with its maps created, from which its programs load.

use crate::pipeline::Linked;
use crate::{
    ContextSpec, ElfObject, Error, Kconfig, LoadError, Loaded, Map, MapError, MapInit, MapSet,
    ProgramInfo, ProgramType, Verified, Vm,
};
use std::sync::Arc;

/// An eBPF ELF object with its maps created: its programs load from it and share them, and the
/// host reaches them by name (global data by section name: `.rodata`, `.data`, `.bss`).
#[derive(Debug)]
pub struct Object {
    elf: ElfObject,
    /// The maps, in the order of [`ElfObject::maps`] (the indexes its `lddw`s name).
    maps: MapSet,
}

/// `def`, an array of no entries given one per CPU: objects that leave an array's size to their
/// loader (Falco's per-CPU scratch arrays, indexed by `get_smp_processor_id`) get the size
/// those loaders give it, as libbpf sizes a perf event array of no entries.
fn sized_by_loader(mut def: crate::MapDef) -> crate::MapDef {
    use crate::MapType;
    if def.max_entries == 0 && matches!(def.map_type, MapType::Array | MapType::PercpuArray) {
        def.max_entries = oxbpf_helpers::cpu::count();
    }
    def
}

/// What a host decides when it opens an object, as libbpf's users do between
/// `bpf_object__open` and `bpf_object__load`: the values of the object's `extern ... __kconfig`
/// variables, and the sizes of maps (`bpf_map__set_max_entries`), which tools set for the maps
/// whose size they leave to run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    kconfig: Kconfig,
    max_entries: Vec<(String, u32)>,
    value_size: Vec<(String, u32)>,
}

impl Default for OpenOptions {
    /// This machine's `__kconfig` values ([`Kconfig::host`]), the object's own map sizes.
    fn default() -> OpenOptions {
        OpenOptions {
            kconfig: Kconfig::host(),
            max_entries: Vec::new(),
            value_size: Vec::new(),
        }
    }
}

impl OpenOptions {
    /// The defaults: see [`OpenOptions::default`].
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Sets the `__kconfig` variable `name` to `value`.
    pub fn kconfig(&mut self, name: &str, value: u64) -> &mut OpenOptions {
        self.kconfig.set(name, value);
        self
    }

    /// All the `__kconfig` values at once (replacing this machine's).
    pub fn kconfig_values(&mut self, kconfig: Kconfig) -> &mut OpenOptions {
        self.kconfig = kconfig;
        self
    }

    /// Gives the map `map` `entries` entries, whatever the object says
    /// (`bpf_map__set_max_entries`).
    pub fn max_entries(&mut self, map: &str, entries: u32) -> &mut OpenOptions {
        self.max_entries.retain(|(m, _)| m != map);
        self.max_entries.push((map.to_owned(), entries));
        self
    }

    /// Gives the map `map` values of `bytes` bytes, whatever the object says
    /// (`bpf_map__set_value_size`: a stack trace map's depth, say).
    pub fn value_size(&mut self, map: &str, bytes: u32) -> &mut OpenOptions {
        self.value_size.retain(|(m, _)| m != map);
        self.value_size.push((map.to_owned(), bytes));
        self
    }

    /// The map named in a size that is not one of `maps`', if any.
    fn unknown_map<'a>(&'a self, maps: &[crate::MapSpec]) -> Option<&'a str> {
        self.max_entries
            .iter()
            .chain(&self.value_size)
            .map(|(m, _)| m.as_str())
            .find(|m| !maps.iter().any(|s| s.name() == *m))
    }

    /// `spec`'s definition with the sizes given for it, and whether any was.
    fn sized(&self, spec: &crate::MapSpec) -> (crate::MapDef, bool) {
        let find = |sizes: &[(String, u32)]| {
            sizes
                .iter()
                .find(|(m, _)| m == spec.name())
                .map(|&(_, n)| n)
        };
        let mut def = spec.def.clone();
        let (entries, value) = (find(&self.max_entries), find(&self.value_size));
        if let Some(n) = entries {
            def.max_entries = n;
        }
        if let Some(n) = value {
            def.value_size = n;
        }
        (def, entries.is_some() || value.is_some())
    }
}

/// Whether the object leaves `spec`'s number of entries or value size to its loader (0).
fn left_to_loader(spec: &crate::MapSpec) -> bool {
    spec.def.max_entries == 0 || spec.def.value_size == 0
}

impl Object {
    /// Parses `bytes` and creates the maps (an array of no entries gets one per CPU, as the
    /// loaders of objects that leave its size to them give it), with the `__kconfig` variables
    /// this machine gives ([`OpenOptions::default`]).
    pub fn open(bytes: &[u8]) -> Result<Object, Error> {
        Object::open_with(bytes, &OpenOptions::default())
    }

    /// [`open`](Object::open) with the host's `__kconfig` values and map sizes. A size for a
    /// map the object does not define is an error naming it.
    pub fn open_with(bytes: &[u8], options: &OpenOptions) -> Result<Object, Error> {
        let elf = ElfObject::parse(bytes)?;
        if let Some(name) = options.unknown_map(elf.maps()) {
            return Err(Error::Map {
                name: name.to_owned(),
                error: MapError::Invalid("the object defines no map of this name".into()),
            });
        }
        let mut maps = MapSet::new();
        for spec in elf.maps() {
            let map_err = |error| Error::Map {
                name: spec.name().to_owned(),
                error,
            };
            let (def, given) = options.sized(spec);
            let map = Map::new(sized_by_loader(def)).map_err(|error| match error {
                MapError::Invalid(why) if left_to_loader(spec) && !given => Error::Map {
                    name: spec.name().to_owned(),
                    error: MapError::Invalid(format!(
                        "{why} (the object leaves its size to the loader: give it, as \
                         `--max-entries {0}=N` / `--value-size {0}=N` or with OpenOptions)",
                        spec.name()
                    )),
                },
                error => map_err(error),
            })?;
            if let Some(data) = &spec.data {
                // Global data: the section's bytes are the single value (at least one byte).
                let mut value = if spec.externs.is_empty() {
                    data.clone()
                } else {
                    options.kconfig.fill(spec)?
                };
                value.resize(spec.def.value_size as usize, 0);
                map.update(&0u32.to_le_bytes(), &value, 0)
                    .map_err(map_err)?;
            }
            maps.add(map);
        }
        // The maps of maps the object fills: each slot with one of the object's maps.
        let all: Vec<Arc<Map>> = maps.iter().cloned().collect();
        for (spec, map) in elf.maps().iter().zip(&all) {
            for (slot, init) in &spec.initial {
                if let MapInit::Map(i) = init {
                    let inner = all.get(*i).ok_or_else(|| Error::Map {
                        name: spec.name().to_owned(),
                        error: MapError::Invalid(format!("slot {slot}: no map {i}")),
                    })?;
                    map.set_inner(&slot.to_le_bytes(), inner.clone())
                        .map_err(|error| Error::Map {
                            name: spec.name().to_owned(),
                            error,
                        })?;
                }
            }
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

    /// Loads every program of the object on `vm` (see [`load`](Self::load)), by name, and puts
    /// the tail-call targets its program arrays name (BTF `.maps` `values`, iproute2's `N/M`
    /// sections) into their slots, as libbpf and iproute2 do when they load an object.
    pub fn load_all(&self, vm: &Vm) -> Result<Vec<(String, Loaded)>, Error> {
        let mut loaded = Vec::new();
        for p in self.elf.programs() {
            loaded.push((p.name.clone(), self.load(vm, Some(&p.name))?));
        }
        let all: Vec<Arc<Map>> = self.maps.iter().cloned().collect();
        for (spec, map) in self.elf.maps().iter().zip(&all) {
            for (slot, init) in &spec.initial {
                if let MapInit::Program(name) = init {
                    let bad = |error| Error::Map {
                        name: spec.name().to_owned(),
                        error,
                    };
                    let target = loaded.iter().find(|(n, _)| n == name).ok_or_else(|| {
                        bad(MapError::Invalid(format!(
                            "slot {slot}: no program `{name}`"
                        )))
                    })?;
                    map.set_program(*slot, target.1.shared_executable())
                        .map_err(bad)?;
                }
            }
        }
        Ok(loaded)
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
        let mut helpers = vm.helpers_over(&self.maps);
        // The section's type, unless the host chose one for every program.
        let section_type = self
            .section_type(&linked.name, &linked.section)
            .filter(|_| vm.program_type().is_none() && vm.section_types());
        if let Some(t) = section_type {
            crate::vm::add_type_helpers(&mut helpers, t);
        }
        // Stand-ins for missing Linux helpers last: every implementation goes first.
        let helpers = vm.serving(helpers);
        let mut out = vm.link_over_maps(insns, &self.maps, helpers, linked.bounded_loops)?;
        if let Some(t) = section_type {
            out.context = Some(ContextSpec::of_type(t, None));
        }
        out.lines = linked.lines;
        Ok(out)
    }

    /// The type of program `program` (a function or section name; `None` for the first) as it
    /// loads on `vm`: the one the host chose ([`Vm::set_program_type`]), or else what its
    /// section says (`SEC("xdp")`), if anything.
    pub fn program_type(
        &self,
        vm: &Vm,
        program: Option<&str>,
    ) -> Result<Option<ProgramType>, Error> {
        if let Some(t) = vm.program_type() {
            return Ok(Some(t));
        }
        if !vm.section_types() {
            return Ok(None);
        }
        let linked = self.elf.program(program)?;
        Ok(self.section_type(&linked.name, &linked.section))
    }

    fn section_type(&self, name: &str, section: &str) -> Option<ProgramType> {
        self.elf
            .programs()
            .iter()
            .find(|p| p.name == name && p.section == section)
            .and_then(|p| p.program_type)
    }
}
