//! The eBPF instruction set (RFC 9669, CPU versions v1–v4, plus `callx` and the legacy packet loads).
//!
//! [`Insn`] is the one typed form of an instruction. Bytes become [`Insn`]s exactly once, in
//! [`decode`]; every other part (interpreter, compilers, verifier, disassembler) works on the typed
//! form. [`encode`] is the inverse. Raw opcode numbers live only in the private `opcode` module used
//! by those two.
//!
//! A program is a slice of `Insn`, one entry per 8-byte slot, so an instruction's index is its
//! program counter. The 16-byte `lddw` occupies two entries: [`Insn::LoadImm64`] followed by
//! [`Insn::LoadImm64Tail`].

mod builder;
mod decode;
mod display;
mod encode;
mod opcode;
mod value;

pub use builder::{BuildError, Builder, Label};
pub use decode::{DecodeError, DecodeErrorKind, Field, decode, decode_one};
pub use encode::{encode, encode_into};

use core::fmt;

/// Size of one instruction slot in bytes.
pub const INSN_SIZE: usize = 8;

/// A register number, `r0` to `r10`. Construction checks the range, so a `Reg` is always valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(u8);

impl Reg {
    /// `r0`: return value, and result of helper calls.
    pub const R0: Reg = Reg(0);
    /// `r1`: first argument; the context pointer at entry.
    pub const R1: Reg = Reg(1);
    /// `r2`: second argument; the context length at entry.
    pub const R2: Reg = Reg(2);
    /// `r6`: first callee-saved register.
    pub const R6: Reg = Reg(6);
    /// `r10`: the read-only frame pointer.
    pub const R10: Reg = Reg(10);
    /// Number of registers (`r0`..=`r10`).
    pub const COUNT: usize = 11;

    /// The register numbered `n`, if `n <= 10`.
    pub const fn new(n: u8) -> Option<Reg> {
        if n <= 10 { Some(Reg(n)) } else { None }
    }

    /// The register's number, `0..=10`.
    pub const fn index(self) -> u8 {
        self.0
    }

    /// The register's number as a `usize`, for indexing a register file.
    pub const fn idx(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%r{}", self.0)
    }
}

/// The second operand of an ALU, store or jump instruction: a register or a 32-bit immediate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A source register (`BPF_X`).
    Reg(Reg),
    /// A sign-extended 32-bit immediate (`BPF_K`).
    Imm(i32),
}

/// Operand width of ALU and conditional-jump instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// 32-bit: class `ALU` / `JMP32`; ALU results are zero-extended to 64 bits.
    W32,
    /// 64-bit: class `ALU64` / `JMP`.
    W64,
}

/// A binary ALU operation.
///
/// # Encoding
/// The operation's high nibble of the opcode, with `off` selecting the signed forms:
/// `Div`/`SDiv` share code 0x30 (off 0/1), `Mod`/`SMod` share 0x90 (off 0/1), and `Mov`/`MovSx*`
/// share 0xb0 (off 0, or 8/16/32 for sign-extending moves, which take a register source only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// `dst += src`
    Add,
    /// `dst -= src`
    Sub,
    /// `dst *= src`
    Mul,
    /// `dst = src == 0 ? 0 : dst / src` (unsigned).
    Div,
    /// `dst = src == 0 ? 0 : dst s/ src` (signed; `MIN / -1 = MIN`). CPU v4.
    SDiv,
    /// `dst |= src`
    Or,
    /// `dst &= src`
    And,
    /// `dst <<= src & (width - 1)`
    Lsh,
    /// `dst >>= src & (width - 1)` (logical).
    Rsh,
    /// `dst = src == 0 ? dst : dst % src` (unsigned).
    Mod,
    /// `dst = src == 0 ? dst : dst s% src` (signed, sign of the dividend; `MIN % -1 = 0`). CPU v4.
    SMod,
    /// `dst ^= src`
    Xor,
    /// `dst = src`
    Mov,
    /// `dst = (s8) src`, sign-extended to the width. CPU v4, register source only.
    MovSx8,
    /// `dst = (s16) src`, sign-extended to the width. CPU v4, register source only.
    MovSx16,
    /// `dst = (s32) src`, sign-extended to 64 bits. CPU v4, 64-bit width and register source only.
    MovSx32,
    /// `dst s>>= src & (width - 1)` (arithmetic).
    Arsh,
}

