//! What the lowering knows before it looks at the entry function's code: the function itself,
//! the module-level constants and buffers it reads, the hook's context layout, the maps and the
//! budgets.

use super::text::Strings;
use super::{GLOBALS_BYTES, LowerError};
use crate::bytecode::{Atom, Constant, Function, Module, Operand};
use crate::hook::{blob_field_is_wide, blob_fields, blob_header_len, has_read_methods};
use crate::maps::written_name;
use oxbpf_loader::mbpf::manifest::{Hook, Manifest, MapDecl};

/// A module-level variable the entry function reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ModVar {
    /// `const X = <integer>`.
    Const(i64),
    /// `const b = new Uint8Array(len)`: at `off` in the globals.
    Buf { off: u32, len: u32 },
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

/// Everything the passes share.
pub(crate) struct Env<'a> {
    pub(crate) f: &'a Function,
    pub(crate) name: String,
    pub(crate) vars: Vec<ModVar>,
    pub(crate) hook: Hook,
    pub(crate) header: i32,
    pub(crate) maps: &'a [MapDecl],
    /// Map index of each manifest map's written flags (arrays only).
    pub(crate) written: Vec<Option<u32>>,
    /// Map index of the globals.
    pub(crate) globals: u32,
    pub(crate) caps: u32,
    pub(crate) max_helpers: u32,
    /// The hook's default return code.
    pub(crate) default_rc: u32,
    /// The strings met so far.
    pub(crate) strings: Strings,
    /// The byte offsets of the function's two-element array literals (`[lo, hi]` pairs), by
    /// pair index.
    pub(crate) pair_sites: Vec<u32>,
    /// Whether the function names `nowNs` (the clock is then read once, as the run starts).
    pub(crate) uses_clock: bool,
}

impl<'a> Env<'a> {
    pub(crate) fn new(module: &'a Module, manifest: &'a Manifest) -> Result<Env<'a>, LowerError> {
        let name = manifest.entry.clone();
        let err = |r: String| LowerError::new(&name, None, r);
        let top = &module.function;
        let f = top
            .constants
            .iter()
            .find_map(|c| match c {
                Constant::Function(g) if g.name == Atom::Text(name.clone()) => Some(&**g),
                _ => None,
            })
            .ok_or_else(|| err("no top-level function of that name".into()))?;
        if f.kind != 0 {
            return Err(err("a generator or async function".into()));
        }
        if f.arg_count > 1 || f.vars.iter().any(|v| v.captured.is_some()) {
            return Err(err(
                "takes more than `ctx` or has variables captured by closures".into(),
            ));
        }
        let inits = module_inits(top);
        let mut globals_used = 0u32;
        let mut vars = Vec::new();
        for cv in &f.closure_vars {
            let var = match inits.iter().find(|(n, _)| *n == cv.name) {
                Some((_, Init::Func)) => ModVar::Other(format!(
                    "`{}` is a function: calls to other functions are not lowered",
                    cv.name.text()
                )),
                _ if !cv.is_const => ModVar::Other(format!(
                    "module variable `{}` is not `const`",
                    cv.name.text()
                )),
                Some((_, Init::Int(v))) => ModVar::Const(*v),
                Some((_, Init::Buf(len))) => {
                    let off = globals_used.next_multiple_of(8);
                    match off.checked_add(*len) {
                        Some(end) if end <= GLOBALS_BYTES => {
                            globals_used = end;
                            ModVar::Buf { off, len: *len }
                        }
                        _ => ModVar::Other(format!(
                            "module buffers larger than {GLOBALS_BYTES} bytes"
                        )),
                    }
                }
                _ => ModVar::Other(format!(
                    "module variable `{}` is not an integer constant or `new Uint8Array(N)`",
                    cv.name.text()
                )),
            };
            vars.push(var);
        }
        let names = super::map_names(manifest);
        let position = |n: &str| names.iter().position(|m| m == n).map(|i| i as u32);
        let written = manifest
            .maps
            .iter()
            .map(|d| position(&written_name(&d.name)))
            .collect();
        Ok(Env {
            f,
            name,
            vars,
            hook: manifest.hook,
            header: blob_header_len(manifest.hook) as i32,
            maps: &manifest.maps,
            written,
            globals: names.len() as u32,
            caps: manifest.capabilities,
            max_helpers: crate::api::helper_limit(manifest),
            default_rc: manifest.hook.default_return() as u32,
            strings: Strings::default(),
            pair_sites: f
                .code
                .iter()
                .filter(|i| i.info().name == "array_from")
                .map(|i| i.pc)
                .collect(),
            uses_clock: f
                .code
                .iter()
                .any(|i| matches!(&i.operand, Operand::Atom(Atom::Text(a)) if a == "nowNs")),
        })
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
            off: (i * crate::hook::BLOB_FIELD_BYTES) as i16,
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

/// A module variable's initial value.
enum Init {
    Int(i64),
    Buf(u32),
    Func,
}

/// What a straight stretch of the top level leaves on the stack, as far as this scan follows.
#[derive(Clone, PartialEq)]
enum Known {
    Int(i64),
    Uint8Array,
    Buf(u32),
    Func,
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
            && i.info().name != "get_var"
    });
    for ins in &top.code {
        let name = ins.info().name;
        let int = |o: &Operand| match o {
            Operand::Int(v) => Some(*v),
            _ => None,
        };
        let pushed = match name {
            "push_i8" | "push_i16" | "push_i32" => int(&ins.operand).map(Known::Int),
            "push_minus1" => Some(Known::Int(-1)),
            _ if name.starts_with("push_") && name.len() == 6 => {
                name[5..].parse::<i64>().ok().map(Known::Int)
            }
            "push_const" | "push_const8" => {
                match int(&ins.operand).and_then(|i| top.constants.get(i as usize)) {
                    Some(Constant::Int(v)) => Some(Known::Int(i64::from(*v))),
                    _ => Some(Known::Unknown),
                }
            }
            "get_var"
                if !shadowed && ins.operand == Operand::Atom(Atom::Text("Uint8Array".into())) =>
            {
                Some(Known::Uint8Array)
            }
            "dup" => stack.last().cloned(),
            "fclosure" | "fclosure8" => Some(Known::Func),
            _ => None,
        };
        if let Some(k) = pushed {
            stack.push(k);
            continue;
        }
        if name == "call_constructor" && ins.operand == Operand::Int(1) {
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
        let var = match (name, &ins.operand) {
            ("put_var_ref" | "put_var_ref_check" | "put_var_ref_check_init", Operand::Int(i)) => {
                Some(*i as usize)
            }
            (n, Operand::None) if n.starts_with("put_var_ref") => n[11..].parse().ok(),
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
        let set = match (name, &ins.operand) {
            ("set_var_ref", Operand::Int(i)) => Some(*i as usize),
            (n, Operand::None) if n.starts_with("set_var_ref") => n[11..].parse().ok(),
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
            Known::Func => Some((a, Init::Func)),
            _ => None,
        })
        .collect()
}
