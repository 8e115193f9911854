//! Assembler for the bpf_conformance assembly dialect (see the crate docs for the grammar).
//!
//! ```
//! use oxbpf_core::asm::assemble;
//! let prog = assemble("mov %r0, 1\nadd32 %r0, 41\nexit").unwrap();
//! assert_eq!(prog.len(), 3);
//! assert_eq!(prog[1].to_string(), "add32 %r0, 41");
//! ```
//!
//! Grammar, one instruction or label per line:
//! - comments start with `#` or `;`; operands are separated by whitespace with one optional trailing
//!   comma each (`mov %r0, 1`); registers are `%r0`..`%r10`;
//! - a label is `name:` (anything after it on the line is ignored); the first `exit` also defines
//!   the label `exit`; jump targets are labels or `+N`/`-N` relative to the next instruction;
//! - immediates containing `0x` are hexadecimal and must fit in 32 bits (`0xffffffff` is -1),
//!   others are signed decimal 32-bit; memory operands are `[%rN]`, `[%rN+off]` or `[%rN-off]`;
//! - mnemonics: ALU `add sub mul div sdiv or and lsh rsh mod smod xor mov arsh` (64-bit; `32` suffix
//!   for 32-bit), `neg[32]`, `movsx{8,16}32`, `movsx{8,16,32}64`, `le/be/bswap/swap{16,32,64}`,
//!   `ldx{b,h,w,dw}`, `ldxs{b,h,w}`, `st{b,h,w,dw}`, `stx{b,h,w,dw}`, `lddw` (also
//!   `lddw %rN, map_fd 3` and the other [`Imm64Kind`] keywords, with an optional second
//!   immediate), `ldabs{b,h,w} imm`, `ldind{b,h,w} %rN, imm`, `ja`, `ja32`, conditional jumps
//!   `jeq jgt jge jset jne jsgt jsge jlt jle jslt jsle` (`32` suffix for JMP32), `call N`,
//!   `call %rN`, `call local TARGET`, `call runtime N`, `exit`, and atomics
//!   `lock [fetch] add|or|and|xor[32] [mem], %rN`, `lock xchg[32] ...`, `lock cmpxchg[32] ...`.

mod hex;
mod operand;

pub use hex::{HexError, parse_hex};

use crate::isa::{
    AluOp, AtomicOp, ByteOrder, Cond, Imm64Kind, Insn, Operand, PacketMode, Size, Width,
};
use operand::{parse_imm32, parse_imm64, parse_mem, parse_reg, parse_target};
use std::collections::HashMap;

/// Why a line could not be assembled. The messages of the first variants are the ones the upstream
/// bpf_conformance assembler prints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AsmErrorKind {
    /// A register operand is malformed or above `%r10`.
    #[error("Invalid register")]
    InvalidRegister,
    /// The mnemonic takes another number of operands.
    #[error("Invalid number of operands for {0}")]
    OperandCount(String),
    /// No instruction has this mnemonic.
    #[error("Invalid mnemonic: {0}")]
    UnknownMnemonic(String),
    /// An immediate is malformed or out of range.
    #[error("Invalid immediate: {0}")]
    InvalidImmediate(String),
    /// A memory operand or offset is malformed or out of range.
    #[error("Invalid offset: {0}")]
    InvalidOffset(String),
    /// A jump names a label that is not defined.
    #[error("Invalid label: {0}")]
    UnknownLabel(String),
    /// A label is defined twice.
    #[error("Duplicate label: {0}")]
    DuplicateLabel(String),
    /// A jump target is too far for the instruction's offset field.
    #[error("Jump target out of range: {0}")]
    TargetOutOfRange(String),
}

/// An assembly error and the 1-based source line where it occurred.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct AsmError {
    /// 1-based line number in the source text.
    pub line: usize,
    /// What was wrong.
    pub kind: AsmErrorKind,
}

struct Line<'a> {
    number: usize,
    pc: usize,
    tokens: Vec<&'a str>,
}

