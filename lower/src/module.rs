//! What the lowering knows before it looks at the entry function's code: the function itself,
//! the module-level constants and buffers it reads, the hook's context layout, the maps and the
//! budgets.

use super::text::Strings;
use super::{GLOBALS_BYTES, LowerError};
use crate::bytecode::{Atom, Constant, Function, Module, Opcode, Operand};
use oxbpf_loader::mbpf::hook::{
    BLOB_FIELD_BYTES, blob_field_is_wide, blob_fields, blob_header_len, has_read_methods,
};
use oxbpf_loader::mbpf::manifest::{Hook, Manifest, MapDecl};
use oxbpf_loader::mbpf::runtime::{EMIT_RING, helper_limit, written_name};
use std::cell::RefCell;
use std::collections::HashSet;

/// A module-level variable a function reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ModVar {
    /// `const X = <integer>`.
    Const(i64),
    /// `const b = new Uint8Array(len)`: at `off` in the globals.
    Buf { off: u32, len: u32 },
    /// A top-level function: its index in [`Env::funcs`].
    Func(usize),
    /// Anything else (why it is not lowered).
    Other(String),
}

/// A field of the hook's `ctx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// In the blob's header at this offset; 64-bit or 32-bit.
    Header { off: i16, wide: bool },
    /// `data_len`: the blob's length less the header's.
    DataLen,
    /// A CUSTOM hook's `field_count`: 0, as its named fields are not in the blob.
    Zero,
}

/// A top-level function of the module, as the lowering sees it.
pub(crate) struct FnInfo<'a> {
    pub(crate) f: &'a Function,
    pub(crate) name: String,
    /// Its closure variables, resolved.
    pub(crate) vars: Vec<ModVar>,
    /// The byte offsets of its two-element array literals (`[lo, hi]` pairs), by index.
    pub(crate) pair_sites: Vec<u32>,
    /// The byte offsets its jumps land on.
    pub(crate) targets: HashSet<u32>,
    /// Why it cannot be inlined, if it cannot.
    pub(crate) unfit: Option<String>,
}

/// Where an inlined function's `return` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cont {
    /// The program returns (the entry function, or a tail call from it).
    Exit,
    /// To instruction `idx` of instance `inst`, the result at stack position `depth`, the
    /// locals and arrays cut back to `locals` and `pairs`.
    To {
        inst: u16,
        idx: usize,
        depth: usize,
        locals: usize,
        pairs: usize,
    },
}

/// One copy of a function in the program: the entry function, or a function inlined at one
/// call site of another instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inst {
    /// The function ([`Env::funcs`]).
    pub(crate) func: usize,
    /// The calling instance and the byte offset of the call.
    pub(crate) parent: Option<(u16, u32)>,
    /// Its first local among the state's locals.
    pub(crate) local_base: usize,
    /// Its first array among the state's arrays.
    pub(crate) pair_base: usize,
    /// The stack position of its first argument (none for the entry: its argument is `ctx`).
    pub(crate) arg_base: Option<usize>,
    /// The stack position its own operand stack starts at.
    pub(crate) stack_base: usize,
    /// Where its `return` goes.
    pub(crate) cont: Cont,
    /// Calls between it and the entry.
    pub(crate) depth: u32,
}

/// The 8-byte values an eBPF frame holds.
const FRAME_VALUES: u32 = 64;

/// Functions inlined into one another at most this deep.
const MAX_INLINE_DEPTH: u32 = 8;

/// Instances (inlined copies of functions) at most.
const MAX_INSTANCES: usize = 64;

