//! One bytecode instruction: its effect on the abstract state and, when emitting, its eBPF.
//! The analysis and the emission run this same code, so the code emitted for an instruction is
//! always the one the analysis reasoned about.
//!
//! [`Step::run`] matches the [`Opcode`] once and hands the instruction to its class, one file
//! each: [`constants`] (pushed values), [`stack`] (the operand stack and the opcodes that move
//! its values), [`locals`], [`arith`] (arithmetic and bitwise operators), [`compare`]
//! (comparisons, fused with the branch after them, and the `undefined`/`null` tests),
//! [`branch`] (conditional branches and `goto`), [`fields`] (globals, module variables and
//! properties), [`elements`] (module buffers indexed), [`call`] (method calls) and [`ctx`]
//! (`ctx` reads). Calls of module functions and `return` are in [`inline`](super::inline),
//! the helpers and strings in [`calls`](super::calls), keyed map methods in
//! [`keyed`](super::keyed).

mod arith;
mod branch;
mod call;
mod compare;
mod constants;
mod ctx;
mod elements;
mod fields;
mod locals;
mod math;
mod stack;
mod state;

pub(crate) use state::State;

use super::emit::Code;
use super::module::{Env, FnInfo, Inst};
use super::value::Val;
use super::{LowerError, LowerErrorKind};
use crate::bytecode::{Atom, Instr, Opcode, Operand};
use oxbpf_core::Insn;
use oxbpf_core::isa::Label;

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
    /// What the passes share.
    pub(crate) env: &'e Env<'a>,
    /// The instance.
    pub(crate) n: u16,
    /// What the instance is.
    pub(crate) inst: Inst,
    /// Its function.
    pub(crate) fi: &'e FnInfo<'a>,
    /// The instruction.
    pub(crate) ins: &'e Instr,
    /// The instruction's index in the function's code.
    pub(crate) idx: usize,
    /// The next instruction, when it may be fused with this one (a compare and its branch).
    pub(crate) fuse_next: Option<&'e Instr>,
    /// The code being emitted (none during the analysis).
    pub(crate) code: Option<&'e mut Code>,
    /// The abstract state, before the instruction and then after it.
    pub(crate) st: State,
    /// Set when the step consumed `fuse_next` too.
    pub(crate) fused: bool,
}

/// A step's result: a value, or why the function is not lowered.
pub(crate) type R<T> = Result<T, LowerError>;