/// Byte-order instructions (`BPF_END`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `le16/32/64`: convert from little endian (a truncation and zero-extension on a
    /// little-endian host). Opcode 0xd4.
    Le,
    /// `be16/32/64`: convert from big endian (byte swap on a little-endian host). Opcode 0xdc.
    Be,
    /// `bswap16/32/64`: unconditional byte swap. CPU v4, opcode 0xd7.
    Swap,
}

/// Memory access size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    /// 1 byte (`b`).
    B,
    /// 2 bytes (`h`).
    H,
    /// 4 bytes (`w`).
    W,
    /// 8 bytes (`dw`).
    DW,
}

impl Size {
    /// The access size in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// The mnemonic suffix: `b`, `h`, `w` or `dw`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Size::B => "b",
            Size::H => "h",
            Size::W => "w",
            Size::DW => "dw",
        }
    }
}

/// Atomic read-modify-write operations (`BPF_ATOMIC`, class `STX`).
///
/// # Encoding
/// `imm` holds the operation: add 0x00, or 0x40, and 0x50, xor 0xa0, each `| 0x01` (`FETCH`) to
/// return the old value in `src`; xchg 0xe1, cmpxchg 0xf1 (compares with and loads into `r0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `*(dst + off) += src`
    Add,
    /// `*(dst + off) |= src`
    Or,
    /// `*(dst + off) &= src`
    And,
    /// `*(dst + off) ^= src`
    Xor,
    /// `src = atomic_fetch_add(dst + off, src)`
    FetchAdd,
    /// `src = atomic_fetch_or(dst + off, src)`
    FetchOr,
    /// `src = atomic_fetch_and(dst + off, src)`
    FetchAnd,
    /// `src = atomic_fetch_xor(dst + off, src)`
    FetchXor,
    /// `src = atomic_xchg(dst + off, src)`
    Xchg,
    /// `r0 = atomic_cmpxchg(dst + off, r0, src)`
    CmpXchg,
}

impl AtomicOp {
    /// Whether the operation writes the old value back into a register (`src`, or `r0` for cmpxchg).
    pub const fn fetches(self) -> bool {
        !matches!(
            self,
            AtomicOp::Add | AtomicOp::Or | AtomicOp::And | AtomicOp::Xor
        )
    }
}

/// Conditions of conditional jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `==`
    Eq,
    /// `>` unsigned
    Gt,
    /// `>=` unsigned
    Ge,
    /// `dst & src != 0`
    Set,
    /// `!=`
    Ne,
    /// `>` signed
    Sgt,
    /// `>=` signed
    Sge,
    /// `<` unsigned (CPU v2)
    Lt,
    /// `<=` unsigned (CPU v2)
    Le,
    /// `<` signed (CPU v2)
    Slt,
    /// `<=` signed (CPU v2)
    Sle,
}

impl Cond {
    /// Whether `a cond b` holds at `width` (32-bit compares use the low halves).
    #[inline(always)]
    pub fn holds(self, width: Width, a: u64, b: u64) -> bool {
        let (a, b, sa, sb) = match width {
            Width::W64 => (a, b, a as i64, b as i64),
            Width::W32 => (
                u64::from(a as u32),
                u64::from(b as u32),
                i64::from(a as i32),
                i64::from(b as i32),
            ),
        };
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Gt => a > b,
            Cond::Ge => a >= b,
            Cond::Lt => a < b,
            Cond::Le => a <= b,
            Cond::Set => a & b != 0,
            Cond::Sgt => sa > sb,
            Cond::Sge => sa >= sb,
            Cond::Slt => sa < sb,
            Cond::Sle => sa <= sb,
        }
    }
}

