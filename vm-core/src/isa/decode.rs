//! The one decoder: bytes to [`Insn`]s. Strict: a field an instruction does not use must be zero.

use super::opcode::*;
use super::{
    AluOp, AtomicOp, ByteOrder, Cond, INSN_SIZE, Imm64Kind, Insn, Operand, PacketMode, Reg, Size,
    Width,
};
use core::fmt;

/// A field of the 8-byte instruction encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The destination register nibble.
    Dst,
    /// The source register nibble.
    Src,
    /// The 16-bit offset.
    Offset,
    /// The 32-bit immediate.
    Imm,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Dst => "dst",
            Field::Src => "src",
            Field::Offset => "offset",
            Field::Imm => "imm",
        })
    }
}

/// Why an instruction slot could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The byte length is not a multiple of 8.
    #[error("program length {len} is not a multiple of 8")]
    TrailingBytes {
        /// The byte length.
        len: usize,
    },
    /// No instruction has this opcode.
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    /// A field the instruction does not use holds a non-zero value.
    #[error("unused field {field} is {value:#x} in opcode {opcode:#04x}; it must be 0")]
    NonZeroField {
        /// The opcode byte.
        opcode: u8,
        /// The offending field.
        field: Field,
        /// Its value.
        value: i64,
    },
    /// A register field names a register above `r10`.
    #[error("invalid register r{reg} in the {field} field")]
    InvalidRegister {
        /// The register field.
        field: Field,
        /// The register number.
        reg: u8,
    },
    /// The immediate is not one the instruction allows (byte-order width, atomic operation).
    #[error("invalid immediate {imm:#x} for opcode {opcode:#04x}")]
    InvalidImm {
        /// The opcode byte.
        opcode: u8,
        /// The immediate.
        imm: i32,
    },
    /// The offset is not one the instruction allows (signed-division or sign-extension selector).
    #[error("invalid offset {off} for opcode {opcode:#04x}")]
    InvalidOffset {
        /// The opcode byte.
        opcode: u8,
        /// The offset.
        off: i16,
    },
    /// The `src` field of a call or `lddw` is not a known kind.
    #[error("invalid src {src} for opcode {opcode:#04x}")]
    InvalidSrcKind {
        /// The opcode byte.
        opcode: u8,
        /// The `src` value.
        src: u8,
    },
    /// An `lddw` is the last slot, with no second half.
    #[error("lddw is truncated: its second slot is missing")]
    TruncatedLoadImm64,
    /// The second slot of an `lddw` has a non-zero field other than `imm`.
    #[error("second slot of lddw must have opcode, registers and offset zero")]
    BadLoadImm64Tail,
}

