//! The one load pipeline every program goes through, whatever it came from (raw bytecode,
//! assembly, an ELF object, a bundle's lowered code, bytecode over host maps, the C API): a
//! program linked and checked ([`Linked`]), verified when the VM verifies, marked with the
//! proofs, prepared by the backend ([`Loaded::prepare`]).

use crate::{
    ContextSpec, Error, LineInfo, Loaded, Map, MapDef, MapLoad, MapSet, Termination, Verified,
    VerifyError, Vm,
};
use oxbpf_core::isa::Imm64Kind;
use oxbpf_core::{HelperRegistry, Insn, Program};
use std::sync::Arc;

/// What linking tells the verifier: which `lddw`s load maps, and where the loops of `bpf_loop`
/// start.
#[derive(Debug, Default)]
pub(crate) struct LinkFacts {
    pub(crate) map_loads: Vec<MapLoad>,
    pub(crate) bounded_loops: Vec<usize>,
}

/// A program linked and checked, with what loading it needs: the helpers serving it, the maps
/// it keeps alive, the definitions of the maps its `lddw`s load (in their index order: what
/// the verifier knows of them) and what linking found.
#[derive(Debug)]
pub(crate) struct Linked {
    pub(crate) program: Program,
    pub(crate) helpers: HelperRegistry,
    pub(crate) maps: MapSet,
    pub(crate) map_defs: Vec<MapDef>,
    pub(crate) facts: LinkFacts,
    /// The context the program's type gives it, over the VM's verifier settings (an ELF
    /// program's section type).
    pub(crate) context: Option<ContextSpec>,
    /// The source lines of its instructions, where the object carries them (`.BTF.ext`).
    pub(crate) lines: Vec<LineInfo>,
    /// How its loops are proven to end, over the VM's verifier settings (a lowered bundle's
    /// runs have a budget: [`Termination::Budget`]).
    pub(crate) termination: Option<Termination>,
}

impl Linked {
    /// A program that uses no maps, served by `helpers`.
    pub(crate) fn alone(program: Program, helpers: HelperRegistry) -> Linked {
        Linked {
            program,
            helpers,
            maps: MapSet::new(),
            map_defs: Vec::new(),
            facts: LinkFacts::default(),
            context: None,
            lines: Vec::new(),
            termination: None,
        }
    }
}

/// The `lddw`s of maps in `insns`, by the map's position: `map_fd N` and `map_idx N` (ELF
/// objects are linked to these), and their value forms with the offset in the high half.
fn map_loads(insns: &[Insn]) -> Vec<MapLoad> {
    insns
        .iter()
        .enumerate()
        .filter_map(|(pc, insn)| {
            let (map, value_offset) = insn.map_reference()?;
            Some(MapLoad {
                pc,
                map,
                value_offset,
            })
        })
        .collect()
}

/// What the verifier knows of `maps`: their definitions in the order `lddw`s number them, then
/// the templates of the maps the maps of maps among them hold (what a lookup in one gives).
fn map_defs(maps: &MapSet) -> Vec<MapDef> {
    let mut defs: Vec<MapDef> = maps.iter().map(|m| m.def().clone()).collect();
    let inner: Vec<MapDef> = defs
        .iter()
        .filter_map(|d| d.inner.as_deref().cloned())
        .collect();
    for d in inner {
        if !defs.contains(&d) {
            defs.push(d);
        }
    }
    defs
}

/// Points every `lddw` of a map in `loads` at it, in place: the map's handle, or the address of
/// a byte of its first value (an array's, global data's). The one place map references are
/// resolved, for objects and host maps alike; `maps` are in the loads' index order.
fn resolve_map_loads(insns: &mut [Insn], loads: &[MapLoad], maps: &MapSet) -> Result<(), Error> {
    let maps: Vec<&Arc<Map>> = maps.iter().collect();
    for load in loads {
        let map = maps
            .get(load.map as usize)
            .ok_or_else(|| Error::UnknownMap {
                pc: load.pc,
                index: u64::from(load.map),
                count: maps.len(),
            })?;
        let value = match load.value_offset {
            None => map.handle(),
            Some(offset) => map
                .value_addr(offset)
                .ok_or_else(|| Error::NoValueAddress {
                    pc: load.pc,
                    map: map.name().to_owned(),
                    offset,
                })?,
        };
        if let Some(Insn::LoadImm64 { kind, imm, .. }) = insns.get_mut(load.pc) {
            *kind = Imm64Kind::Value;
            *imm = value;
        }
    }
    Ok(())
}