/// What the 64-bit immediate of an `lddw` means (its `src` field, "pseudo" sources in Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Imm64Kind {
    /// src 0: a plain 64-bit constant.
    Value,
    /// src 1: the map whose file descriptor is the low 32 bits.
    MapFd,
    /// src 2: address of the value of the map (fd in the low 32 bits) plus the offset in the high 32.
    MapValue,
    /// src 3: a BTF variable id.
    BtfId,
    /// src 4: address of the function at the low 32 bits (relative instruction offset).
    Func,
    /// src 5: the map at index low 32 bits of the program's map list.
    MapIdx,
    /// src 6: value address of the map at index low 32 bits, plus the offset in the high 32.
    MapIdxValue,
}

impl Imm64Kind {
    /// The `src` field value of this kind.
    pub const fn src(self) -> u8 {
        match self {
            Imm64Kind::Value => 0,
            Imm64Kind::MapFd => 1,
            Imm64Kind::MapValue => 2,
            Imm64Kind::BtfId => 3,
            Imm64Kind::Func => 4,
            Imm64Kind::MapIdx => 5,
            Imm64Kind::MapIdxValue => 6,
        }
    }

    /// The kind for a `src` field value.
    pub const fn from_src(src: u8) -> Option<Imm64Kind> {
        Some(match src {
            0 => Imm64Kind::Value,
            1 => Imm64Kind::MapFd,
            2 => Imm64Kind::MapValue,
            3 => Imm64Kind::BtfId,
            4 => Imm64Kind::Func,
            5 => Imm64Kind::MapIdx,
            6 => Imm64Kind::MapIdxValue,
            _ => return None,
        })
    }

    /// The assembly keyword of this kind (`map_fd`, `map_value`, ...), empty for plain values.
    pub const fn keyword(self) -> &'static str {
        match self {
            Imm64Kind::Value => "",
            Imm64Kind::MapFd => "map_fd",
            Imm64Kind::MapValue => "map_value",
            Imm64Kind::BtfId => "btf_id",
            Imm64Kind::Func => "func",
            Imm64Kind::MapIdx => "map_idx",
            Imm64Kind::MapIdxValue => "map_idx_value",
        }
    }

    /// Every kind, in `src` order.
    pub const ALL: [Imm64Kind; 7] = [
        Imm64Kind::Value,
        Imm64Kind::MapFd,
        Imm64Kind::MapValue,
        Imm64Kind::BtfId,
        Imm64Kind::Func,
        Imm64Kind::MapIdx,
        Imm64Kind::MapIdxValue,
    ];
}

/// Addressing mode of the legacy packet loads (`BPF_LD | BPF_ABS/BPF_IND`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketMode {
    /// `ldabs{b,h,w} imm`: load from context offset `imm`.
    Abs,
    /// `ldind{b,h,w} src, imm`: load from context offset `src + imm`.
    Ind(Reg),
}