/// Assembles source text into instructions (one per 8-byte slot, `lddw` taking two).
pub fn assemble(source: &str) -> Result<Vec<Insn>, AsmError> {
    let mut labels: HashMap<&str, usize> = HashMap::new();
    let mut lines = Vec::new();
    let mut pc = 0usize;
    let mut exit_pc = None;
    for (i, raw) in source.lines().enumerate() {
        let text = raw.split(['#', ';']).next().unwrap_or("");
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let Some(first) = tokens.first() else {
            continue;
        };
        if let Some(name) = first.strip_suffix(':') {
            if labels.insert(name, pc).is_some() {
                return Err(AsmError {
                    line: i + 1,
                    kind: AsmErrorKind::DuplicateLabel(name.into()),
                });
            }
            continue;
        }
        if *first == "exit" && exit_pc.is_none() {
            exit_pc = Some(pc);
        }
        let slots = if *first == "lddw" { 2 } else { 1 };
        lines.push(Line {
            number: i + 1,
            pc,
            tokens,
        });
        pc += slots;
    }
    if let Some(e) = exit_pc {
        labels.entry("exit").or_insert(e);
    }
    let mut out = Vec::with_capacity(pc);
    for line in &lines {
        let insn = parse_line(line, &labels).map_err(|kind| AsmError {
            line: line.number,
            kind,
        })?;
        out.push(insn);
        if matches!(insn, Insn::LoadImm64 { .. }) {
            out.push(Insn::LoadImm64Tail);
        }
    }
    Ok(out)
}

/// Strips the one optional trailing comma of an operand.
fn operands<'a>(tokens: &[&'a str]) -> Vec<&'a str> {
    tokens
        .iter()
        .map(|t| t.strip_suffix(',').unwrap_or(t))
        .collect()
}

fn expect_n(mn: &str, ops: &[&str], n: usize) -> Result<(), AsmErrorKind> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(AsmErrorKind::OperandCount(mn.into()))
    }
}

fn parse_line(line: &Line<'_>, labels: &HashMap<&str, usize>) -> Result<Insn, AsmErrorKind> {
    let mn = line.tokens[0];
    let ops = operands(&line.tokens[1..]);
    let target = |t: &str| parse_target(t, line.pc, labels);
    if mn == "lock" {
        return parse_lock(&ops);
    }
    if mn == "call" {
        return parse_call(&ops, &target);
    }
    if let Some(insn) = parse_alu(mn, &ops)? {
        return Ok(insn);
    }
    if let Some(insn) = parse_jump(mn, &ops, &target)? {
        return Ok(insn);
    }
    if let Some(insn) = parse_memory(mn, &ops)? {
        return Ok(insn);
    }
    match mn {
        "exit" => {
            expect_n(mn, &ops, 0)?;
            Ok(Insn::Exit)
        }
        "lddw" => parse_lddw(&ops),
        _ => Err(AsmErrorKind::UnknownMnemonic(mn.into())),
    }
}

fn alu_op(name: &str) -> Option<AluOp> {
    Some(match name {
        "add" => AluOp::Add,
        "sub" => AluOp::Sub,
        "mul" => AluOp::Mul,
        "div" => AluOp::Div,
        "sdiv" => AluOp::SDiv,
        "or" => AluOp::Or,
        "and" => AluOp::And,
        "lsh" => AluOp::Lsh,
        "rsh" => AluOp::Rsh,
        "mod" => AluOp::Mod,
        "smod" => AluOp::SMod,
        "xor" => AluOp::Xor,
        "mov" => AluOp::Mov,
        "arsh" => AluOp::Arsh,
        _ => return None,
    })
}

fn split_width(mn: &str) -> (&str, Width) {
    match mn.strip_suffix("32") {
        Some(base) => (base, Width::W32),
        None => (mn, Width::W64),
    }
}

fn parse_alu(mn: &str, ops: &[&str]) -> Result<Option<Insn>, AsmErrorKind> {
    let movsx = match mn {
        "movsx832" => Some((AluOp::MovSx8, Width::W32)),
        "movsx1632" => Some((AluOp::MovSx16, Width::W32)),
        "movsx864" => Some((AluOp::MovSx8, Width::W64)),
        "movsx1664" => Some((AluOp::MovSx16, Width::W64)),
        "movsx3264" => Some((AluOp::MovSx32, Width::W64)),
        _ => None,
    };
    if let Some((op, width)) = movsx {
        expect_n(mn, ops, 2)?;
        return Ok(Some(Insn::Alu {
            width,
            op,
            dst: parse_reg(ops[0])?,
            src: Operand::Reg(parse_reg(ops[1])?),
        }));
    }
    let (base, width) = split_width(mn);
    if base == "neg" {
        expect_n(mn, ops, 1)?;
        return Ok(Some(Insn::Neg {
            width,
            dst: parse_reg(ops[0])?,
        }));
    }
    if let Some(op) = alu_op(base) {
        expect_n(mn, ops, 2)?;
        let dst = parse_reg(ops[0])?;
        let src = reg_or_imm(ops[1])?;
        return Ok(Some(Insn::Alu {
            width,
            op,
            dst,
            src,
        }));
    }
    let endian = [
        ("le", ByteOrder::Le),
        ("be", ByteOrder::Be),
        ("bswap", ByteOrder::Swap),
        ("swap", ByteOrder::Swap),
    ]
    .into_iter()
    .find_map(|(p, o)| mn.strip_prefix(p).map(|bits| (o, bits)));
    if let Some((order, bits)) = endian {
        let bits = match bits {
            "16" => 16,
            "32" => 32,
            "64" => 64,
            _ => return Ok(None),
        };
        expect_n(mn, ops, 1)?;
        return Ok(Some(Insn::Endian {
            order,
            bits,
            dst: parse_reg(ops[0])?,
        }));
    }
    Ok(None)
}

