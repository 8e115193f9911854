//! Names: the globals `maps` and `mbpf` (`get_var`), module variables (`get_var_ref`: integer
//! constants, buffers and functions), properties (`get_field`: `ctx` fields and read methods,
//! `maps.<name>` and their methods, `mbpf.<helper>`, number and string methods, a buffer's
//! `length`) and `.length` (`get_length`).

use super::{Next, R, Step};
use crate::bytecode::{Atom, Operand};
use crate::emit::{Loc, R_BLOB, R_LEN, R0};
use crate::module::{Field, ModVar};
use crate::value::{MapOp, MathFn, Range, Read, TextFn, Val};
use oxbpf_core::isa::{AluOp, Size};
use oxbpf_loader::mbpf::manifest::MapKind;

impl Step<'_, '_> {
    /// `get_var g`: the globals `maps`, `mbpf` and `Math`, and `undefined`.
    pub(super) fn get_var(&mut self) -> R<Next> {
        match &self.ins.operand {
            Operand::Atom(Atom::Text(g))
                if ["maps", "mbpf", "Math", "undefined"].contains(&&**g) =>
            {
                self.push(match g.as_str() {
                    "maps" => Val::Maps,
                    "mbpf" => Val::Mbpf,
                    "Math" => Val::Math,
                    // A read-only global.
                    _ => Val::Undef,
                })?;
                Ok(self.fall())
            }
            _ => Err(self.err("a global other than `maps`, `mbpf` and `Math`")),
        }
    }

    /// `get_var_ref(_check) k`, `get_var_ref0` to `get_var_ref3`: module variable `k`.
    pub(super) fn get_var_ref(&mut self) -> R<Next> {
        let k = self.ins.int().unwrap_or(-1);
        match self.fi.vars.get(k as usize) {
            Some(ModVar::Const(c)) => self.push(Val::num(Range::constant(i128::from(*c))))?,
            Some(ModVar::Buf { .. }) => self.push(Val::Buf(k as u16))?,
            Some(ModVar::Func(g)) => self.push(Val::Func(*g as u16))?,
            Some(ModVar::Other(why)) => return Err(self.err(why.clone())),
            None => return Err(self.err("unknown module variable")),
        }
        Ok(self.fall())
    }

    /// `get_length`: of a buffer or a `[lo, hi]` array.
    pub(super) fn get_length(&mut self) -> R<Next> {
        let v = self.pop()?;
        match v {
            Val::Buf(k) => {
                let len = self.buf(k)?.1;
                self.push(Val::num(Range::constant(i128::from(len))))?;
                Ok(self.fall())
            }
            Val::Pair(_) => {
                self.push(Val::num(Range::constant(2)))?;
                Ok(self.fall())
            }
            _ => Err(self.err(format!("`.length` of {}", v.describe()))),
        }
    }

    /// `get_field` (`keep`: `get_field2`, which keeps the object under the property, for a
    /// method call).
    pub(super) fn get_field(&mut self, keep: bool) -> R<Next> {
        let ins = self.ins;
        let Operand::Atom(atom) = &ins.operand else {
            return Err(self.err("field without a name"));
        };
        let name = atom.text();
        let obj = self.top()?;
        if !keep {
            self.st.stack.pop();
        }
        let v = match (obj, name.as_str(), keep) {
            (Val::Ctx, "readU8" | "readU16LE" | "readU32LE", true) if self.env.readable() => {
                Val::CtxRead(match name.as_str() {
                    "readU8" => Read::U8,
                    "readU16LE" => Read::U16,
                    _ => Read::U32,
                })
            }
            (Val::Ctx, _, false) => match self.env.field(&name) {
                Some(Field::Header { off, wide }) => {
                    let d = self.depth();
                    self.emit(|a| {
                        let size = if wide { Size::DW } else { Size::W };
                        a.ldx(size, R0, R_BLOB, i64::from(off));
                        a.store(Loc::depth(d), R0);
                    });
                    let r = if wide {
                        Range::new(0, (1 << 64) - 1)
                    } else {
                        Range::UINT32
                    };
                    self.st.stack.push(Val::num(r));
                    return Ok(self.fall());
                }
                Some(Field::Zero) => Val::num(Range::constant(0)),
                Some(Field::DataLen) => {
                    let d = self.depth();
                    let h = self.env.header;
                    self.emit(|a| {
                        a.mov(R0, R_LEN);
                        a.alu_k(AluOp::Sub, R0, i64::from(h));
                        a.store(Loc::depth(d), R0);
                    });
                    self.st.stack.push(Val::num(Range::UINT32));
                    return Ok(self.fall());
                }
                None if ["readU8", "readU16LE", "readU32LE", "readBytes"]
                    .contains(&name.as_str()) =>
                {
                    return Err(self.err("a ctx method used as a value"));
                }
                None => Val::Undef,
            },
            (Val::Maps, _, false) => self.env.map(&name).map_or(Val::Undef, Val::Map),
            (Val::Map(m), _, true) => {
                let kind = self.env.maps[m as usize].kind;
                let percpu = matches!(kind, MapKind::PercpuArray | MapKind::PercpuHash);
                let keyed = !matches!(kind, MapKind::Counter | MapKind::Ring);
                let array = matches!(kind, MapKind::Array | MapKind::PercpuArray);
                match (kind, name.as_str()) {
                    (MapKind::Counter, "add") => Val::MapFn(m, MapOp::Add),
                    (MapKind::Counter, "set") => Val::MapFn(m, MapOp::Set),
                    (MapKind::Counter, "get") => Val::MapFn(m, MapOp::Get),
                    (MapKind::Ring, "submit") => Val::MapFn(m, MapOp::Submit),
                    (_, "cpuId") if percpu => Val::MapFn(m, MapOp::CpuId),
                    (_, "lookup") if keyed => Val::MapFn(m, MapOp::Lookup),
                    (_, "update") if keyed => Val::MapFn(m, MapOp::Update),
                    (_, "delete") if keyed && !array => Val::MapFn(m, MapOp::Delete),
                    (MapKind::Ring, "count" | "dropped" | "peek" | "consume") | (_, "nextKey") => {
                        return Err(self.err(format!(
                            "`{name}` of a {} map is not lowered",
                            kind.name().to_uppercase()
                        )));
                    }
                    // No such method: calling it is a TypeError.
                    _ => Val::Undef,
                }
            }
            (Val::Mbpf, _, _) => self.mbpf_field(&name)?,
            (Val::Num { .. }, "toString", true) => Val::TextFn(TextFn::ToString),
            (Val::Str(_), "concat", true) => Val::TextFn(TextFn::Concat),
            (Val::Buf(k), "length", false) => {
                let len = self.buf(k)?.1;
                Val::num(Range::constant(i128::from(len)))
            }
            _ => match (obj, MathFn::named(&name), keep) {
                (Val::Math, Some(f), true) => Val::MathFn(f),
                _ => {
                    return Err(self.err(format!("property `{name}` of {}", obj.describe())));
                }
            },
        };
        self.push(v)?;
        Ok(self.fall())
    }
}