/// One decoded instruction slot.
///
/// # Note
/// Every variant has exactly one encoding: fields an instruction does not use must be zero, and
/// the decoder rejects anything else. So `encode(decode(b)) == b` for every accepted `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Insn {
    /// `dst = dst op src` at the given width.
    ///
    /// # Encoding
    /// Class `ALU` (0x04, 32-bit) or `ALU64` (0x07), source bit 0x08 set for a register operand,
    /// operation in the high nibble, `off` for the signed forms (see [`AluOp`]).
    Alu {
        /// 32- or 64-bit operation.
        width: Width,
        /// The operation.
        op: AluOp,
        /// Destination (and first operand) register.
        dst: Reg,
        /// Second operand.
        src: Operand,
    },
    /// `dst = -dst`.
    ///
    /// # Encoding
    /// 0x84 (32-bit) or 0x87 (64-bit); `src`, `off` and `imm` zero.
    Neg {
        /// 32- or 64-bit operation.
        width: Width,
        /// The negated register.
        dst: Reg,
    },
    /// Byte-order conversion of the low `bits` of `dst`, zero-extending the result.
    ///
    /// # Encoding
    /// 0xd4 (`le`), 0xdc (`be`), 0xd7 (`bswap`); `imm` = 16, 32 or 64; `src` and `off` zero.
    Endian {
        /// Conversion.
        order: ByteOrder,
        /// 16, 32 or 64.
        bits: u8,
        /// The converted register.
        dst: Reg,
    },
    /// `dst = *(size *)(src + off)`, zero- or (CPU v4 `ldxs*`) sign-extended.
    ///
    /// # Encoding
    /// Class `LDX` (0x01), mode `MEM` (0x60) or `MEMSX` (0x80, sizes b/h/w only); `imm` zero.
    Load {
        /// Access size.
        size: Size,
        /// Sign-extend the loaded value (`ldxs*`).
        signed: bool,
        /// Destination register.
        dst: Reg,
        /// Base address register.
        src: Reg,
        /// Signed offset from the base.
        off: i16,
    },
    /// `*(size *)(dst + off) = src`.
    ///
    /// # Encoding
    /// Class `ST` (0x02, immediate source, `src` field zero) or `STX` (0x03, register source,
    /// `imm` zero), mode `MEM` (0x60).
    Store {
        /// Access size.
        size: Size,
        /// Base address register.
        dst: Reg,
        /// Signed offset from the base.
        off: i16,
        /// Stored value.
        src: Operand,
    },
    /// Atomic read-modify-write of `*(size *)(dst + off)`.
    ///
    /// # Encoding
    /// 0xc3 (32-bit) or 0xdb (64-bit); operation in `imm` (see [`AtomicOp`]).
    Atomic {
        /// [`Size::W`] or [`Size::DW`].
        size: Size,
        /// The operation.
        op: AtomicOp,
        /// Base address register.
        dst: Reg,
        /// Operand, and destination of the fetched value.
        src: Reg,
        /// Signed offset from the base.
        off: i16,
    },
    /// First slot of `lddw dst, imm64`.
    ///
    /// # Encoding
    /// 0x18 with `src` = [`Imm64Kind::src`] and the low 32 bits in `imm`; the next slot (opcode 0,
    /// every field but `imm` zero) holds the high 32 bits.
    LoadImm64 {
        /// Destination register.
        dst: Reg,
        /// What the immediate means.
        kind: Imm64Kind,
        /// The 64-bit immediate (low half from the first slot, high half from the second).
        imm: u64,
    },
    /// Second slot of an `lddw`; never executed.
    LoadImm64Tail,
    /// Legacy packet load: `r0 = ntoh(*(size *)(ctx + [src +] imm))`.
    ///
    /// # Encoding
    /// Class `LD` (0x00), mode `ABS` (0x20) or `IND` (0x40), size b/h/w; `dst` and `off` zero.
    LoadPacket {
        /// Access size ([`Size::B`], [`Size::H`] or [`Size::W`]).
        size: Size,
        /// Absolute, or indirect through a register.
        mode: PacketMode,
        /// Offset into the context.
        imm: i32,
    },
    /// `pc += off` (`ja`).
    ///
    /// # Encoding
    /// 0x05; `dst`, `src` and `imm` zero.
    Ja {
        /// Offset from the next instruction.
        off: i16,
    },
    /// `pc += imm` (`ja32`, "gotol", CPU v4).
    ///
    /// # Encoding
    /// 0x06 (class `JMP32`); `dst`, `src` and `off` zero.
    Ja32 {
        /// Offset from the next instruction.
        imm: i32,
    },
    /// `if dst cond src { pc += off }`.
    ///
    /// # Encoding
    /// Class `JMP` (0x05, 64-bit) or `JMP32` (0x06); source bit 0x08 for a register operand.
    Jump {
        /// Compared width.
        width: Width,
        /// The condition.
        cond: Cond,
        /// First operand.
        dst: Reg,
        /// Second operand.
        src: Operand,
        /// Offset from the next instruction when taken.
        off: i16,
    },
    /// Call of the helper with the given id (`call N`).
    ///
    /// # Encoding
    /// 0x85 with `src` 0; `dst` and `off` zero.
    Call {
        /// Helper id.
        helper: u32,
    },
    /// Call of the local function starting at `pc + 1 + off` (`call local`).
    ///
    /// # Encoding
    /// 0x85 with `src` 1; `dst` and `off` zero.
    CallLocal {
        /// Offset of the callee from the next instruction.
        off: i32,
    },
    /// Call of a runtime function by BTF id (`call runtime N`, Linux kfuncs).
    ///
    /// # Encoding
    /// 0x85 with `src` 2; `dst` and `off` zero.
    CallRuntime {
        /// Runtime function id.
        id: i32,
    },
    /// Call of the helper whose id is in a register (`callx`).
    ///
    /// # Encoding
    /// 0x8d with the register in `dst`; `src`, `off` and `imm` zero.
    Callx {
        /// The register holding the helper id.
        reg: Reg,
    },
    /// Return from the current function; from the entry function, end with `r0`.
    ///
    /// # Encoding
    /// 0x95; every other field zero.
    Exit,
}

