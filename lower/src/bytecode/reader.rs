//! The byte-level reader: the header (version, checksum, atom table), objects by tag, functions
//! and their opcode streams. Every read is bounds-checked; lengths are checked against what is
//! left before anything is allocated.

use super::{
    Atom, BC_VERSION, BUILTIN_ATOMS, BytecodeError, ClosureVar, Constant, DebugInfo, FIRST_ATOM,
    Format, Function, Instr, Module, Opcode, Operand, VarDef,
};

/// Object tags.
const TAG_NULL: u8 = 1;
const TAG_UNDEFINED: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_INT32: u8 = 5;
const TAG_FLOAT64: u8 = 6;
const TAG_STRING: u8 = 7;
const TAG_BIG_INT: u8 = 10;
const TAG_FUNCTION: u8 = 12;
const TAG_MODULE: u8 = 13;
/// Export kinds.
const EXPORT_LOCAL: u8 = 0;
/// Deepest nesting of functions in constant pools.
const MAX_DEPTH: usize = 64;
/// Bit 31 marks an integer atom.
const ATOM_INT: u32 = 1 << 31;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    atoms: Vec<String>,
}

/// The checksum QuickJS stores after the version: over every byte after it.
fn checksum(p: &[u8]) -> u32 {
    let mut h: u32 = 0;
    let mut i = 0;
    while i + 4 < p.len() {
        h = h.wrapping_add(u32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]));
        h = h.wrapping_mul(0x9e37_0001);
        i += 4;
    }
    // The last 1 to 3 bytes; exactly 4 left over count as none (as QuickJS computes it).
    let tail = &p[i..];
    let byte = |k: usize| u32::from(tail[k]);
    let last = match tail.len() {
        1 => byte(0),
        2 => byte(0) | byte(1) << 8,
        3 => byte(0) | byte(1) << 8 | byte(2) << 16,
        _ => 0,
    };
    h = h.wrapping_add(last);
    h.wrapping_mul(0x9e37_0001)
}

/// Reads a module (or a single function) written by QuickJS's `JS_WriteObject`.
pub fn read(bytes: &[u8]) -> Result<Module, BytecodeError> {
    let mut r = Reader {
        bytes,
        pos: 0,
        atoms: Vec::new(),
    };
    let version = r.u8()?;
    if version != BC_VERSION {
        return Err(r.err_at(
            0,
            format!(
                "bytecode version {version}, but this reader knows version {BC_VERSION} \
                 (quickjs-ng 0.16 in rquickjs 0.14): the engine changed, rebuild the bundle"
            ),
        ));
    }
    let stored = r.u32()?;
    let actual = checksum(&bytes[5..]);
    if stored != u32::MAX && stored != actual {
        return Err(r.err_at(
            1,
            format!("checksum {stored:#010x} does not match the bytes ({actual:#010x})"),
        ));
    }
    let count = r.leb()?;
    if count as usize > r.left() {
        return Err(r.err(format!("{count} atoms in {} bytes", r.left())));
    }
    for _ in 0..count {
        let at = r.pos;
        let kind = r.u8()?;
        if kind & 0x80 != 0 {
            let mut n = u32::from(kind & 0x3f);
            if kind & 0x40 != 0 {
                n |= r.leb()? << 6;
            }
            let text =
                builtin(n).ok_or_else(|| r.err_at(at, format!("unknown predefined atom {n}")))?;
            r.atoms.push(text.to_owned());
        } else if (1..=3).contains(&kind) {
            let s = r.string()?;
            r.atoms.push(s);
        } else {
            return Err(r.err_at(at, format!("atom type {kind} is not a string or symbol")));
        }
    }
    let at = r.pos;
    let module = match r.u8()? {
        TAG_MODULE => r.module()?,
        TAG_FUNCTION => Module {
            name: Atom::Null,
            requires: Vec::new(),
            exports: Vec::new(),
            has_top_level_await: false,
            function: r.function(0)?,
        },
        tag => {
            return Err(r.err_at(
                at,
                format!("expected a module or a function, found tag {tag}"),
            ));
        }
    };
    if r.pos != bytes.len() {
        return Err(r.err(format!("{} bytes after the module", bytes.len() - r.pos)));
    }
    Ok(module)
}