/// Everything the passes share.
pub(crate) struct Env<'a> {
    /// The module's top-level functions.
    pub(crate) funcs: Vec<FnInfo<'a>>,
    /// The entry function's name.
    pub(crate) name: String,
    /// The instances, the entry's first; more are added as the analysis meets calls.
    insts: RefCell<Vec<Inst>>,
    pub(crate) hook: Hook,
    pub(crate) header: i32,
    pub(crate) maps: &'a [MapDecl],
    /// Map index of each manifest map's written flags (arrays only).
    pub(crate) written: Vec<Option<u32>>,
    /// Map index of the globals.
    pub(crate) globals: u32,
    /// Map index of the emit ring.
    pub(crate) emit_ring: u32,
    pub(crate) caps: u32,
    pub(crate) max_helpers: u32,
    /// The hook's default return code.
    pub(crate) default_rc: u32,
    /// The strings met so far.
    pub(crate) strings: Strings,
    /// Whether a function names `nowNs` (the clock is then read once, as the run starts).
    pub(crate) uses_clock: bool,
}

impl<'a> Env<'a> {
    pub(crate) fn new(module: &'a Module, manifest: &'a Manifest) -> Result<Env<'a>, LowerError> {
        let name = manifest.entry.clone();
        let err = |r: String| LowerError::new(&name, None, r);
        let top = &module.function;
        let funcs_of: Vec<&Function> = top
            .constants
            .iter()
            .filter_map(|c| match c {
                Constant::Function(g) => Some(&**g),
                _ => None,
            })
            .collect();
        let entry = funcs_of
            .iter()
            .position(|g| g.name == Atom::Text(name.clone()))
            .ok_or_else(|| err("no top-level function of that name".into()))?;
        if funcs_of[entry].arg_count > 1 {
            return Err(err("takes more than `ctx`".into()));
        }
        // Module variables: their values, buffers laid out in the globals in order.
        let mut globals_used = 0u32;
        let inits: Vec<(Atom, ModVar)> = module_inits(top)
            .into_iter()
            .map(|(atom, init)| {
                let v = match init {
                    Init::Int(v) => ModVar::Const(v),
                    Init::Func(k) => match top.constants.get(k) {
                        Some(Constant::Function(g)) => funcs_of
                            .iter()
                            .position(|h| std::ptr::eq(*h, &**g))
                            .map_or(ModVar::Other("an unknown function".into()), ModVar::Func),
                        _ => ModVar::Other("an unknown function".into()),
                    },
                    Init::Buf(len) => {
                        let off = globals_used.next_multiple_of(8);
                        match off.checked_add(len) {
                            Some(end) if end <= GLOBALS_BYTES => {
                                globals_used = end;
                                ModVar::Buf { off, len }
                            }
                            _ => ModVar::Other(format!(
                                "module buffers larger than {GLOBALS_BYTES} bytes"
                            )),
                        }
                    }
                };
                (atom, v)
            })
            .collect();
        let funcs = funcs_of.iter().map(|g| FnInfo::new(g, &inits)).collect();
        let names = super::map_names(manifest);
        let position = |n: &str| names.iter().position(|m| m == n).map(|i| i as u32);
        let written = manifest
            .maps
            .iter()
            .map(|d| position(&written_name(&d.name)))
            .collect();
        let env = Env {
            funcs,
            name,
            insts: RefCell::new(vec![Inst {
                func: entry,
                parent: None,
                local_base: 0,
                pair_base: 0,
                arg_base: None,
                stack_base: 0,
                cont: Cont::Exit,
                depth: 0,
            }]),
            hook: manifest.hook,
            header: blob_header_len(manifest.hook) as i32,
            maps: &manifest.maps,
            written,
            globals: names.len() as u32,
            emit_ring: position(EMIT_RING).unwrap_or(0),
            caps: manifest.capabilities,
            max_helpers: helper_limit(manifest),
            default_rc: manifest.hook.default_return() as u32,
            strings: Strings::default(),
            uses_clock: funcs_of.iter().any(|g| {
                g.code
                    .iter()
                    .any(|i| matches!(&i.operand, Operand::Atom(Atom::Text(a)) if a == "nowNs"))
            }),
        };
        if let Some(why) = &env.funcs[entry].unfit {
            return Err(LowerError::new(&env.name, None, why.clone()));
        }
        Ok(env)
    }

    /// Instance `i`.
    pub(crate) fn inst(&self, i: u16) -> Inst {
        self.insts.borrow()[usize::from(i)]
    }

    /// The instances so far.
    pub(crate) fn inst_count(&self) -> usize {
        self.insts.borrow().len()
    }

    /// The function of instance `i`.
    pub(crate) fn func_of(&self, i: u16) -> &FnInfo<'a> {
        &self.funcs[self.inst(i).func]
    }

    /// The instance of function `func` inlined at the call at byte offset `pc` of instance
    /// `parent`, made on first use: `new` describes it (its parent and call are filled in).
    pub(crate) fn callee(&self, parent: u16, pc: u32, new: Inst) -> Result<u16, String> {
        let key = Some((parent, pc));
        if let Some(i) = self.insts.borrow().iter().position(|x| x.parent == key) {
            return Ok(i as u16);
        }
        let fi = &self.funcs[new.func];
        if let Some(why) = &fi.unfit {
            return Err(format!("`{}` is not inlined: {why}", fi.name));
        }
        let mut up = Some(parent);
        while let Some(p) = up {
            let x = self.inst(p);
            if x.func == new.func {
                return Err(format!(
                    "`{}` calls itself (recursion is not lowered)",
                    fi.name
                ));
            }
            up = x.parent.map(|(q, _)| q);
        }
        if new.depth > MAX_INLINE_DEPTH {
            return Err(format!("calls nested more than {MAX_INLINE_DEPTH} deep"));
        }
        let mut insts = self.insts.borrow_mut();
        if insts.len() >= MAX_INSTANCES {
            return Err(format!("more than {MAX_INSTANCES} inlined calls"));
        }
        insts.push(Inst { parent: key, ..new });
        Ok((insts.len() - 1) as u16)
    }

    /// The `ctx` field `name`, if the hook has it.
    pub(crate) fn field(&self, name: &str) -> Option<Field> {
        if name == "data_len" && self.hook != Hook::Timer {
            return Some(Field::DataLen);
        }
        if name == "field_count" && self.hook == Hook::Custom {
            return Some(Field::Zero);
        }
        let i = blob_fields(self.hook).iter().position(|&n| n == name)?;
        Some(Field::Header {
            off: (i * BLOB_FIELD_BYTES) as i16,
            wide: blob_field_is_wide(name),
        })
    }

    /// Whether `ctx` has the read methods.
    pub(crate) fn readable(&self) -> bool {
        has_read_methods(self.hook)
    }

    /// The index of manifest map `name`.
    pub(crate) fn map(&self, name: &str) -> Option<u32> {
        self.maps
            .iter()
            .position(|d| d.name == name)
            .map(|i| i as u32)
    }
}