fn reg_or_imm(s: &str) -> Result<Operand, AsmErrorKind> {
    if s.starts_with('%') {
        Ok(Operand::Reg(parse_reg(s)?))
    } else {
        Ok(Operand::Imm(parse_imm32(s)?))
    }
}

fn cond(name: &str) -> Option<Cond> {
    Some(match name {
        "jeq" => Cond::Eq,
        "jgt" => Cond::Gt,
        "jge" => Cond::Ge,
        "jset" => Cond::Set,
        "jne" => Cond::Ne,
        "jsgt" => Cond::Sgt,
        "jsge" => Cond::Sge,
        "jlt" => Cond::Lt,
        "jle" => Cond::Le,
        "jslt" => Cond::Slt,
        "jsle" => Cond::Sle,
        _ => return None,
    })
}

fn off16(rel: i64, text: &str) -> Result<i16, AsmErrorKind> {
    i16::try_from(rel).map_err(|_| AsmErrorKind::TargetOutOfRange(text.into()))
}

fn off32(rel: i64, text: &str) -> Result<i32, AsmErrorKind> {
    i32::try_from(rel).map_err(|_| AsmErrorKind::TargetOutOfRange(text.into()))
}

fn parse_jump(
    mn: &str,
    ops: &[&str],
    target: &dyn Fn(&str) -> Result<i64, AsmErrorKind>,
) -> Result<Option<Insn>, AsmErrorKind> {
    match mn {
        "ja" => {
            expect_n(mn, ops, 1)?;
            return Ok(Some(Insn::Ja {
                off: off16(target(ops[0])?, ops[0])?,
            }));
        }
        "ja32" => {
            expect_n(mn, ops, 1)?;
            return Ok(Some(Insn::Ja32 {
                imm: off32(target(ops[0])?, ops[0])?,
            }));
        }
        _ => {}
    }
    let (base, width) = split_width(mn);
    let Some(cond) = cond(base) else {
        return Ok(None);
    };
    expect_n(mn, ops, 3)?;
    let dst = parse_reg(ops[0])?;
    let src = reg_or_imm(ops[1])?;
    let off = off16(target(ops[2])?, ops[2])?;
    Ok(Some(Insn::Jump {
        width,
        cond,
        dst,
        src,
        off,
    }))
}

fn parse_call(
    ops: &[&str],
    target: &dyn Fn(&str) -> Result<i64, AsmErrorKind>,
) -> Result<Insn, AsmErrorKind> {
    match ops {
        ["local", t] => Ok(Insn::CallLocal {
            off: off32(target(t)?, t)?,
        }),
        ["runtime", id] => Ok(Insn::CallRuntime {
            id: parse_imm32(id)?,
        }),
        [r] if r.starts_with('%') => Ok(Insn::Callx { reg: parse_reg(r)? }),
        [id] => Ok(Insn::Call {
            helper: parse_imm32(id)? as u32,
        }),
        _ => Err(AsmErrorKind::OperandCount("call".into())),
    }
}

fn size(s: &str) -> Option<Size> {
    Some(match s {
        "b" => Size::B,
        "h" => Size::H,
        "w" => Size::W,
        "dw" => Size::DW,
        _ => return None,
    })
}

