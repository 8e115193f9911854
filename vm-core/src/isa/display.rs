//! `Display` for instructions, in the bpf_conformance assembly dialect (which the
//! [assembler](crate::asm) reads back). Jump targets print as `+N`/`-N`.

use super::{AluOp, AtomicOp, ByteOrder, Cond, Imm64Kind, Insn, Operand, PacketMode, Size, Width};
use core::fmt;

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Reg(r) => write!(f, "{r}"),
            Operand::Imm(i) => write!(f, "{i}"),
        }
    }
}

fn suffix(width: Width) -> &'static str {
    match width {
        Width::W32 => "32",
        Width::W64 => "",
    }
}

/// The assembly mnemonic of an ALU operation (without width suffix).
pub(crate) fn alu_mnemonic(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "add",
        AluOp::Sub => "sub",
        AluOp::Mul => "mul",
        AluOp::Div => "div",
        AluOp::SDiv => "sdiv",
        AluOp::Or => "or",
        AluOp::And => "and",
        AluOp::Lsh => "lsh",
        AluOp::Rsh => "rsh",
        AluOp::Mod => "mod",
        AluOp::SMod => "smod",
        AluOp::Xor => "xor",
        AluOp::Mov => "mov",
        AluOp::MovSx8 => "movsx8",
        AluOp::MovSx16 => "movsx16",
        AluOp::MovSx32 => "movsx32",
        AluOp::Arsh => "arsh",
    }
}

/// The assembly mnemonic of a jump condition (without width suffix).
pub(crate) fn cond_mnemonic(cond: Cond) -> &'static str {
    match cond {
        Cond::Eq => "jeq",
        Cond::Gt => "jgt",
        Cond::Ge => "jge",
        Cond::Set => "jset",
        Cond::Ne => "jne",
        Cond::Sgt => "jsgt",
        Cond::Sge => "jsge",
        Cond::Lt => "jlt",
        Cond::Le => "jle",
        Cond::Slt => "jslt",
        Cond::Sle => "jsle",
    }
}

/// The assembly mnemonic of an atomic operation (after `lock`, without width suffix).
pub(crate) fn atomic_mnemonic(op: AtomicOp) -> &'static str {
    match op {
        AtomicOp::Add => "add",
        AtomicOp::Or => "or",
        AtomicOp::And => "and",
        AtomicOp::Xor => "xor",
        AtomicOp::FetchAdd => "fetch add",
        AtomicOp::FetchOr => "fetch or",
        AtomicOp::FetchAnd => "fetch and",
        AtomicOp::FetchXor => "fetch xor",
        AtomicOp::Xchg => "xchg",
        AtomicOp::CmpXchg => "cmpxchg",
    }
}

struct Mem(super::Reg, i16);

impl fmt::Display for Mem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 < 0 {
            write!(f, "[{}-{}]", self.0, self.1.unsigned_abs())
        } else {
            write!(f, "[{}+{}]", self.0, self.1)
        }
    }
}

struct Rel(i64);

impl fmt::Display for Rel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "+{}", self.0)
        }
    }
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                // Sign-extending moves spell their width as a suffix after the source size
                // (`movsx832`, `movsx1664`, `movsx3264`).
                write!(
                    f,
                    "{}{} {dst}, {src}",
                    alu_mnemonic(op),
                    if width == Width::W64
                        && matches!(op, AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32)
                    {
                        "64"
                    } else {
                        suffix(width)
                    }
                )
            }
            Insn::Neg { width, dst } => write!(f, "neg{} {dst}", suffix(width)),
            Insn::Endian { order, bits, dst } => {
                let m = match order {
                    ByteOrder::Le => "le",
                    ByteOrder::Be => "be",
                    ByteOrder::Swap => "bswap",
                };
                write!(f, "{m}{bits} {dst}")
            }
            Insn::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                write!(
                    f,
                    "ldx{}{} {dst}, {}",
                    if signed { "s" } else { "" },
                    size.suffix(),
                    Mem(src, off)
                )
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => match src {
                Operand::Reg(r) => write!(f, "stx{} {}, {r}", size.suffix(), Mem(dst, off)),
                Operand::Imm(i) => write!(f, "st{} {}, {i}", size.suffix(), Mem(dst, off)),
            },
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => {
                let w = if size == Size::W { "32" } else { "" };
                write!(
                    f,
                    "lock {}{w} {}, {src}",
                    atomic_mnemonic(op),
                    Mem(dst, off)
                )
            }
            Insn::LoadImm64 {
                dst,
                kind: Imm64Kind::Value,
                imm,
            } => {
                write!(f, "lddw {dst}, {imm:#x}")
            }
            Insn::LoadImm64 { dst, kind, imm } => {
                let (lo, hi) = (imm as u32 as i32, (imm >> 32) as u32 as i32);
                write!(f, "lddw {dst}, {} {lo}", kind.keyword())?;
                if hi != 0 {
                    write!(f, ", {hi}")?;
                }
                Ok(())
            }
            Insn::LoadImm64Tail => Ok(()),
            Insn::LoadPacket { size, mode, imm } => match mode {
                PacketMode::Abs => write!(f, "ldabs{} {imm}", size.suffix()),
                PacketMode::Ind(r) => write!(f, "ldind{} {r}, {imm}", size.suffix()),
            },
            Insn::Ja { off } => write!(f, "ja {}", Rel(off.into())),
            Insn::Ja32 { imm } => write!(f, "ja32 {}", Rel(imm.into())),
            Insn::Jump {
                width,
                cond,
                dst,
                src,
                off,
            } => {
                write!(
                    f,
                    "{}{} {dst}, {src}, {}",
                    cond_mnemonic(cond),
                    suffix(width),
                    Rel(off.into())
                )
            }
            Insn::Call { helper } => write!(f, "call {}", helper as i32),
            Insn::CallLocal { off } => write!(f, "call local {}", Rel(off.into())),
            Insn::CallRuntime { id } => write!(f, "call runtime {id}"),
            Insn::Callx { reg } => write!(f, "call {reg}"),
            Insn::Exit => f.write_str("exit"),
        }
    }
}
