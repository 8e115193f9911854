//! One bytecode instruction: its effect on the abstract state and, when emitting, its eBPF.
//! The analysis and the emission run this same code, so the code emitted for an instruction is
//! always the one the analysis reasoned about.

use super::LowerError;
use super::emit::{Code, Loc, R_BLOB, R_LEN, R0, R1, R2, SCRATCH, alu64, sext32};
use super::module::{Env, Field, FnInfo, Inst, ModVar};
use super::value::{Cmp, MapOp, Range, Read, TextFn, Val};
use crate::bytecode::{Atom, Constant, Instr, Operand};
use oxbpf_core::Insn;
use oxbpf_core::isa::{self, AluOp, Cond, Label, Reg, Size};
use oxbpf_helpers::standard;
use oxbpf_loader::mbpf::manifest::MapKind;

/// The abstract state before an instruction.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct State {
    pub(crate) stack: Vec<Val>,
    pub(crate) locals: Vec<Val>,
    /// The elements of each `[lo, hi]` array literal (see [`Val::Pair`]).
    pub(crate) pairs: Vec<[Val; 2]>,
}

impl State {
    /// The join at a merge (`widen`: at a loop head), or why the paths cannot merge.
    pub(crate) fn join(&self, o: &State, widen: bool) -> Result<State, String> {
        if self.stack.len() != o.stack.len() || self.locals.len() != o.locals.len() {
            return Err("paths reach it with different stack depths".into());
        }
        let j = |a: &[Val], b: &[Val], what: &str| {
            a.iter()
                .zip(b)
                .enumerate()
                .map(|(i, (x, y))| {
                    x.join(*y, widen).ok_or_else(|| {
                        format!(
                            "paths reach it with {} and {} in {what} {i}",
                            x.describe(),
                            y.describe()
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let flat = |p: &[[Val; 2]]| p.iter().flatten().copied().collect::<Vec<_>>();
        let pairs = j(&flat(&self.pairs), &flat(&o.pairs), "array element")?;
        Ok(State {
            stack: j(&self.stack, &o.stack, "stack slot")?,
            locals: j(&self.locals, &o.locals, "local")?,
            pairs: pairs.chunks(2).map(|c| [c[0], c[1]]).collect(),
        })
    }
}

/// Where control goes after an instruction.
pub(crate) struct Next {
    /// Falls through to the next instruction with this state.
    pub(crate) fall: Option<State>,
    /// Jumps to the instruction at this byte offset with this state.
    pub(crate) jump: Option<(u32, State)>,
    /// Goes to instruction `.1` of instance `.0` (a call or a return) with this state.
    pub(crate) goto: Option<(u16, usize, State)>,
}

/// The context of one step.
pub(crate) struct Step<'e, 'a> {
    pub(crate) env: &'e Env<'a>,
    /// The instance.
    pub(crate) n: u16,
    pub(crate) inst: Inst,
    /// Its function.
    pub(crate) fi: &'e FnInfo<'a>,
    pub(crate) ins: &'e Instr,
    /// The instruction's index in the function's code.
    pub(crate) idx: usize,
    /// The next instruction, when it may be fused with this one (a compare and its branch).
    pub(crate) fuse_next: Option<&'e Instr>,
    /// The code being emitted (none during the analysis).
    pub(crate) code: Option<&'e mut Code>,
    pub(crate) st: State,
    /// Set when the step consumed `fuse_next` too.
    pub(crate) fused: bool,
}

pub(super) type R<T> = Result<T, LowerError>;

/// What an operand names, as an integer.
fn int(o: &Operand) -> Option<i64> {
    match o {
        Operand::Int(v) => Some(*v),
        _ => None,
    }
}

/// The number at the end of a short opcode's name (`get_loc2` → 2).
fn suffix(name: &str, prefix: &str) -> Option<i64> {
    name.strip_prefix(prefix)?.parse().ok()
}

impl Step<'_, '_> {
    pub(super) fn err(&self, reason: impl Into<String>) -> LowerError {
        LowerError::new(&self.fi.name, Some(self.ins), reason)
    }

    pub(super) fn pop(&mut self) -> R<Val> {
        let v = self.top()?;
        self.st.stack.pop();
        Ok(v)
    }

    /// The value on top of this function's operand stack (not its caller's).
    pub(super) fn top(&self) -> R<Val> {
        self.need(1)?;
        Ok(self.st.stack[self.depth() - 1])
    }

    /// Fails unless this function's operand stack holds `n` values (its caller's do not count).
    pub(super) fn need(&self, n: usize) -> R<()> {
        if self.depth() < self.inst.stack_base + n {
            return Err(self.err("operand stack underflow"));
        }
        Ok(())
    }

    pub(super) fn depth(&self) -> usize {
        self.st.stack.len()
    }

    /// Two new labels (none during the analysis).
    pub(super) fn fresh_labels(&mut self) -> Option<(Label, Label)> {
        self.code.as_deref_mut().map(|a| (a.label(), a.label()))
    }

    /// Emits with the code writer, if emitting.
    pub(super) fn emit(&mut self, f: impl FnOnce(&mut Code)) {
        if let Some(a) = self.code.as_deref_mut() {
            f(a);
        }
    }

    /// Emits with the code writer and the two labels of [`fresh_labels`](Self::fresh_labels),
    /// if emitting.
    pub(super) fn emit_with(
        &mut self,
        labels: Option<(Label, Label)>,
        f: impl FnOnce(&mut Code, Label, Label),
    ) {
        if let (Some(a), Some((l1, l2))) = (self.code.as_deref_mut(), labels) {
            f(a, l1, l2);
        }
    }

    /// Emits `insns`, if emitting.
    fn emit_all(&mut self, insns: &[Insn]) {
        self.emit(|a| {
            for &i in insns {
                a.insn(i);
            }
        });
    }

    /// Pushes `v`; a run-time value's bits are in `reg` (ignored for the others).
    pub(super) fn push_reg(&mut self, v: Val, reg: Reg) {
        let d = self.depth();
        if v.runtime() {
            if let Some(c) = v.range().and_then(Range::as_const) {
                self.emit(|a| a.store_const(Loc::depth(d), c));
            } else {
                self.emit(|a| a.store(Loc::depth(d), reg));
            }
        }
        self.st.stack.push(v);
    }

    /// Pushes a value whose bits are nowhere yet (a constant, or an object).
    pub(super) fn push(&mut self, v: Val) -> R<()> {
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            return Err(self.err("internal error: a run-time value without bits"));
        }
        self.push_reg(v, R0);
        Ok(())
    }

    /// Loads the value at stack position `i` (0 = bottom) into `reg`.
    pub(super) fn load(&mut self, reg: Reg, i: usize, v: Val) {
        match v.range().and_then(Range::as_const) {
            Some(c) => self.emit(|a| a.mov_const(reg, c)),
            None => self.emit(|a| a.load(reg, Loc::depth(i))),
        }
    }

    /// Pops a number or boolean into `reg`, with its range.
    fn pop_num(&mut self, reg: Reg, what: &str) -> R<Range> {
        let v = self.pop()?;
        let Some(r) = v.range() else {
            return Err(self.err(format!("{what} is {}, not a number", v.describe())));
        };
        self.require_exact(r)?;
        let i = self.depth();
        self.load(reg, i, v);
        Ok(r)
    }

    /// Refuses a value a double may hold rounded (a 64-bit field beyond 2^53): only
    /// comparisons with exact values see it the same way as QuickJS.
    pub(super) fn require_exact(&self, r: Range) -> R<()> {
        if r.exact() {
            Ok(())
        } else {
            Err(self.err("a value that may reach 2^53, which a double rounds"))
        }
    }

    /// A failure: the hook's default return (an exception on QuickJS).
    pub(super) fn fail(&mut self) -> Next {
        self.emit(Code::fail);
        Next {
            fall: None,
            jump: None,
            goto: None,
        }
    }

    pub(super) fn fall(&self) -> Next {
        Next {
            fall: Some(self.st.clone()),
            jump: None,
            goto: None,
        }
    }

    /// A local was written: forget what stack values said about it.
    pub(super) fn forget_local(&mut self, l: u16) {
        for v in &mut self.st.stack {
            match v {
                Val::Num { from, .. } if *from == Some(l) => *from = None,
                Val::Bool { test, .. } if test.is_some_and(|t| t.0 == l) => *test = None,
                _ => {}
            }
        }
    }

    /// Local `l` of the function, as an index into the state's locals.
    fn local(&self, l: i64) -> R<u16> {
        let at = self.inst.local_base as i64 + l;
        if (0..i64::from(self.fi.f.var_count)).contains(&l) && at < self.st.locals.len() as i64 {
            Ok(at as u16)
        } else {
            Err(self.err("local index out of range"))
        }
    }

    /// Runs the step.
    pub(crate) fn run(&mut self) -> R<Next> {
        let name = self.ins.info().name;
        let op = self.ins.operand.clone();
        // Constants.
        let pushed = match name {
            "push_i8" | "push_i16" | "push_i32" => int(&op),
            "push_minus1" => Some(-1),
            _ => suffix(name, "push_").filter(|_| name.len() == 6),
        };
        if let Some(c) = pushed {
            self.push(Val::num(Range::constant(i128::from(c))))?;
            return Ok(self.fall());
        }
        match name {
            "push_const" | "push_const8" => {
                let c = int(&op).and_then(|i| self.fi.f.constants.get(i as usize));
                return match c {
                    Some(Constant::Int(v)) => {
                        self.push(Val::num(Range::constant(i128::from(*v))))?;
                        Ok(self.fall())
                    }
                    Some(Constant::Float(x))
                        if x.fract() == 0.0
                            && x.abs() <= 9.0e15
                            && !(*x == 0.0 && x.is_sign_negative()) =>
                    {
                        self.push(Val::num(Range::constant(*x as i128)))?;
                        Ok(self.fall())
                    }
                    _ => Err(self.err("a constant that is not an integer")),
                };
            }
            "push_true" | "push_false" => {
                let b = i128::from(name == "push_true");
                self.push(Val::boolean(Range::constant(b)))?;
                return Ok(self.fall());
            }
            "undefined" => {
                self.push(Val::Undef)?;
                return Ok(self.fall());
            }
            "null" => {
                self.push(Val::Null)?;
                return Ok(self.fall());
            }
            "push_atom_value" => {
                return match &op {
                    Operand::Atom(Atom::Text(t)) => self.string_literal(t),
                    _ => Err(self.err("a string literal without text")),
                };
            }
            "push_empty_string" => return self.string_literal(""),
            "add"
                if self
                    .st
                    .stack
                    .iter()
                    .rev()
                    .take(2)
                    .any(|v| matches!(v, Val::Str(_))) =>
            {
                return self.concat();
            }
            "array_from" => return self.array_literal(int(&op).unwrap_or(-1)),
            _ => {}
        }
        if let Some(n) = self.stack_op(name)? {
            return Ok(n);
        }
        if let Some(n) = self.local_op(name, &op)? {
            return Ok(n);
        }
        if let Some(n) = self.arith(name)? {
            return Ok(n);
        }
        if let Some(n) = self.compare(name)? {
            return Ok(n);
        }
        match name {
            "get_arg" | "get_arg0" | "get_arg1" | "get_arg2" | "get_arg3" => {
                let k = int(&op).or_else(|| suffix(name, "get_arg")).unwrap_or(-1);
                self.get_arg(k)
            }
            "put_arg" | "put_arg0" | "put_arg1" | "put_arg2" | "put_arg3" | "set_arg"
            | "set_arg0" | "set_arg1" | "set_arg2" | "set_arg3" => {
                let k = int(&op)
                    .or_else(|| suffix(name, "put_arg"))
                    .or_else(|| suffix(name, "set_arg"))
                    .unwrap_or(-1);
                self.put_arg(k, name.starts_with("put"))
            }
            "call" | "tail_call" => self.call(int(&op).unwrap_or(-1), name == "tail_call"),
            "call0" | "call1" | "call2" | "call3" => {
                self.call(suffix(name, "call").unwrap_or(-1), false)
            }
            "get_var_ref" | "get_var_ref_check" | "get_var_ref0" | "get_var_ref1"
            | "get_var_ref2" | "get_var_ref3" => {
                let k = int(&op)
                    .or_else(|| suffix(name, "get_var_ref"))
                    .unwrap_or(-1);
                match self.fi.vars.get(k as usize) {
                    Some(ModVar::Const(c)) => {
                        self.push(Val::num(Range::constant(i128::from(*c))))?
                    }
                    Some(ModVar::Buf { .. }) => self.push(Val::Buf(k as u16))?,
                    Some(ModVar::Func(g)) => self.push(Val::Func(*g as u16))?,
                    Some(ModVar::Other(why)) => return Err(self.err(why.clone())),
                    None => return Err(self.err("unknown module variable")),
                }
                Ok(self.fall())
            }
            "get_var" => match &op {
                Operand::Atom(Atom::Text(g)) if ["maps", "mbpf", "undefined"].contains(&&**g) => {
                    self.push(match g.as_str() {
                        "maps" => Val::Maps,
                        "mbpf" => Val::Mbpf,
                        // A read-only global.
                        _ => Val::Undef,
                    })?;
                    Ok(self.fall())
                }
                _ => Err(self.err("a global other than `maps` and `mbpf`")),
            },
            "get_field" | "get_field2" => self.get_field(name == "get_field2", &op),
            "get_length" => {
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
            "get_array_el" => self.get_array_el(),
            "put_array_el" => self.put_array_el(),
            "to_propkey" | "to_propkey2" => match self.top().ok() {
                Some(v) if v.runtime() => Ok(self.fall()),
                _ => Err(self.err("a property key that is not a number")),
            },
            "is_undefined_or_null" | "is_undefined" | "is_null" => {
                let v = self.pop()?;
                let r = match (name, v) {
                    (
                        _,
                        Val::Num { .. }
                        | Val::Bool { .. }
                        | Val::Buf(_)
                        | Val::Ctx
                        | Val::Maps
                        | Val::Map(_)
                        | Val::Mbpf
                        | Val::Pair(_)
                        | Val::Str(_)
                        | Val::Func(_),
                    ) => 0,
                    ("is_undefined", Val::Undef) | ("is_null", Val::Null) => 1,
                    ("is_undefined_or_null", Val::Undef | Val::Null) => 1,
                    ("is_undefined" | "is_null", Val::Undef | Val::Null) => 0,
                    _ => return Err(self.err(format!("test of {}", v.describe()))),
                };
                self.push(Val::boolean(Range::constant(r)))?;
                Ok(self.fall())
            }
            "if_false" | "if_false8" | "if_true" | "if_true8" => {
                let target = match op {
                    Operand::Label(t) => t,
                    _ => return Err(self.err("branch without a target")),
                };
                let v = self.pop()?;
                self.branch(v, name.starts_with("if_true"), target)
            }
            "goto" | "goto8" | "goto16" => match op {
                Operand::Label(t) => {
                    self.emit(|a| a.jump_to(t));
                    Ok(Next {
                        fall: None,
                        jump: Some((t, self.st.clone())),
                        goto: None,
                    })
                }
                _ => Err(self.err("jump without a target")),
            },
            "return" => {
                let v = self.pop()?;
                self.ret(v)
            }
            "return_undef" => self.ret(Val::Undef),
            "call_method" => {
                let argc = int(&op).unwrap_or(-1);
                self.call_method(argc)
            }
            "tail_call_method" => {
                // The call, then `return` of its result.
                let next = self.call_method(int(&op).unwrap_or(-1))?;
                let Some(st) = next.fall else {
                    return Ok(next);
                };
                self.st = st;
                let v = self.pop()?;
                self.ret(v)
            }
            "nop" => Ok(self.fall()),
            _ => Err(self.err("opcode outside the lowered subset")),
        }
    }

    /// The module buffer of module variable `k`: its offset in the globals and length.
    pub(super) fn buf(&self, k: u16) -> R<(u32, u32)> {
        match self.fi.vars.get(usize::from(k)) {
            Some(ModVar::Buf { off, len }) => Ok((*off, *len)),
            _ => Err(self.err("internal error: not a buffer")),
        }
    }

    /// Moves stack values: the new stack's slot `i` takes the old slot `from[i]` of the top
    /// `n` (positions relative to the first of them).
    fn shuffle(&mut self, n: usize, from: &[usize]) -> R<Next> {
        self.need(n)?;
        let d = self.depth();
        let base = d - n;
        let old: Vec<Val> = self.st.stack[base..].to_vec();
        let mut new = Vec::with_capacity(from.len());
        let mut moves = Vec::new();
        for (i, &f) in from.iter().enumerate() {
            let v = old[f];
            if v.runtime() && f != i {
                moves.push((base + f, base + i, v));
            }
            new.push(v);
        }
        if moves.len() > 5 {
            return Err(self.err("internal error: too many stack moves"));
        }
        self.emit(|a| {
            for (&(src, _, _), r) in moves.iter().zip(SCRATCH) {
                a.load(r, Loc::depth(src));
            }
            for (&(_, dst, _), r) in moves.iter().zip(SCRATCH) {
                a.store(Loc::depth(dst), r);
            }
        });
        self.st.stack.truncate(base);
        self.st.stack.extend(new);
        Ok(self.fall())
    }

    fn stack_op(&mut self, name: &str) -> R<Option<Next>> {
        let (n, from): (usize, &[usize]) = match name {
            "drop" => (1, &[]),
            "nip" => (2, &[1]),
            "nip1" => (3, &[1, 2]),
            "dup" => (1, &[0, 0]),
            "dup1" => (2, &[0, 0, 1]),
            "dup2" => (2, &[0, 1, 0, 1]),
            "dup3" => (3, &[0, 1, 2, 0, 1, 2]),
            "insert2" => (2, &[1, 0, 1]),
            "insert3" => (3, &[2, 0, 1, 2]),
            "insert4" => (4, &[3, 0, 1, 2, 3]),
            "perm3" => (3, &[1, 0, 2]),
            "perm4" => (4, &[2, 0, 1, 3]),
            "perm5" => (5, &[3, 0, 1, 2, 4]),
            "swap" => (2, &[1, 0]),
            "swap2" => (4, &[2, 3, 0, 1]),
            "rot3l" => (3, &[1, 2, 0]),
            "rot3r" => (3, &[2, 0, 1]),
            "rot4l" => (4, &[1, 2, 3, 0]),
            "rot5l" => (5, &[1, 2, 3, 4, 0]),
            _ => return Ok(None),
        };
        self.shuffle(n, from).map(Some)
    }

    fn local_op(&mut self, name: &str, op: &Operand) -> R<Option<Next>> {
        let idx = |p: &str| int(op).or_else(|| suffix(name, p));
        let (kind, l) = if let Some(l) = idx("get_loc").filter(|_| {
            name.starts_with("get_loc") && !name.contains("check") && name != "get_loc0_loc1"
        }) {
            ("get", l)
        } else if name == "get_loc_check" {
            ("get_check", int(op).unwrap_or(-1))
        } else if let Some(l) =
            idx("put_loc").filter(|_| name.starts_with("put_loc") && !name.contains("check"))
        {
            ("put", l)
        } else if name == "put_loc_check" {
            ("put_check", int(op).unwrap_or(-1))
        } else if name == "put_loc_check_init" {
            ("put", int(op).unwrap_or(-1))
        } else if let Some(l) = idx("set_loc")
            .filter(|_| name.starts_with("set_loc") && name != "set_loc_uninitialized")
        {
            ("set", l)
        } else if name == "set_loc_uninitialized" {
            ("uninit", int(op).unwrap_or(-1))
        } else if name == "get_loc0_loc1" {
            ("get01", 0)
        } else if matches!(name, "inc_loc" | "dec_loc" | "add_loc") {
            (name, int(op).unwrap_or(-1))
        } else {
            return Ok(None);
        };
        if kind == "get01" {
            for l in [0, 1] {
                self.get_local(self.local(l)?, false)?;
            }
            return Ok(Some(self.fall()));
        }
        let l = self.local(l)?;
        match kind {
            "get" | "get_check" => {
                if !self.get_local(l, kind == "get_check")? {
                    return Ok(Some(self.fail()));
                }
            }
            "put" | "put_check" | "set" => {
                let v = self.top()?;
                if kind == "put_check" && self.st.locals[usize::from(l)] == Val::Uninit {
                    // Assignment before `let` initialised it: a ReferenceError.
                    return Ok(Some(self.fail()));
                }
                let i = self.depth() - 1;
                if v.runtime() {
                    self.load(R0, i, v);
                    self.emit(|a| a.store(Loc::Local(l), R0));
                }
                self.forget_local(l);
                self.st.locals[usize::from(l)] = match v {
                    Val::Num { r, .. } => Val::num(r),
                    Val::Bool { r, .. } => Val::boolean(r),
                    other => other,
                };
                if kind != "set" {
                    self.st.stack.pop();
                }
            }
            "uninit" => {
                self.forget_local(l);
                self.st.locals[usize::from(l)] = Val::Uninit;
            }
            _ => {
                // inc_loc, dec_loc, add_loc.
                let cur = self.st.locals[usize::from(l)];
                let Some(a) = cur.range() else {
                    return Err(self.err(format!("arithmetic on {}", cur.describe())));
                };
                self.emit(|s| s.load(R0, Loc::Local(l)));
                let r = match kind {
                    "inc_loc" => {
                        self.emit(|s| s.alu_k(AluOp::Add, R0, 1));
                        a.add(Range::constant(1))
                    }
                    "dec_loc" => {
                        self.emit(|s| s.alu_k(AluOp::Sub, R0, 1));
                        a.sub(Range::constant(1))
                    }
                    _ => {
                        let b = self.pop_num(R1, "the addend")?;
                        self.emit(|s| s.alu(AluOp::Add, R0, R1));
                        a.add(b)
                    }
                };
                if !r.exact() {
                    return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
                }
                self.emit(|s| s.store(Loc::Local(l), R0));
                self.forget_local(l);
                self.st.locals[usize::from(l)] = Val::num(r);
            }
        }
        Ok(Some(self.fall()))
    }

    /// Pushes local `l`; `false` when reading it throws (a `let` before its initialisation).
    fn get_local(&mut self, l: u16, checked: bool) -> R<bool> {
        let v = self.st.locals[usize::from(l)];
        if v == Val::Uninit {
            if checked {
                return Ok(false);
            }
            return Err(self.err("read of an uninitialised local"));
        }
        let v = match v {
            Val::Num { r, .. } => Val::Num { r, from: Some(l) },
            other => other,
        };
        if v.runtime() && v.range().and_then(Range::as_const).is_none() {
            self.emit(|a| a.load(R0, Loc::Local(l)));
            self.push_reg(v, R0);
        } else {
            self.push(v)?;
        }
        Ok(true)
    }

    fn get_field(&mut self, keep: bool, op: &Operand) -> R<Next> {
        let Operand::Atom(atom) = op else {
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
            _ => {
                return Err(self.err(format!("property `{name}` of {}", obj.describe())));
            }
        };
        self.push(v)?;
        Ok(self.fall())
    }

    /// The index of a buffer access in `reg`, proven inside `len`.
    fn buf_index(&mut self, reg: Reg, len: u32) -> R<()> {
        let r = self.pop_num(reg, "the index")?;
        if !r.within(Range::new(0, i128::from(len) - 1)) {
            return Err(self.err(format!("the index may be outside the {len}-byte buffer")));
        }
        Ok(())
    }

    fn get_array_el(&mut self) -> R<Next> {
        let idx = self.pop()?;
        let obj = self.pop()?;
        if let Val::Pair(p) = obj {
            return self.pair_get(p, idx);
        }
        let Val::Buf(k) = obj else {
            return Err(self.err(format!("indexing {}", obj.describe())));
        };
        self.st.stack.push(obj);
        self.st.stack.push(idx);
        let (off, len) = self.buf(k)?;
        self.buf_index(R0, len)?;
        self.st.stack.pop();
        let g = self.env.globals;
        self.emit(|a| {
            a.map_value(R1, g, off);
            a.alu(AluOp::Add, R1, R0);
            a.ldx(Size::B, R0, R1, 0);
        });
        self.push_reg(Val::num(Range::new(0, 255)), R0);
        Ok(self.fall())
    }

    fn put_array_el(&mut self) -> R<Next> {
        let v = self.pop()?;
        let i = self.depth();
        self.need(2)?;
        if let [.., Val::Pair(p), idx] = self.st.stack[..] {
            self.st.stack.truncate(i - 2);
            return self.pair_put(p, idx, v, i);
        }
        match v {
            Val::Num { r, .. } | Val::Bool { r, .. } => {
                self.require_exact(r)?;
                self.load(R2, i, v);
            }
            // ToNumber(undefined) is NaN, stored as 0.
            Val::Undef => self.emit(|a| a.mov_const(R2, 0)),
            _ => return Err(self.err(format!("storing {} in a Uint8Array", v.describe()))),
        }
        let idx = self.pop()?;
        let obj = self.pop()?;
        let Val::Buf(k) = obj else {
            return Err(self.err(format!("indexing {}", obj.describe())));
        };
        self.st.stack.push(idx);
        let (off, len) = self.buf(k)?;
        self.buf_index(R0, len)?;
        let g = self.env.globals;
        self.emit(|a| {
            a.map_value(R1, g, off);
            a.alu(AluOp::Add, R1, R0);
            a.stx(Size::B, R1, 0, R2);
        });
        Ok(self.fall())
    }

    /// Conditional branches on `v`: to `target` when its truth is `when`.
    fn branch(&mut self, v: Val, when: bool, target: u32) -> R<Next> {
        let (r, test) = match v {
            Val::Num { r, .. } => (r, None),
            Val::Bool { r, test } => (r, test),
            Val::Undef | Val::Null => (Range::constant(0), None),
            Val::Buf(_) | Val::Ctx | Val::Maps | Val::Map(_) => (Range::constant(1), None),
            _ => return Err(self.err(format!("branch on {}", v.describe()))),
        };
        let truth = if r.lo > 0 || r.hi < 0 {
            Some(true)
        } else if r.as_const() == Some(0) {
            Some(false)
        } else {
            None
        };
        let mut taken = self.st.clone();
        let mut fall = self.st.clone();
        if let Some((l, op, k)) = test {
            let (t_op, f_op) = if when {
                (op, op.negate())
            } else {
                (op.negate(), op)
            };
            for (s, o) in [(&mut taken, t_op), (&mut fall, f_op)] {
                if let Val::Num { r, from } = s.locals[usize::from(l)] {
                    s.locals[usize::from(l)] = Val::Num {
                        r: r.narrow(o, k),
                        from,
                    };
                }
            }
        }
        match truth {
            Some(t) if t == when => {
                self.emit(|a| a.jump_to(target));
                Ok(Next {
                    fall: None,
                    jump: Some((target, taken)),
                    goto: None,
                })
            }
            Some(_) => Ok(Next {
                fall: Some(fall),
                jump: None,
                goto: None,
            }),
            None => {
                let i = self.depth();
                self.emit(|a| {
                    a.load(R0, Loc::depth(i));
                    let l = a.label_of(target);
                    a.jump_k(if when { Cond::Ne } else { Cond::Eq }, R0, 0, l);
                });
                Ok(Next {
                    fall: Some(fall),
                    jump: Some((target, taken)),
                    goto: None,
                })
            }
        }
    }

    fn arith(&mut self, name: &str) -> R<Option<Next>> {
        let unary = matches!(
            name,
            "neg" | "plus" | "inc" | "dec" | "not" | "lnot" | "post_inc" | "post_dec"
        );
        let binary = matches!(
            name,
            "add" | "sub" | "mul" | "and" | "or" | "xor" | "shl" | "sar" | "shr"
        );
        if !unary && !binary {
            return Ok(None);
        }
        if unary {
            let v = self.pop()?;
            let i = self.depth();
            let Some(a) = v.range() else {
                return Err(self.err(format!("`{name}` of {}", v.describe())));
            };
            self.require_exact(a)?;
            if name == "post_inc" || name == "post_dec" {
                // Old value stays, new value on top.
                let old = match v {
                    Val::Num { .. } => v,
                    _ => Val::num(a),
                };
                self.st.stack.push(old);
                if let Some(c) = a.as_const() {
                    self.emit(|s| s.store_const(Loc::depth(i), c));
                }
                self.load(R0, i, v);
                let (r, op) = if name == "post_inc" {
                    (a.add(Range::constant(1)), AluOp::Add)
                } else {
                    (a.sub(Range::constant(1)), AluOp::Sub)
                };
                if !r.exact() {
                    return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
                }
                self.emit(|s| s.alu_k(op, R0, 1));
                self.push_reg(Val::num(r), R0);
                return Ok(Some(self.fall()));
            }
            self.load(R0, i, v);
            let [lsh, arsh] = sext32(R0);
            let (r, insns): (Range, &[Insn]) = match name {
                "neg" => (
                    Range::new(-a.hi, -a.lo),
                    &[Insn::Neg {
                        width: isa::Width::W64,
                        dst: R0,
                    }],
                ),
                "plus" => (a, &[]),
                "inc" => (
                    a.add(Range::constant(1)),
                    &[alu64(AluOp::Add, R0, isa::Operand::Imm(1))],
                ),
                "dec" => (
                    a.sub(Range::constant(1)),
                    &[alu64(AluOp::Sub, R0, isa::Operand::Imm(1))],
                ),
                "not" => {
                    let b = a.int32();
                    (
                        Range::new(-b.hi - 1, -b.lo - 1),
                        &[alu64(AluOp::Xor, R0, isa::Operand::Imm(-1)), lsh, arsh],
                    )
                }
                _ => {
                    // lnot
                    let r = match (a.lo > 0 || a.hi < 0, a.as_const() == Some(0)) {
                        (true, _) => Range::constant(0),
                        (_, true) => Range::constant(1),
                        _ => Range::BOOL,
                    };
                    self.emit(|s| {
                        let nonzero = s.label();
                        s.alu_k(AluOp::Mov, R1, 0);
                        s.jump_k(Cond::Ne, R0, 0, nonzero);
                        s.alu_k(AluOp::Mov, R1, 1);
                        s.bind(nonzero);
                        s.mov(R0, R1);
                    });
                    self.push_reg(Val::boolean(r), R0);
                    return Ok(Some(self.fall()));
                }
            };
            if !r.exact() {
                return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
            }
            self.emit_all(insns);
            self.push_reg(Val::num(r), R0);
            return Ok(Some(self.fall()));
        }
        let b = self.pop_num(R1, "the right operand")?;
        let a = self.pop_num(R0, "the left operand")?;
        let shift = |r: Range| r.as_const().map(|c| (c & 31) as u32);
        let x1 = isa::Operand::Reg(R1);
        let [lsh, arsh] = sext32(R0);
        let mask = alu64(AluOp::And, R1, isa::Operand::Imm(31));
        let (r, insns): (Range, Vec<Insn>) = match name {
            "add" => (a.add(b), vec![alu64(AluOp::Add, R0, x1)]),
            "sub" => (a.sub(b), vec![alu64(AluOp::Sub, R0, x1)]),
            "mul" => (a.mul(b), vec![alu64(AluOp::Mul, R0, x1)]),
            "and" | "or" | "xor" => {
                let (x, y) = (a.int32(), b.int32());
                let r = match name {
                    "and" if x.lo >= 0 || y.lo >= 0 => Range::new(
                        0,
                        if x.lo >= 0 && y.lo >= 0 {
                            x.hi.min(y.hi)
                        } else if x.lo >= 0 {
                            x.hi
                        } else {
                            y.hi
                        },
                    ),
                    "or" | "xor" if x.lo >= 0 && y.lo >= 0 => {
                        let m = x.hi.max(y.hi);
                        Range::new(0, i128::from((m as u64 + 1).next_power_of_two() - 1))
                    }
                    _ => Range::INT32,
                };
                let op = match name {
                    "and" => AluOp::And,
                    "or" => AluOp::Or,
                    _ => AluOp::Xor,
                };
                (r, vec![alu64(op, R0, x1), lsh, arsh])
            }
            "shl" => {
                let x = a.int32();
                let r = match shift(b) {
                    Some(s) if x.lo >= 0 && (x.hi << s) < (1 << 31) => {
                        Range::new(x.lo << s, x.hi << s)
                    }
                    _ => Range::INT32,
                };
                (r, vec![mask, alu64(AluOp::Lsh, R0, x1), lsh, arsh])
            }
            "sar" => {
                let x = a.int32();
                let r = match shift(b) {
                    Some(s) => Range::new(x.lo >> s, x.hi >> s),
                    None => Range::new(x.lo.min(0), x.hi.max(0)),
                };
                (r, vec![lsh, arsh, mask, alu64(AluOp::Arsh, R0, x1)])
            }
            _ => {
                // shr
                let x = a.uint32();
                let r = match shift(b) {
                    Some(s) => Range::new(x.lo >> s, x.hi >> s),
                    None => Range::new(0, x.hi),
                };
                let mov32 = Insn::Alu {
                    width: isa::Width::W32,
                    op: AluOp::Mov,
                    dst: R0,
                    src: isa::Operand::Reg(R0),
                };
                (r, vec![mov32, mask, alu64(AluOp::Rsh, R0, x1)])
            }
        };
        if !r.exact() {
            return Err(self.err("the result may leave ±2^53, where doubles are inexact"));
        }
        self.emit_all(&insns);
        self.push_reg(Val::num(r), R0);
        Ok(Some(self.fall()))
    }

    fn compare(&mut self, name: &str) -> R<Option<Next>> {
        let (cmp, strict, loose) = match name {
            "lt" => (Cmp::Lt, false, false),
            "lte" => (Cmp::Le, false, false),
            "gt" => (Cmp::Gt, false, false),
            "gte" => (Cmp::Ge, false, false),
            "strict_eq" => (Cmp::Eq, true, false),
            "strict_neq" => (Cmp::Ne, true, false),
            "eq" => (Cmp::Eq, false, true),
            "neq" => (Cmp::Ne, false, true),
            _ => return Ok(None),
        };
        let vb = self.pop()?;
        let va = self.pop()?;
        let d = self.depth();
        // Values of different types: decided without running anything.
        let decided = match (va, vb) {
            (Val::Num { .. }, Val::Num { .. }) | (Val::Bool { .. }, Val::Bool { .. }) => None,
            (Val::Num { .. } | Val::Bool { .. }, Val::Num { .. } | Val::Bool { .. }) if strict => {
                Some(cmp == Cmp::Ne)
            }
            (Val::Num { .. } | Val::Bool { .. }, Val::Num { .. } | Val::Bool { .. }) => None,
            (Val::Undef | Val::Null, Val::Undef | Val::Null) if strict || loose => {
                Some((va == vb || loose) == (cmp == Cmp::Eq))
            }
            (Val::Undef | Val::Null, Val::Num { .. } | Val::Bool { .. })
            | (Val::Num { .. } | Val::Bool { .. }, Val::Undef | Val::Null)
                if strict || loose =>
            {
                Some(cmp == Cmp::Ne)
            }
            _ => {
                return Err(self.err(format!(
                    "comparison of {} and {}",
                    va.describe(),
                    vb.describe()
                )));
            }
        };
        let (ra, rb) = (va.range(), vb.range());
        // `local op x`, with the range of `x`: kept even where this visit decides it, as the
        // branch's states are joined over the visits.
        let test = match (va, vb, ra, rb) {
            (Val::Num { from: Some(l), .. }, _, _, Some(rb)) if decided.is_none() => {
                Some((l, cmp, rb))
            }
            (_, Val::Num { from: Some(l), .. }, Some(ra), _) if decided.is_none() => {
                Some((l, cmp.swap(), ra))
            }
            _ => None,
        };
        let decided = decided.or_else(|| cmp.decide(ra?, rb?));
        if let Some(t) = decided {
            let r = Range::constant(i128::from(t));
            self.push(Val::Bool { r, test })?;
            return Ok(Some(self.fall()));
        }
        let (ra, rb) = (ra.unwrap_or(Range::BOOL), rb.unwrap_or(Range::BOOL));
        if !(ra.exact() || rb.exact()) {
            return Err(self.err("comparison of two numbers beyond ±2^53 (inexact as doubles)"));
        }
        self.load(R0, d, va);
        let b_imm = rb.as_const().and_then(|c| i32::try_from(c).ok());
        if b_imm.is_none() {
            self.load(R1, d + 1, vb);
        }
        let rhs = b_imm.map_or(isa::Operand::Reg(R1), isa::Operand::Imm);
        // A branch right after, on this result alone: one conditional jump.
        if let Some(next) = self.fuse_next {
            let nn = next.info().name;
            if let (Some(when), Operand::Label(t)) = (
                match nn {
                    "if_false" | "if_false8" => Some(false),
                    "if_true" | "if_true8" => Some(true),
                    _ => None,
                },
                &next.operand,
            ) && self.code.is_some()
            {
                let j = if when { cmp } else { cmp.negate() };
                let t = *t;
                self.emit(|a| {
                    let l = a.label_of(t);
                    a.jump(j.cond(), R0, rhs, l);
                });
                self.fused = true;
                // The state after the branch instruction, as the analysis computed it.
                let v = Val::Bool {
                    r: Range::BOOL,
                    test,
                };
                return self.branch_states(v, when, t).map(Some);
            }
        }
        self.emit(|a| {
            let holds = a.label();
            a.alu_k(AluOp::Mov, R2, 1);
            a.jump(cmp.cond(), R0, rhs, holds);
            a.alu_k(AluOp::Mov, R2, 0);
            a.bind(holds);
        });
        self.push_reg(
            Val::Bool {
                r: Range::BOOL,
                test,
            },
            R2,
        );
        Ok(Some(self.fall()))
    }

    /// The successor states of a fused branch (no code).
    fn branch_states(&mut self, v: Val, when: bool, target: u32) -> R<Next> {
        let code = self.code.take();
        let r = self.branch(v, when, target);
        self.code = code;
        r
    }

    fn call_method(&mut self, argc: i64) -> R<Next> {
        if !(0..=8).contains(&argc) {
            return Err(self.err("call with a bad argument count"));
        }
        self.need(argc as usize + 2)?;
        let argc = argc as usize;
        let base = self.depth() - argc - 2;
        let func = self.st.stack[base + 1];
        let args: Vec<Val> = self.st.stack[base + 2..].to_vec();
        let arg = |i: usize| args.get(i).copied().unwrap_or(Val::Undef);
        match func {
            Val::CtxRead(w) => self.ctx_read(base, w, arg(0)),
            Val::MapFn(m, op @ (MapOp::Add | MapOp::Set | MapOp::Get)) => {
                self.counter_call(base, m, op, arg(0), arg(1))
            }
            Val::MapFn(m, MapOp::Submit) => self.ring_submit(base, m, arg(0)),
            Val::MapFn(_, MapOp::CpuId) => {
                let max = self.env.max_helpers;
                self.emit(|a| {
                    a.count_helper(max);
                    a.call(standard::GET_SMP_PROCESSOR_ID);
                });
                Ok(self.finish_call(base, Val::num(Range::UINT32), R0))
            }
            Val::MapFn(m, op) => self.map_call(base, m, op, arg(0), arg(1)),
            Val::MbpfFn(h) => self.helper_call(base, h, &args),
            Val::TextFn(f) => self.text_call(base, f, &args),
            // Not a function: a TypeError.
            Val::Undef | Val::Null | Val::Num { .. } | Val::Bool { .. } => Ok(self.fail()),
            _ => Err(self.err(format!("call of {}", func.describe()))),
        }
    }

    /// Drops the call's values and pushes its result (in `reg`).
    pub(super) fn finish_call(&mut self, base: usize, result: Val, reg: Reg) -> Next {
        self.st.stack.truncate(base);
        self.push_reg(result, reg);
        self.fall()
    }

    fn ctx_read(&mut self, base: usize, w: Read, off: Val) -> R<Next> {
        let Some(r) = off.range().filter(|_| matches!(off, Val::Num { .. })) else {
            // `typeof off !== "number"`: a TypeError.
            return Ok(self.fail());
        };
        self.require_exact(r)?;
        let h = self.env.header;
        let width = w.width();
        self.load(R0, base + 2, off);
        let r = if r.within(Range::INT32) {
            r
        } else {
            self.emit_all(&sext32(R0));
            Range::INT32
        };
        if r.hi < 0 {
            return Ok(self.fail());
        }
        self.emit(|a| {
            if r.lo < 0 {
                a.fail_if_k(Cond::Slt, R0, 0);
            }
            a.mov(R1, R0);
            a.alu_k(AluOp::Add, R1, i64::from(h) + width);
            a.fail_if_x(Cond::Gt, R1, R_LEN);
            a.mov(R1, R_BLOB);
            a.alu(AluOp::Add, R1, R0);
            let h = i64::from(h);
            match w {
                Read::U8 => a.ldx(Size::B, R0, R1, h),
                Read::U16 => {
                    a.ldx(Size::H, R0, R1, h);
                    a.le(16, R0);
                }
                Read::U32 => {
                    a.ldx(Size::W, R0, R1, h);
                    a.le(32, R0);
                }
            }
        });
        let range = match w {
            Read::U8 => Range::new(0, 255),
            Read::U16 => Range::new(0, 65535),
            Read::U32 => Range::UINT32,
        };
        Ok(self.finish_call(base, Val::num(range), R0))
    }
}