fn parse_memory(mn: &str, ops: &[&str]) -> Result<Option<Insn>, AsmErrorKind> {
    if let Some(sz) = mn
        .strip_prefix("ldxs")
        .and_then(size)
        .filter(|s| *s != Size::DW)
    {
        expect_n(mn, ops, 2)?;
        let (src, off) = parse_mem(ops[1])?;
        return Ok(Some(Insn::Load {
            size: sz,
            signed: true,
            dst: parse_reg(ops[0])?,
            src,
            off,
        }));
    }
    if let Some(sz) = mn.strip_prefix("ldx").and_then(size) {
        expect_n(mn, ops, 2)?;
        let (src, off) = parse_mem(ops[1])?;
        return Ok(Some(Insn::Load {
            size: sz,
            signed: false,
            dst: parse_reg(ops[0])?,
            src,
            off,
        }));
    }
    if let Some(sz) = mn.strip_prefix("stx").and_then(size) {
        expect_n(mn, ops, 2)?;
        let (dst, off) = parse_mem(ops[0])?;
        return Ok(Some(Insn::Store {
            size: sz,
            dst,
            off,
            src: Operand::Reg(parse_reg(ops[1])?),
        }));
    }
    if let Some(sz) = mn.strip_prefix("st").and_then(size) {
        expect_n(mn, ops, 2)?;
        let (dst, off) = parse_mem(ops[0])?;
        return Ok(Some(Insn::Store {
            size: sz,
            dst,
            off,
            src: Operand::Imm(parse_imm32(ops[1])?),
        }));
    }
    if let Some(sz) = mn
        .strip_prefix("ldabs")
        .and_then(size)
        .filter(|s| *s != Size::DW)
    {
        expect_n(mn, ops, 1)?;
        return Ok(Some(Insn::LoadPacket {
            size: sz,
            mode: PacketMode::Abs,
            imm: parse_imm32(ops[0])?,
        }));
    }
    if let Some(sz) = mn
        .strip_prefix("ldind")
        .and_then(size)
        .filter(|s| *s != Size::DW)
    {
        expect_n(mn, ops, 2)?;
        let mode = PacketMode::Ind(parse_reg(ops[0])?);
        return Ok(Some(Insn::LoadPacket {
            size: sz,
            mode,
            imm: parse_imm32(ops[1])?,
        }));
    }
    Ok(None)
}

fn parse_lddw(ops: &[&str]) -> Result<Insn, AsmErrorKind> {
    match ops {
        [dst, imm] => Ok(Insn::LoadImm64 {
            dst: parse_reg(dst)?,
            kind: Imm64Kind::Value,
            imm: parse_imm64(imm)?,
        }),
        [dst, kw, rest @ ..] if (1..=2).contains(&rest.len()) => {
            let kind = Imm64Kind::ALL
                .into_iter()
                .find(|k| k.src() != 0 && k.keyword() == *kw)
                .ok_or_else(|| AsmErrorKind::InvalidImmediate((*kw).into()))?;
            let lo = parse_imm32(rest[0])? as u32;
            let hi = match rest.get(1) {
                Some(h) => parse_imm32(h)? as u32,
                None => 0,
            };
            Ok(Insn::LoadImm64 {
                dst: parse_reg(dst)?,
                kind,
                imm: u64::from(lo) | (u64::from(hi) << 32),
            })
        }
        _ => Err(AsmErrorKind::OperandCount("lddw".into())),
    }
}

fn parse_lock(ops: &[&str]) -> Result<Insn, AsmErrorKind> {
    let count = || AsmErrorKind::OperandCount("lock".into());
    let (fetch, rest) = match ops.first() {
        Some(&"fetch") => (true, &ops[1..]),
        _ => (false, ops),
    };
    let [name, mem, src] = rest else {
        return Err(count());
    };
    let (base, width) = split_width(name);
    let size = if width == Width::W32 {
        Size::W
    } else {
        Size::DW
    };
    let op = match (base, fetch) {
        ("add", false) => AtomicOp::Add,
        ("or", false) => AtomicOp::Or,
        ("and", false) => AtomicOp::And,
        ("xor", false) => AtomicOp::Xor,
        ("add", true) => AtomicOp::FetchAdd,
        ("or", true) => AtomicOp::FetchOr,
        ("and", true) => AtomicOp::FetchAnd,
        ("xor", true) => AtomicOp::FetchXor,
        ("xchg", false) => AtomicOp::Xchg,
        ("cmpxchg", false) => AtomicOp::CmpXchg,
        _ => {
            return Err(AsmErrorKind::UnknownMnemonic(format!(
                "lock {}",
                rest.join(" ")
            )));
        }
    };
    let (dst, off) = parse_mem(mem)?;
    Ok(Insn::Atomic {
        size,
        op,
        dst,
        src: parse_reg(src)?,
        off,
    })
}