/// A decoding error and the instruction index where it occurred.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {pc}: {kind}")]
pub struct DecodeError {
    /// The instruction index (slot number).
    pub pc: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// The raw fields of one slot.
#[derive(Clone, Copy)]
struct Raw {
    opcode: u8,
    dst: u8,
    src: u8,
    off: i16,
    imm: i32,
}

impl Raw {
    fn read(b: &[u8; INSN_SIZE]) -> Raw {
        Raw {
            opcode: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    fn zero(&self, field: Field) -> Result<(), DecodeErrorKind> {
        let value = match field {
            Field::Dst => i64::from(self.dst),
            Field::Src => i64::from(self.src),
            Field::Offset => i64::from(self.off),
            Field::Imm => i64::from(self.imm),
        };
        if value == 0 {
            Ok(())
        } else {
            Err(DecodeErrorKind::NonZeroField {
                opcode: self.opcode,
                field,
                value,
            })
        }
    }

    fn zeros(&self, fields: &[Field]) -> Result<(), DecodeErrorKind> {
        fields.iter().try_for_each(|&f| self.zero(f))
    }

    fn dst(&self) -> Result<Reg, DecodeErrorKind> {
        Reg::new(self.dst).ok_or(DecodeErrorKind::InvalidRegister {
            field: Field::Dst,
            reg: self.dst,
        })
    }

    fn src(&self) -> Result<Reg, DecodeErrorKind> {
        Reg::new(self.src).ok_or(DecodeErrorKind::InvalidRegister {
            field: Field::Src,
            reg: self.src,
        })
    }

    /// The second operand: a register (`imm` must be zero) or the immediate (`src` must be zero).
    fn operand(&self, is_reg: bool) -> Result<Operand, DecodeErrorKind> {
        if is_reg {
            self.zero(Field::Imm)?;
            Ok(Operand::Reg(self.src()?))
        } else {
            self.zero(Field::Src)?;
            Ok(Operand::Imm(self.imm))
        }
    }

    fn bad_off(&self) -> DecodeErrorKind {
        DecodeErrorKind::InvalidOffset {
            opcode: self.opcode,
            off: self.off,
        }
    }

    fn bad_imm(&self) -> DecodeErrorKind {
        DecodeErrorKind::InvalidImm {
            opcode: self.opcode,
            imm: self.imm,
        }
    }
}

/// Decodes a whole program: one [`Insn`] per 8-byte slot.
pub fn decode(bytes: &[u8]) -> Result<Vec<Insn>, DecodeError> {
    if !bytes.len().is_multiple_of(INSN_SIZE) {
        return Err(DecodeError {
            pc: bytes.len() / INSN_SIZE,
            kind: DecodeErrorKind::TrailingBytes { len: bytes.len() },
        });
    }
    let slots: Vec<[u8; INSN_SIZE]> = bytes
        .chunks_exact(INSN_SIZE)
        .map(|c| {
            let mut s = [0u8; INSN_SIZE];
            s.copy_from_slice(c);
            s
        })
        .collect();
    let mut out = Vec::with_capacity(slots.len());
    let mut pc = 0;
    while let Some(slot) = slots.get(pc) {
        let insn = decode_one(slot, slots.get(pc + 1)).map_err(|kind| DecodeError { pc, kind })?;
        out.push(insn);
        if matches!(insn, Insn::LoadImm64 { .. }) {
            out.push(Insn::LoadImm64Tail);
            pc += 2;
        } else {
            pc += 1;
        }
    }
    Ok(out)
}

/// Decodes one slot; `next` is the following slot, needed only by `lddw`.
pub fn decode_one(
    slot: &[u8; INSN_SIZE],
    next: Option<&[u8; INSN_SIZE]>,
) -> Result<Insn, DecodeErrorKind> {
    let r = Raw::read(slot);
    match r.opcode & 0x07 {
        CLASS_ALU => decode_alu(&r, Width::W32),
        CLASS_ALU64 => decode_alu(&r, Width::W64),
        CLASS_JMP => decode_jmp(&r, Width::W64),
        CLASS_JMP32 => decode_jmp(&r, Width::W32),
        CLASS_LDX => decode_ldx(&r),
        CLASS_ST | CLASS_STX => decode_store(&r),
        CLASS_LD => decode_ld(&r, next),
        _ => Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    }
}

fn decode_alu(r: &Raw, width: Width) -> Result<Insn, DecodeErrorKind> {
    let is_reg = r.opcode & SRC_X != 0;
    let code = r.opcode & 0xf0;
    let dst = r.dst()?;
    match code {
        ALU_NEG => {
            if is_reg {
                return Err(DecodeErrorKind::UnknownOpcode(r.opcode));
            }
            r.zeros(&[Field::Src, Field::Offset, Field::Imm])?;
            return Ok(Insn::Neg { width, dst });
        }
        ALU_END => {
            let order = match (width, is_reg) {
                (Width::W32, false) => ByteOrder::Le,
                (Width::W32, true) => ByteOrder::Be,
                (Width::W64, false) => ByteOrder::Swap,
                (Width::W64, true) => return Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
            };
            r.zeros(&[Field::Src, Field::Offset])?;
            let bits = match r.imm {
                16 => 16,
                32 => 32,
                64 => 64,
                _ => return Err(r.bad_imm()),
            };
            return Ok(Insn::Endian { order, bits, dst });
        }
        _ => {}
    }
    let op = match (code, r.off) {
        (ALU_ADD, 0) => AluOp::Add,
        (ALU_SUB, 0) => AluOp::Sub,
        (ALU_MUL, 0) => AluOp::Mul,
        (ALU_DIV, 0) => AluOp::Div,
        (ALU_DIV, 1) => AluOp::SDiv,
        (ALU_OR, 0) => AluOp::Or,
        (ALU_AND, 0) => AluOp::And,
        (ALU_LSH, 0) => AluOp::Lsh,
        (ALU_RSH, 0) => AluOp::Rsh,
        (ALU_MOD, 0) => AluOp::Mod,
        (ALU_MOD, 1) => AluOp::SMod,
        (ALU_XOR, 0) => AluOp::Xor,
        (ALU_MOV, 0) => AluOp::Mov,
        (ALU_MOV, 8) if is_reg => AluOp::MovSx8,
        (ALU_MOV, 16) if is_reg => AluOp::MovSx16,
        (ALU_MOV, 32) if is_reg && width == Width::W64 => AluOp::MovSx32,
        (ALU_ARSH, 0) => AluOp::Arsh,
        // Codes whose offset selects a variant: the offset is out of the allowed set.
        (ALU_DIV | ALU_MOD | ALU_MOV, _) => return Err(r.bad_off()),
        // Codes that do not use the offset at all (the offset is non-zero to get here).
        (
            ALU_ADD | ALU_SUB | ALU_MUL | ALU_OR | ALU_AND | ALU_LSH | ALU_RSH | ALU_XOR | ALU_ARSH,
            _,
        ) => return Err(r.zero(Field::Offset).err().unwrap_or_else(|| r.bad_off())),
        _ => return Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    };
    let src = r.operand(is_reg)?;
    Ok(Insn::Alu {
        width,
        op,
        dst,
        src,
    })
}

fn decode_jmp(r: &Raw, width: Width) -> Result<Insn, DecodeErrorKind> {
    let is_reg = r.opcode & SRC_X != 0;
    let code = r.opcode & 0xf0;
    let cond = match code {
        JMP_JA if !is_reg => {
            return match width {
                Width::W64 => {
                    r.zeros(&[Field::Dst, Field::Src, Field::Imm])?;
                    Ok(Insn::Ja { off: r.off })
                }
                Width::W32 => {
                    r.zeros(&[Field::Dst, Field::Src, Field::Offset])?;
                    Ok(Insn::Ja32 { imm: r.imm })
                }
            };
        }
        JMP_CALL if width == Width::W64 => {
            if is_reg {
                r.zeros(&[Field::Src, Field::Offset, Field::Imm])?;
                return Ok(Insn::Callx { reg: r.dst()? });
            }
            r.zeros(&[Field::Dst, Field::Offset])?;
            return match r.src {
                CALL_HELPER => Ok(Insn::Call {
                    helper: r.imm as u32,
                }),
                CALL_LOCAL => Ok(Insn::CallLocal { off: r.imm }),
                CALL_RUNTIME => Ok(Insn::CallRuntime { id: r.imm }),
                src => Err(DecodeErrorKind::InvalidSrcKind {
                    opcode: r.opcode,
                    src,
                }),
            };
        }
        JMP_EXIT if width == Width::W64 && !is_reg => {
            r.zeros(&[Field::Dst, Field::Src, Field::Offset, Field::Imm])?;
            return Ok(Insn::Exit);
        }
        JMP_JEQ => Cond::Eq,
        JMP_JGT => Cond::Gt,
        JMP_JGE => Cond::Ge,
        JMP_JSET => Cond::Set,
        JMP_JNE => Cond::Ne,
        JMP_JSGT => Cond::Sgt,
        JMP_JSGE => Cond::Sge,
        JMP_JLT => Cond::Lt,
        JMP_JLE => Cond::Le,
        JMP_JSLT => Cond::Slt,
        JMP_JSLE => Cond::Sle,
        _ => return Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    };
    let dst = r.dst()?;
    let src = r.operand(is_reg)?;
    Ok(Insn::Jump {
        width,
        cond,
        dst,
        src,
        off: r.off,
    })
}

fn size_of(opcode: u8) -> Size {
    match opcode & 0x18 {
        SIZE_W => Size::W,
        SIZE_H => Size::H,
        SIZE_B => Size::B,
        _ => Size::DW,
    }
}

fn decode_ldx(r: &Raw) -> Result<Insn, DecodeErrorKind> {
    let size = size_of(r.opcode);
    let signed = match r.opcode & 0xe0 {
        MODE_MEM => false,
        MODE_MEMSX if size != Size::DW => true,
        _ => return Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    };
    r.zero(Field::Imm)?;
    Ok(Insn::Load {
        size,
        signed,
        dst: r.dst()?,
        src: r.src()?,
        off: r.off,
    })
}

fn decode_store(r: &Raw) -> Result<Insn, DecodeErrorKind> {
    let size = size_of(r.opcode);
    let is_stx = r.opcode & 0x07 == CLASS_STX;
    match r.opcode & 0xe0 {
        MODE_MEM if is_stx => {
            r.zero(Field::Imm)?;
            Ok(Insn::Store {
                size,
                dst: r.dst()?,
                off: r.off,
                src: Operand::Reg(r.src()?),
            })
        }
        MODE_MEM => {
            r.zero(Field::Src)?;
            Ok(Insn::Store {
                size,
                dst: r.dst()?,
                off: r.off,
                src: Operand::Imm(r.imm),
            })
        }
        MODE_ATOMIC if is_stx && matches!(size, Size::W | Size::DW) => {
            let op = match r.imm {
                ATOMIC_ADD => AtomicOp::Add,
                ATOMIC_OR => AtomicOp::Or,
                ATOMIC_AND => AtomicOp::And,
                ATOMIC_XOR => AtomicOp::Xor,
                i if i == ATOMIC_ADD | ATOMIC_FETCH => AtomicOp::FetchAdd,
                i if i == ATOMIC_OR | ATOMIC_FETCH => AtomicOp::FetchOr,
                i if i == ATOMIC_AND | ATOMIC_FETCH => AtomicOp::FetchAnd,
                i if i == ATOMIC_XOR | ATOMIC_FETCH => AtomicOp::FetchXor,
                ATOMIC_XCHG => AtomicOp::Xchg,
                ATOMIC_CMPXCHG => AtomicOp::CmpXchg,
                _ => return Err(r.bad_imm()),
            };
            Ok(Insn::Atomic {
                size,
                op,
                dst: r.dst()?,
                src: r.src()?,
                off: r.off,
            })
        }
        _ => Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    }
}

fn decode_ld(r: &Raw, next: Option<&[u8; INSN_SIZE]>) -> Result<Insn, DecodeErrorKind> {
    let size = size_of(r.opcode);
    match r.opcode & 0xe0 {
        MODE_IMM if size == Size::DW => {
            r.zero(Field::Offset)?;
            let dst = r.dst()?;
            let kind = Imm64Kind::from_src(r.src).ok_or(DecodeErrorKind::InvalidSrcKind {
                opcode: r.opcode,
                src: r.src,
            })?;
            let next = next.ok_or(DecodeErrorKind::TruncatedLoadImm64)?;
            let tail = Raw::read(next);
            if tail.opcode != 0 || tail.dst != 0 || tail.src != 0 || tail.off != 0 {
                return Err(DecodeErrorKind::BadLoadImm64Tail);
            }
            let imm = u64::from(r.imm as u32) | (u64::from(tail.imm as u32) << 32);
            Ok(Insn::LoadImm64 { dst, kind, imm })
        }
        MODE_ABS if size != Size::DW => {
            r.zeros(&[Field::Dst, Field::Src, Field::Offset])?;
            Ok(Insn::LoadPacket {
                size,
                mode: PacketMode::Abs,
                imm: r.imm,
            })
        }
        MODE_IND if size != Size::DW => {
            r.zeros(&[Field::Dst, Field::Offset])?;
            Ok(Insn::LoadPacket {
                size,
                mode: PacketMode::Ind(r.src()?),
                imm: r.imm,
            })
        }
        _ => Err(DecodeErrorKind::UnknownOpcode(r.opcode)),
    }
}
