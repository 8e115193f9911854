//! The encoder: [`Insn`]s back to bytes, the exact inverse of the decoder.

use super::opcode::*;
use super::{AluOp, AtomicOp, ByteOrder, Cond, INSN_SIZE, Insn, Operand, PacketMode, Size, Width};

fn slot(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; INSN_SIZE] {
    let mut b = [0u8; INSN_SIZE];
    b[0] = opcode;
    b[1] = (dst & 0x0f) | (src << 4);
    b[2..4].copy_from_slice(&off.to_le_bytes());
    b[4..8].copy_from_slice(&imm.to_le_bytes());
    b
}

fn size_bits(size: Size) -> u8 {
    match size {
        Size::W => SIZE_W,
        Size::H => SIZE_H,
        Size::B => SIZE_B,
        Size::DW => SIZE_DW,
    }
}

fn operand(src: Operand) -> (u8, u8, i32) {
    match src {
        Operand::Reg(r) => (SRC_X, r.index(), 0),
        Operand::Imm(i) => (0, 0, i),
    }
}

fn alu_code(op: AluOp) -> (u8, i16) {
    match op {
        AluOp::Add => (ALU_ADD, 0),
        AluOp::Sub => (ALU_SUB, 0),
        AluOp::Mul => (ALU_MUL, 0),
        AluOp::Div => (ALU_DIV, 0),
        AluOp::SDiv => (ALU_DIV, 1),
        AluOp::Or => (ALU_OR, 0),
        AluOp::And => (ALU_AND, 0),
        AluOp::Lsh => (ALU_LSH, 0),
        AluOp::Rsh => (ALU_RSH, 0),
        AluOp::Mod => (ALU_MOD, 0),
        AluOp::SMod => (ALU_MOD, 1),
        AluOp::Xor => (ALU_XOR, 0),
        AluOp::Mov => (ALU_MOV, 0),
        AluOp::MovSx8 => (ALU_MOV, 8),
        AluOp::MovSx16 => (ALU_MOV, 16),
        AluOp::MovSx32 => (ALU_MOV, 32),
        AluOp::Arsh => (ALU_ARSH, 0),
    }
}

fn cond_code(cond: Cond) -> u8 {
    match cond {
        Cond::Eq => JMP_JEQ,
        Cond::Gt => JMP_JGT,
        Cond::Ge => JMP_JGE,
        Cond::Set => JMP_JSET,
        Cond::Ne => JMP_JNE,
        Cond::Sgt => JMP_JSGT,
        Cond::Sge => JMP_JSGE,
        Cond::Lt => JMP_JLT,
        Cond::Le => JMP_JLE,
        Cond::Slt => JMP_JSLT,
        Cond::Sle => JMP_JSLE,
    }
}

fn atomic_imm(op: AtomicOp) -> i32 {
    match op {
        AtomicOp::Add => ATOMIC_ADD,
        AtomicOp::Or => ATOMIC_OR,
        AtomicOp::And => ATOMIC_AND,
        AtomicOp::Xor => ATOMIC_XOR,
        AtomicOp::FetchAdd => ATOMIC_ADD | ATOMIC_FETCH,
        AtomicOp::FetchOr => ATOMIC_OR | ATOMIC_FETCH,
        AtomicOp::FetchAnd => ATOMIC_AND | ATOMIC_FETCH,
        AtomicOp::FetchXor => ATOMIC_XOR | ATOMIC_FETCH,
        AtomicOp::Xchg => ATOMIC_XCHG,
        AtomicOp::CmpXchg => ATOMIC_CMPXCHG,
    }
}