impl Vm {
    /// Links `insns` over `maps`: its `lddw`s of maps (by position in `maps`) resolved, the
    /// program checked with `helpers` and given the maps' memory. Every program that uses maps
    /// (an ELF object's, bytecode over host maps, a bundle's lowered code) is linked here.
    pub(crate) fn link_over_maps(
        &self,
        mut insns: Vec<Insn>,
        maps: &MapSet,
        helpers: HelperRegistry,
        bounded_loops: Vec<usize>,
    ) -> Result<Linked, Error> {
        let map_loads = map_loads(&insns);
        resolve_map_loads(&mut insns, &map_loads, maps)?;
        let program =
            Program::from_insns(insns, self.config(), &helpers)?.with_shared(maps.regions());
        Ok(Linked {
            program,
            helpers,
            maps: maps.clone(),
            map_defs: map_defs(maps),
            facts: LinkFacts {
                map_loads,
                bounded_loops,
            },
            context: None,
            lines: Vec::new(),
            termination: None,
        })
    }

    /// Verifies `linked` (when [`Config::verify`](crate::Config::verify) is on), marks its
    /// proofs and prepares it on this VM's backend.
    pub(crate) fn load_linked(&self, linked: Linked) -> Result<Loaded, Error> {
        // A program whose context holds packet pointers narrower than an address reads them
        // through the rewrite its proofs give: it is verified whatever the configuration says,
        // as Linux verifies every program.
        let context = linked
            .context
            .as_ref()
            .unwrap_or(&self.verifier_settings().context);
        let needs_proofs = context.layout.is_some_and(|l| l.packet.is_some());
        let program = if self.config().verify || needs_proofs {
            let proofs = self.verify_linked(&linked, false).0?.proofs().clone();
            linked.program.with_proofs(proofs)
        } else {
            linked.program
        };
        Loaded::prepare(
            self.backend_arc(),
            program,
            Arc::new(linked.helpers),
            linked.maps,
        )
    }

    /// Verifies `linked`, whatever [`Config::verify`](crate::Config::verify) says; with `log`,
    /// also returns the states along the path the verifier took last (the failing one on a
    /// rejection), one line per instruction.
    pub(crate) fn verify_linked(
        &self,
        linked: &Linked,
        log: bool,
    ) -> (Result<Verified, Error>, Vec<String>) {
        let env = oxbpf_verifier::Env {
            helpers: &linked.helpers,
            maps: linked.map_defs.clone(),
            map_loads: linked.facts.map_loads.clone(),
            settings: {
                let mut s = self.verifier_settings().clone();
                if let Some(c) = &linked.context {
                    s.context = c.clone();
                }
                if let Some(t) = linked.termination {
                    s.termination = t;
                }
                s
            },
            bounded_loops: linked.facts.bounded_loops.clone(),
        };
        let (r, lines) = if log {
            oxbpf_verifier::verify_with_log(&linked.program, &env)
        } else {
            (oxbpf_verifier::verify(&linked.program, &env), Vec::new())
        };
        (
            r.map_err(|e| Error::from(at_source(e, &linked.lines))),
            lines,
        )
    }
}

/// `e` with the source line of its instruction, where `lines` has one: `(file.c:42:
/// `source`)` after the reason, as Linux's verifier log shows the line before an instruction.
fn at_source(mut e: VerifyError, lines: &[LineInfo]) -> VerifyError {
    if let Some(l) = LineInfo::of(lines, e.pc)
        && l.line != 0
    {
        let file = l.file.rsplit('/').next().unwrap_or(&l.file);
        e.reason = if l.source.is_empty() {
            format!("{} ({file}:{})", e.reason, l.line)
        } else {
            format!("{} ({file}:{}: `{}`)", e.reason, l.line, l.source.trim())
        };
    }
    e
}