impl<'a> FnInfo<'a> {
    /// Function `f`, its closure variables resolved against the module's `inits`.
    fn new(f: &'a Function, inits: &[(Atom, ModVar)]) -> FnInfo<'a> {
        let vars = f
            .closure_vars
            .iter()
            .map(|cv| match inits.iter().find(|(n, _)| *n == cv.name) {
                Some((_, v @ ModVar::Func(_))) => v.clone(),
                _ if !cv.is_const => ModVar::Other(format!(
                    "module variable `{}` is not `const`",
                    cv.name.text()
                )),
                Some((_, v)) => v.clone(),
                None => ModVar::Other(format!(
                    "module variable `{}` is not an integer constant, `new Uint8Array(N)` or a \
                     function",
                    cv.name.text()
                )),
            })
            .collect();
        let unfit = if f.kind != 0 {
            Some("a generator or async function".into())
        } else if [f.var_count, f.arg_count, f.stack_size]
            .iter()
            .any(|&n| n > FRAME_VALUES)
        {
            Some(format!(
                "more than {FRAME_VALUES} locals, arguments or stack slots (eBPF's frame holds \
                 {FRAME_VALUES} values)"
            ))
        } else if f.vars.iter().any(|v| v.captured.is_some()) {
            Some("has variables captured by closures".into())
        } else {
            None
        };
        FnInfo {
            f,
            name: f.name.text(),
            vars,
            pair_sites: f
                .code
                .iter()
                .filter(|i| i.opcode == Opcode::ArrayFrom)
                .map(|i| i.pc)
                .collect(),
            targets: super::analyze::targets(f),
            unfit,
        }
    }
}

/// A module variable's initial value.
enum Init {
    Int(i64),
    Buf(u32),
    /// A function: its index in the top level's constants.
    Func(usize),
}

/// What a straight stretch of the top level leaves on the stack, as far as this scan follows.
#[derive(Clone, PartialEq)]
enum Known {
    Int(i64),
    Uint8Array,
    Buf(u32),
    Func(usize),
    Unknown,
}

/// The module variables the top level sets exactly once to an integer constant or a new
/// `Uint8Array` of constant length (variables set more than once, or to anything else, are left
/// out). The scan follows straight-line code only; what it does not know makes a value unknown.
fn module_inits(top: &Function) -> Vec<(Atom, Init)> {
    let mut stack: Vec<Known> = Vec::new();
    let mut sets: Vec<(Atom, Known)> = Vec::new();
    let mut writes: Vec<Atom> = Vec::new();
    let shadowed = top.code.iter().any(|i| {
        matches!(&i.operand, Operand::Atom(Atom::Text(a)) if a == "Uint8Array")
            && i.opcode != Opcode::GetVar
    });
    for ins in &top.code {
        use Opcode as O;
        let pushed = match ins.opcode {
            op if op.pushes_int() => ins.int().map(Known::Int),
            O::PushConst | O::PushConst8 => {
                match ins.int().and_then(|i| top.constants.get(i as usize)) {
                    Some(Constant::Int(v)) => Some(Known::Int(i64::from(*v))),
                    _ => Some(Known::Unknown),
                }
            }
            O::GetVar
                if !shadowed && ins.operand == Operand::Atom(Atom::Text("Uint8Array".into())) =>
            {
                Some(Known::Uint8Array)
            }
            O::Dup => stack.last().cloned(),
            O::Fclosure | O::Fclosure8 => Some(
                ins.int()
                    .map_or(Known::Unknown, |k| Known::Func(k as usize)),
            ),
            _ => None,
        };
        if let Some(k) = pushed {
            stack.push(k);
            continue;
        }
        if ins.opcode == O::CallConstructor && ins.operand == Operand::Int(1) {
            let arg = stack.pop();
            let _new_target = stack.pop();
            let ctor = stack.pop();
            let v = match (ctor, arg) {
                (Some(Known::Uint8Array), Some(Known::Int(n)))
                    if (0..=i64::from(u32::MAX)).contains(&n) =>
                {
                    Known::Buf(n as u32)
                }
                _ => Known::Unknown,
            };
            stack.push(v);
            continue;
        }
        let var = match ins.opcode {
            O::PutVarRef
            | O::PutVarRefCheck
            | O::PutVarRefCheckInit
            | O::PutVarRef0
            | O::PutVarRef1
            | O::PutVarRef2
            | O::PutVarRef3 => ins.int().map(|i| i as usize),
            _ => None,
        };
        if let Some(j) = var {
            let atom = top
                .closure_vars
                .get(j)
                .map_or(Atom::Null, |c| c.name.clone());
            let v = stack.pop().unwrap_or(Known::Unknown);
            writes.push(atom.clone());
            sets.push((atom, v));
            continue;
        }
        // Anything else: nothing more is known about the stack.
        stack.clear();
        let set = match ins.opcode {
            O::SetVarRef | O::SetVarRef0 | O::SetVarRef1 | O::SetVarRef2 | O::SetVarRef3 => {
                ins.int().map(|i| i as usize)
            }
            _ => None,
        };
        if let Some(j) = set {
            writes.push(
                top.closure_vars
                    .get(j)
                    .map_or(Atom::Null, |c| c.name.clone()),
            );
        }
    }
    sets.into_iter()
        .filter(|(a, _)| writes.iter().filter(|w| *w == a).count() == 1)
        .filter_map(|(a, v)| match v {
            Known::Int(i) => Some((a, Init::Int(i))),
            Known::Buf(n) => Some((a, Init::Buf(n))),
            Known::Func(k) => Some((a, Init::Func(k))),
            _ => None,
        })
        .collect()
}