/// Predefined atom `n` (from 1).
fn builtin(n: u32) -> Option<&'static str> {
    n.checked_sub(1)
        .and_then(|i| BUILTIN_ATOMS.get(i as usize))
        .copied()
}

impl Reader<'_> {
    fn err_at(&self, offset: usize, message: String) -> BytecodeError {
        BytecodeError { offset, message }
    }

    fn err(&self, message: String) -> BytecodeError {
        self.err_at(self.pos, message)
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], BytecodeError> {
        if n > self.left() {
            return Err(self.err(format!("truncated: {n} bytes needed, {} left", self.left())));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, BytecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, BytecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, BytecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An unsigned LEB128 of at most 5 bytes.
    fn leb(&mut self) -> Result<u32, BytecodeError> {
        let at = self.pos;
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| self.err_at(at, "LEB128 over 32 bits".into()));
            }
        }
        Err(self.err_at(at, "LEB128 longer than 5 bytes".into()))
    }

    /// A zigzag signed LEB128.
    fn sleb(&mut self) -> Result<i32, BytecodeError> {
        let v = self.leb()?;
        Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
    }

    /// A count, which must not exceed the bytes left (each element takes at least one).
    fn count(&mut self, what: &str) -> Result<u32, BytecodeError> {
        let at = self.pos;
        let n = self.leb()?;
        if n as usize > self.left() {
            return Err(self.err_at(at, format!("{n} {what} in {} bytes", self.left())));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, BytecodeError> {
        let at = self.pos;
        let header = self.leb()?;
        let (len, wide) = ((header >> 1) as usize, header & 1 != 0);
        if wide {
            let b = self.take(
                len.checked_mul(2)
                    .ok_or_else(|| self.err_at(at, "string too long".into()))?,
            )?;
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            Ok(String::from_utf16_lossy(&units))
        } else {
            Ok(self.take(len)?.iter().map(|&c| char::from(c)).collect())
        }
    }

    /// An atom number as bytecode operands hold it.
    fn atom_value(&self, at: usize, v: u32) -> Result<Atom, BytecodeError> {
        if v & ATOM_INT != 0 {
            return Ok(Atom::Int(v & !ATOM_INT));
        }
        if v == 0 {
            return Ok(Atom::Null);
        }
        if v < FIRST_ATOM {
            return builtin(v)
                .map(|s| Atom::Text(s.to_owned()))
                .ok_or_else(|| self.err_at(at, format!("unknown predefined atom {v}")));
        }
        self.atoms
            .get((v - FIRST_ATOM) as usize)
            .map(|s| Atom::Text(s.clone()))
            .ok_or_else(|| self.err_at(at, format!("atom {v} is not in the atom table")))
    }

    /// An atom written as a LEB128 (`index << 1`, or `int << 1 | 1`).
    fn atom(&mut self) -> Result<Atom, BytecodeError> {
        let at = self.pos;
        let v = self.leb()?;
        if v & 1 != 0 {
            return Ok(Atom::Int(v >> 1));
        }
        self.atom_value(at, v >> 1)
    }

    fn module(&mut self) -> Result<Module, BytecodeError> {
        let name = self.atom()?;
        let n = self.count("required modules")?;
        let requires = (0..n).map(|_| self.atom()).collect::<Result<_, _>>()?;
        let n = self.count("exports")?;
        let mut exports = Vec::new();
        for _ in 0..n {
            let at = self.pos;
            let local = match self.u8()? {
                EXPORT_LOCAL => Some(self.leb()?),
                1 => {
                    self.leb()?;
                    self.atom()?;
                    None
                }
                k => return Err(self.err_at(at, format!("export type {k}"))),
            };
            exports.push((self.atom()?, local));
        }
        let n = self.count("star exports")?;
        for _ in 0..n {
            self.leb()?;
        }
        let n = self.count("imports")?;
        for _ in 0..n {
            self.leb()?;
            self.atom()?;
            self.leb()?;
        }
        let has_top_level_await = self.u8()? != 0;
        let at = self.pos;
        match self.u8()? {
            TAG_FUNCTION => Ok(Module {
                name,
                requires,
                exports,
                has_top_level_await,
                function: self.function(0)?,
            }),
            tag => Err(self.err_at(
                at,
                format!("a module's code must be a function, found tag {tag}"),
            )),
        }
    }

    fn constant(&mut self, depth: usize) -> Result<Constant, BytecodeError> {
        let at = self.pos;
        Ok(match self.u8()? {
            TAG_NULL => Constant::Null,
            TAG_UNDEFINED => Constant::Undefined,
            TAG_FALSE => Constant::Bool(false),
            TAG_TRUE => Constant::Bool(true),
            TAG_INT32 => Constant::Int(self.sleb()?),
            TAG_FLOAT64 => {
                let b = self.take(8)?;
                let mut a = [0; 8];
                a.copy_from_slice(b);
                Constant::Float(f64::from_le_bytes(a))
            }
            TAG_STRING => Constant::String(self.string()?),
            TAG_BIG_INT => {
                let n = self.count("BigInt bytes")?;
                Constant::BigInt(self.take(n as usize)?.to_vec())
            }
            TAG_FUNCTION => Constant::Function(Box::new(self.function(depth + 1)?)),
            tag => return Err(self.err_at(at, format!("constant of tag {tag} is not supported"))),
        })
    }

    fn function(&mut self, depth: usize) -> Result<Function, BytecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err("functions nested too deeply".into()));
        }
        let flags = self.u16()?;
        let kind = ((flags >> 4) & 3) as u8;
        let has_debug = flags & (1 << 11) != 0;
        let strict = self.u8()? != 0;
        let name = self.atom()?;
        let arg_count = self.leb()?;
        let var_count = self.leb()?;
        let defined_arg_count = self.leb()?;
        let stack_size = self.leb()?;
        let var_ref_count = self.leb()?;
        let closure_count = self.count("closure variables")?;
        let cpool_count = self.count("constants")?;
        let code_len = self.count("code bytes")?;
        let local_count = self.count("variables")?;
        let mut vars = Vec::with_capacity(local_count as usize);
        for _ in 0..local_count {
            let name = self.atom()?;
            let scope_level = self.leb()?;
            let scope_next = self.leb()?.checked_sub(1);
            let f = self.u8()?;
            let captured = if f & 0x40 != 0 {
                Some(self.leb()?)
            } else {
                None
            };
            vars.push(VarDef {
                name,
                scope_level,
                scope_next,
                kind: f & 0xf,
                is_const: f & 0x10 != 0,
                is_lexical: f & 0x20 != 0,
                captured,
            });
        }
        let mut closure_vars = Vec::with_capacity(closure_count as usize);
        for _ in 0..closure_count {
            let name = self.atom()?;
            let index = self.leb()?;
            let f = self.leb()?;
            closure_vars.push(ClosureVar {
                name,
                index,
                closure_type: (f & 7) as u8,
                is_const: f & 8 != 0,
                is_lexical: f & 16 != 0,
                kind: ((f >> 5) & 0xf) as u8,
            });
        }
        let constants = (0..cpool_count)
            .map(|_| self.constant(depth))
            .collect::<Result<_, _>>()?;
        let start = self.pos;
        let code_bytes = self.take(code_len as usize)?.to_vec();
        let code = self.code(start, &code_bytes)?;
        let debug = if has_debug {
            let filename = self.atom()?;
            let line = self.leb()?;
            let column = self.leb()?;
            let n = self.count("line-table bytes")?;
            let pc2line = self.take(n as usize)?.to_vec();
            let n = self.count("source bytes")?;
            let source = (n > 0)
                .then(|| {
                    self.take(n as usize)
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                })
                .transpose()?;
            Some(DebugInfo {
                filename,
                line,
                column,
                pc2line,
                source,
            })
        } else {
            None
        };
        Ok(Function {
            name,
            strict,
            kind,
            arg_count,
            var_count,
            defined_arg_count,
            stack_size,
            var_ref_count,
            vars,
            closure_vars,
            constants,
            code,
            debug,
        })
    }

    /// Decodes an opcode stream that started at file offset `base`.
    fn code(&self, base: usize, b: &[u8]) -> Result<Vec<Instr>, BytecodeError> {
        let mut out = Vec::new();
        let mut pc = 0usize;
        let mut labels = Vec::new();
        while pc < b.len() {
            let at = base + pc;
            let byte = b[pc];
            let opcode = Opcode::from_byte(byte)
                .ok_or_else(|| self.err_at(at, format!("unknown opcode {byte}")))?;
            let size = opcode.size();
            let ops = b.get(pc + 1..pc + size).ok_or_else(|| {
                self.err_at(at, format!("`{opcode}` runs past the end of the code"))
            })?;
            let u16_at = |i: usize| i64::from(u16::from_le_bytes([ops[i], ops[i + 1]]));
            let u32_at =
                |i: usize| u32::from_le_bytes([ops[i], ops[i + 1], ops[i + 2], ops[i + 3]]);
            // A label is relative to where its own field starts.
            let label = |field: usize, off: i64| -> Result<u32, BytecodeError> {
                let target = (pc + 1 + field) as i64 + off;
                u32::try_from(target)
                    .ok()
                    .filter(|&t| (t as usize) < b.len())
                    .ok_or_else(|| self.err_at(at, format!("`{opcode}` jumps outside the code")))
            };
            use Format::*;
            let operand = match opcode.format() {
                None | NoneInt | NoneLoc | NoneArg | NoneVarRef | Npopx => Operand::None,
                U8 | Loc8 | Const8 => Operand::Int(i64::from(ops[0])),
                I8 => Operand::Int(i64::from(ops[0] as i8)),
                Label8 => Operand::Label(label(0, i64::from(ops[0] as i8))?),
                U16 | Npop | Loc | Arg | VarRef => Operand::Int(u16_at(0)),
                I16 => Operand::Int(i64::from(u16_at(0) as u16 as i16)),
                Label16 => Operand::Label(label(0, i64::from(u16_at(0) as u16 as i16))?),
                NpopU16 => Operand::IntInt(u16_at(0), u16_at(2)),
                U32 | Const => Operand::Int(i64::from(u32_at(0))),
                I32 => Operand::Int(i64::from(u32_at(0) as i32)),
                Label => Operand::Label(label(0, i64::from(u32_at(0) as i32))?),
                U32x2 => Operand::IntInt(i64::from(u32_at(0)), i64::from(u32_at(4))),
                Atom => Operand::Atom(self.atom_value(at, u32_at(0))?),
                AtomU8 => Operand::AtomInt(self.atom_value(at, u32_at(0))?, i64::from(ops[4])),
                AtomU16 => Operand::AtomInt(self.atom_value(at, u32_at(0))?, u16_at(4)),
                AtomLabelU8 => Operand::AtomLabelInt(
                    self.atom_value(at, u32_at(0))?,
                    label(4, i64::from(u32_at(4) as i32))?,
                    i64::from(ops[8]),
                ),
                AtomLabelU16 => Operand::AtomLabelInt(
                    self.atom_value(at, u32_at(0))?,
                    label(4, i64::from(u32_at(4) as i32))?,
                    u16_at(8),
                ),
                LabelU16 => Operand::LabelInt(label(0, i64::from(u32_at(0) as i32))?, u16_at(4)),
            };
            if let Operand::Label(t) | Operand::LabelInt(t, _) | Operand::AtomLabelInt(_, t, _) =
                operand
            {
                labels.push((at, t));
            }
            out.push(Instr {
                pc: pc as u32,
                opcode,
                operand,
            });
            pc += size;
        }
        // Every jump lands on an instruction.
        for (at, t) in labels {
            if out.binary_search_by_key(&t, |i| i.pc).is_err() {
                return Err(self.err_at(
                    at,
                    format!("a jump lands inside an instruction (offset {t})"),
                ));
            }
        }
        Ok(out)
    }
}