/// Appends the encoding of `insn` to `out`: 8 bytes, 16 for [`Insn::LoadImm64`] (both slots), and
/// nothing for [`Insn::LoadImm64Tail`] (already written with its first slot).
pub fn encode_into(insn: &Insn, out: &mut Vec<u8>) {
    let class_alu = |w: Width| {
        if w == Width::W64 {
            CLASS_ALU64
        } else {
            CLASS_ALU
        }
    };
    let class_jmp = |w: Width| {
        if w == Width::W64 {
            CLASS_JMP
        } else {
            CLASS_JMP32
        }
    };
    let b = match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => {
            let (x, s, imm) = operand(src);
            let (code, off) = alu_code(op);
            slot(class_alu(width) | x | code, dst.index(), s, off, imm)
        }
        Insn::Neg { width, dst } => slot(class_alu(width) | ALU_NEG, dst.index(), 0, 0, 0),
        Insn::Endian { order, bits, dst } => {
            let opcode = match order {
                ByteOrder::Le => CLASS_ALU | ALU_END,
                ByteOrder::Be => CLASS_ALU | ALU_END | SRC_X,
                ByteOrder::Swap => CLASS_ALU64 | ALU_END,
            };
            slot(opcode, dst.index(), 0, 0, i32::from(bits))
        }
        Insn::Load {
            size,
            signed,
            dst,
            src,
            off,
        } => {
            let mode = if signed { MODE_MEMSX } else { MODE_MEM };
            slot(
                CLASS_LDX | mode | size_bits(size),
                dst.index(),
                src.index(),
                off,
                0,
            )
        }
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => match src {
            Operand::Reg(r) => slot(
                CLASS_STX | MODE_MEM | size_bits(size),
                dst.index(),
                r.index(),
                off,
                0,
            ),
            Operand::Imm(i) => slot(
                CLASS_ST | MODE_MEM | size_bits(size),
                dst.index(),
                0,
                off,
                i,
            ),
        },
        Insn::Atomic {
            size,
            op,
            dst,
            src,
            off,
        } => slot(
            CLASS_STX | MODE_ATOMIC | size_bits(size),
            dst.index(),
            src.index(),
            off,
            atomic_imm(op),
        ),
        Insn::LoadImm64 { dst, kind, imm } => {
            out.extend_from_slice(&slot(
                CLASS_LD | MODE_IMM | SIZE_DW,
                dst.index(),
                kind.src(),
                0,
                imm as u32 as i32,
            ));
            slot(0, 0, 0, 0, (imm >> 32) as u32 as i32)
        }
        Insn::LoadImm64Tail => return,
        Insn::LoadPacket { size, mode, imm } => match mode {
            PacketMode::Abs => slot(CLASS_LD | MODE_ABS | size_bits(size), 0, 0, 0, imm),
            PacketMode::Ind(r) => slot(CLASS_LD | MODE_IND | size_bits(size), 0, r.index(), 0, imm),
        },
        Insn::Ja { off } => slot(CLASS_JMP | JMP_JA, 0, 0, off, 0),
        Insn::Ja32 { imm } => slot(CLASS_JMP32 | JMP_JA, 0, 0, 0, imm),
        Insn::Jump {
            width,
            cond,
            dst,
            src,
            off,
        } => {
            let (x, s, imm) = operand(src);
            slot(
                class_jmp(width) | x | cond_code(cond),
                dst.index(),
                s,
                off,
                imm,
            )
        }
        Insn::Call { helper } => slot(CLASS_JMP | JMP_CALL, 0, CALL_HELPER, 0, helper as i32),
        Insn::CallLocal { off } => slot(CLASS_JMP | JMP_CALL, 0, CALL_LOCAL, 0, off),
        Insn::CallRuntime { id } => slot(CLASS_JMP | JMP_CALL, 0, CALL_RUNTIME, 0, id),
        Insn::Callx { reg } => slot(CLASS_JMP | JMP_CALL | SRC_X, reg.index(), 0, 0, 0),
        Insn::Exit => slot(CLASS_JMP | JMP_EXIT, 0, 0, 0, 0),
    };
    out.extend_from_slice(&b);
}

/// Encodes a program (as produced by [`decode`](super::decode)) back to bytes.
pub fn encode(program: &[Insn]) -> Vec<u8> {
    let mut out = Vec::with_capacity(program.len() * INSN_SIZE);
    for insn in program {
        encode_into(insn, &mut out);
    }
    out
}