impl Insn {
    /// For an `lddw` of a map or of the address in a map's value, by file descriptor or by
    /// index (`src` 1, 2, 5 or 6): the map's number (the low half of the immediate) and, for a
    /// value address, the byte offset in the value (the high half).
    pub fn map_reference(&self) -> Option<(u32, Option<u32>)> {
        let Insn::LoadImm64 { kind, imm, .. } = *self else {
            return None;
        };
        let value = match kind {
            Imm64Kind::MapFd | Imm64Kind::MapIdx => false,
            Imm64Kind::MapValue | Imm64Kind::MapIdxValue => true,
            _ => return None,
        };
        Some((imm as u32, value.then_some((imm >> 32) as u32)))
    }

    /// The register the instruction writes, if any (including fetching atomics and implicit `r0`).
    pub fn written_reg(&self) -> Option<Reg> {
        match *self {
            Insn::Alu { dst, .. }
            | Insn::Neg { dst, .. }
            | Insn::Endian { dst, .. }
            | Insn::Load { dst, .. }
            | Insn::LoadImm64 { dst, .. } => Some(dst),
            Insn::Atomic {
                op: AtomicOp::CmpXchg,
                ..
            }
            | Insn::LoadPacket { .. } => Some(Reg::R0),
            Insn::Atomic { op, src, .. } if op.fetches() => Some(src),
            Insn::Call { .. }
            | Insn::CallLocal { .. }
            | Insn::CallRuntime { .. }
            | Insn::Callx { .. } => Some(Reg::R0),
            _ => None,
        }
    }

    /// The jump target of a jump or local call at `pc`, as a signed instruction index.
    pub fn branch_target(&self, pc: usize) -> Option<i64> {
        let next = pc as i64 + 1;
        match *self {
            Insn::Ja { off } | Insn::Jump { off, .. } => Some(next + i64::from(off)),
            Insn::Ja32 { imm } => Some(next + i64::from(imm)),
            Insn::CallLocal { off } => Some(next + i64::from(off)),
            _ => None,
        }
    }

    /// [`branch_target`](Self::branch_target) as an instruction index, when it is one.
    pub fn target_index(&self, pc: usize) -> Option<usize> {
        self.branch_target(pc).and_then(|t| usize::try_from(t).ok())
    }

    /// The target index of a jump (not of a local call) at `pc`.
    pub fn jump_target(&self, pc: usize) -> Option<usize> {
        self.is_jump().then(|| self.target_index(pc)).flatten()
    }

    /// Whether execution never continues at `pc + 1` after this instruction (`exit`, `ja`).
    pub fn ends_flow(&self) -> bool {
        matches!(self, Insn::Exit | Insn::Ja { .. } | Insn::Ja32 { .. })
    }

    /// Whether this instruction transfers control within the function (any jump).
    pub fn is_jump(&self) -> bool {
        matches!(
            self,
            Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::Jump { .. }
        )
    }
}