impl Step<'_, '_> {
    /// Runs the step: the opcode's class handles it.
    pub(crate) fn run(&mut self) -> R<Next> {
        use Opcode as O;
        let op = self.ins.opcode;
        match op {
            // Constants.
            op if op.pushes_int() => self.push_int(),
            O::PushConst | O::PushConst8 => self.push_const(),
            O::PushTrue | O::PushFalse => self.push_bool(op == O::PushTrue),
            O::Undefined => self.push_value(Val::Undef),
            O::Null => self.push_value(Val::Null),
            O::PushAtomValue => match &self.ins.operand {
                Operand::Atom(Atom::Text(t)) => self.string_literal(t),
                _ => Err(self.err("a string literal without text")),
            },
            O::PushEmptyString => self.string_literal(""),
            O::ArrayFrom => self.array_literal(self.ins.int().unwrap_or(-1)),
            // The operand stack.
            O::Drop
            | O::Nip
            | O::Nip1
            | O::Dup
            | O::Dup1
            | O::Dup2
            | O::Dup3
            | O::Insert2
            | O::Insert3
            | O::Insert4
            | O::Perm3
            | O::Perm4
            | O::Perm5
            | O::Swap
            | O::Swap2
            | O::Rot3l
            | O::Rot3r
            | O::Rot4l
            | O::Rot5l => self.stack_op(op),
            // Locals and arguments.
            op if op.is_local_op() => self.local_op(op),
            O::GetArg | O::GetArg0 | O::GetArg1 | O::GetArg2 | O::GetArg3 => {
                self.get_arg(self.ins.int().unwrap_or(-1))
            }
            O::PutArg | O::PutArg0 | O::PutArg1 | O::PutArg2 | O::PutArg3 => {
                self.put_arg(self.ins.int().unwrap_or(-1), true)
            }
            O::SetArg | O::SetArg0 | O::SetArg1 | O::SetArg2 | O::SetArg3 => {
                self.put_arg(self.ins.int().unwrap_or(-1), false)
            }
            // Operators; `+` with a string operand concatenates.
            O::Add
                if self
                    .st
                    .stack
                    .iter()
                    .rev()
                    .take(2)
                    .any(|v| matches!(v, Val::Str(_))) =>
            {
                self.concat()
            }
            O::Neg | O::Plus | O::Inc | O::Dec | O::Not | O::Lnot | O::PostInc | O::PostDec => {
                self.unary(op)
            }
            O::Add
            | O::Sub
            | O::Mul
            | O::Mod
            | O::And
            | O::Or
            | O::Xor
            | O::Shl
            | O::Sar
            | O::Shr => self.binary(op),
            // Comparisons and branches.
            O::Lt | O::Lte | O::Gt | O::Gte | O::StrictEq | O::StrictNeq | O::Eq | O::Neq => {
                self.compare(op)
            }
            O::IsUndefinedOrNull | O::IsUndefined | O::IsNull => self.nullish_test(op),
            O::IfFalse | O::IfFalse8 => self.if_op(false),
            O::IfTrue | O::IfTrue8 => self.if_op(true),
            O::Goto | O::Goto8 | O::Goto16 => self.goto(),
            // Names, properties and elements.
            O::GetVarRef
            | O::GetVarRefCheck
            | O::GetVarRef0
            | O::GetVarRef1
            | O::GetVarRef2
            | O::GetVarRef3 => self.get_var_ref(),
            O::GetVar => self.get_var(),
            O::GetField | O::GetField2 => self.get_field(op == O::GetField2),
            O::GetLength => self.get_length(),
            O::GetArrayEl => self.get_array_el(),
            O::PutArrayEl => self.put_array_el(),
            O::ToPropkey | O::ToPropkey2 => self.property_key(),
            // Calls and returns.
            O::Call | O::TailCall | O::Call0 | O::Call1 | O::Call2 | O::Call3 => {
                self.call(self.ins.int().unwrap_or(-1), op == O::TailCall)
            }
            O::CallMethod => self.call_method(self.ins.int().unwrap_or(-1)),
            O::TailCallMethod => self.tail_call_method(),
            O::Return => {
                let v = self.pop()?;
                self.ret(v)
            }
            O::ReturnUndef => self.ret(Val::Undef),
            O::Nop => Ok(self.fall()),
            _ => Err(self.outside()),
        }
    }

    /// Why the function is not lowered, at this instruction.
    pub(crate) fn err(&self, reason: impl Into<String>) -> LowerError {
        LowerError::new(&self.fi.name, Some(self.ins), reason)
    }

    /// A failed check of the lowering's own at the current instruction: a bug in the lowering.
    pub(crate) fn internal(&self, what: &str) -> LowerError {
        self.err(format!("internal error: {what}"))
            .of(LowerErrorKind::Internal)
    }

    /// The refusal of an opcode the lowering does not cover.
    fn outside(&self) -> LowerError {
        self.err("opcode outside the lowered subset")
    }

    /// Two new labels (none during the analysis).
    pub(crate) fn fresh_labels(&mut self) -> Option<(Label, Label)> {
        self.code.as_deref_mut().map(|a| (a.label(), a.label()))
    }

    /// Emits with the code writer, if emitting.
    pub(crate) fn emit(&mut self, f: impl FnOnce(&mut Code)) {
        if let Some(a) = self.code.as_deref_mut() {
            f(a);
        }
    }

    /// Emits with the code writer and the two labels of [`fresh_labels`](Self::fresh_labels),
    /// if emitting.
    pub(crate) fn emit_with(
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

    /// A failure: the hook's default return (an exception on QuickJS).
    pub(crate) fn fail(&mut self) -> Next {
        self.emit(Code::fail);
        Next {
            fall: None,
            jump: None,
            goto: None,
        }
    }

    /// Falls through to the next instruction with the state as it is.
    pub(crate) fn fall(&self) -> Next {
        Next {
            fall: Some(self.st.clone()),
            jump: None,
            goto: None,
        }
    }
}
