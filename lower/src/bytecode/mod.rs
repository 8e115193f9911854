//! A reader of QuickJS bytecode as `oxbpf_quickjs::compile` writes it (quickjs-ng's
//! `JS_WriteObject` format, version [`BC_VERSION`], as rquickjs 0.14 bundles it): the module, its
//! functions with their atoms, constants, arguments, locals, closure variables and opcode
//! stream. It reads; it never runs anything, and any input gets a value or an error naming the
//! byte offset, never a panic. What it does not know (another version, an unknown tag or
//! opcode) is an error that says so.

mod atoms;
mod opcodes;
mod reader;

pub use atoms::BUILTIN_ATOMS;
pub use opcodes::{Format, Opcode};
pub use reader::read;

/// The bytecode version this reader knows (the first byte of every object).
pub const BC_VERSION: u8 = 28;

/// The first atom number a bytecode's own atom table gives (the predefined ones come before).
pub const FIRST_ATOM: u32 = BUILTIN_ATOMS.len() as u32 + 1;

/// Why bytecode could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("QuickJS bytecode, byte {offset}: {message}")]
pub struct BytecodeError {
    /// Where.
    pub offset: usize,
    /// What.
    pub message: String,
}

/// A name in bytecode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Atom {
    /// No name.
    Null,
    /// Text (a predefined atom's or the bytecode's own).
    Text(String),
    /// An integer used as a property key.
    Int(u32),
}

impl Atom {
    /// The atom as text (integers in decimal, no name as "").
    pub fn text(&self) -> String {
        match self {
            Atom::Null => String::new(),
            Atom::Text(s) => s.clone(),
            Atom::Int(i) => i.to_string(),
        }
    }
}

/// A module: its imports, exports, and the function that runs its top level.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The module's name.
    pub name: Atom,
    /// Modules it imports from.
    pub requires: Vec<Atom>,
    /// Its exports (name and, for local ones, the variable index).
    pub exports: Vec<(Atom, Option<u32>)>,
    /// Whether it uses top-level `await`.
    pub has_top_level_await: bool,
    /// The top-level function.
    pub function: Function,
}

/// A local variable or argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDef {
    /// Its name.
    pub name: Atom,
    /// Its scope level (0: function scope).
    pub scope_level: u32,
    /// The next variable of the enclosing scope, if any.
    pub scope_next: Option<u32>,
    /// `var`, `let`, function declaration, ... (QuickJS's `var_kind`).
    pub kind: u8,
    /// `const`.
    pub is_const: bool,
    /// `let` or `const`.
    pub is_lexical: bool,
    /// Captured by a closure (then its index among the function's variable references).
    pub captured: Option<u32>,
}

/// A variable a closure captures from an enclosing function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureVar {
    /// Its name.
    pub name: Atom,
    /// Its index in the enclosing function (a local, an argument or a reference).
    pub index: u32,
    /// Where it comes from (QuickJS's `closure_type`).
    pub closure_type: u8,
    /// `const`.
    pub is_const: bool,
    /// `let` or `const`.
    pub is_lexical: bool,
    /// QuickJS's `var_kind`.
    pub kind: u8,
}

/// A constant-pool entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// `true` or `false`.
    Bool(bool),
    /// A 32-bit integer.
    Int(i32),
    /// A double.
    Float(f64),
    /// A string.
    String(String),
    /// A BigInt, as its little-endian two's-complement bytes.
    BigInt(Vec<u8>),
    /// A nested function (a closure's code).
    Function(Box<Function>),
}

/// An operand of an instruction.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// None (or implied by the opcode).
    None,
    /// An integer (immediate, local, argument, reference or constant index, argument count).
    Int(i64),
    /// A jump target: the instruction offset it lands on.
    Label(u32),
    /// A name.
    Atom(Atom),
    /// A name and an integer.
    AtomInt(Atom, i64),
    /// A name, a jump target and an integer.
    AtomLabelInt(Atom, u32, i64),
    /// A jump target and an integer.
    LabelInt(u32, i64),
    /// Two integers.
    IntInt(i64, i64),
}

/// One instruction.
#[derive(Clone, Debug, PartialEq)]
pub struct Instr {
    /// Its byte offset in the function's code.
    pub pc: u32,
    /// Its opcode.
    pub opcode: Opcode,
    /// Its operand.
    pub operand: Operand,
}

impl Instr {
    /// Its integer operand: the one it holds, or the one its short opcode implies
    /// (`get_loc2`: 2); none for other operands.
    pub fn int(&self) -> Option<i64> {
        match self.operand {
            Operand::Int(v) => Some(v),
            _ => self.opcode.implied(),
        }
    }
}

impl std::fmt::Display for Instr {
    /// `PC NAME OPERAND`, with labels as `@PC` and names quoted: `0012 get_field "data_len"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04} {}", self.pc, self.opcode)?;
        let atom = |a: &Atom| match a {
            Atom::Null => "null".to_owned(),
            Atom::Text(s) => format!("{s:?}"),
            Atom::Int(i) => i.to_string(),
        };
        match &self.operand {
            Operand::None => Ok(()),
            Operand::Int(v) => write!(f, " {v}"),
            Operand::Label(t) => write!(f, " @{t}"),
            Operand::Atom(a) => write!(f, " {}", atom(a)),
            Operand::AtomInt(a, v) => write!(f, " {} {v}", atom(a)),
            Operand::AtomLabelInt(a, t, v) => write!(f, " {} @{t} {v}", atom(a)),
            Operand::LabelInt(t, v) => write!(f, " @{t} {v}"),
            Operand::IntInt(a, b) => write!(f, " {a} {b}"),
        }
    }
}

impl Function {
    /// This function and the functions in its constant pool, depth first.
    pub fn all(&self) -> Vec<&Function> {
        let mut out = vec![self];
        for c in &self.constants {
            if let Constant::Function(g) = c {
                out.extend(g.all());
            }
        }
        out
    }
}

/// Debug information of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugInfo {
    /// Its file name.
    pub filename: Atom,
    /// Its first line.
    pub line: u32,
    /// Its first column.
    pub column: u32,
    /// The encoded table from instruction offsets to lines.
    pub pc2line: Vec<u8>,
    /// Its source text, if stored.
    pub source: Option<String>,
}

/// A function.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Its name.
    pub name: Atom,
    /// Strict mode.
    pub strict: bool,
    /// Normal, generator, async or async generator (QuickJS's `func_kind`).
    pub kind: u8,
    /// Declared arguments.
    pub arg_count: u32,
    /// Local variables.
    pub var_count: u32,
    /// Arguments before the first with a default value.
    pub defined_arg_count: u32,
    /// Stack slots the code needs.
    pub stack_size: u32,
    /// Variable references (captured locals).
    pub var_ref_count: u32,
    /// Arguments then locals.
    pub vars: Vec<VarDef>,
    /// Variables captured from enclosing functions.
    pub closure_vars: Vec<ClosureVar>,
    /// The constant pool.
    pub constants: Vec<Constant>,
    /// The code.
    pub code: Vec<Instr>,
    /// Debug information, unless stripped.
    pub debug: Option<DebugInfo>,
}

impl Function {
    /// The instruction at byte offset `pc`.
    pub fn at(&self, pc: u32) -> Option<&Instr> {
        self.code
            .binary_search_by_key(&pc, |i| i.pc)
            .ok()
            .map(|i| &self.code[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_predefined_atoms_start_with_null() {
        assert_eq!(BUILTIN_ATOMS[0], "null");
    }
}
