//! proptest strategies for instructions and small programs, shared by the tests of several
//! crates.

use oxbpf_core::isa::{
    AluOp, AtomicOp, ByteOrder, Cond, Imm64Kind, Insn, Operand, PacketMode, Reg, Size, Width,
};
use proptest::prelude::*;
use proptest::sample::select;

/// Any register, r10 included.
pub fn reg() -> impl Strategy<Value = Reg> {
    (0u8..=10).prop_map(|n| Reg::new(n).unwrap())
}

/// Registers other than r10, for destinations.
pub fn dst_reg() -> impl Strategy<Value = Reg> {
    (0u8..=9).prop_map(|n| Reg::new(n).unwrap())
}

/// Either ALU or jump width.
pub fn width() -> impl Strategy<Value = Width> {
    select(vec![Width::W32, Width::W64])
}

/// Any memory access size.
pub fn size() -> impl Strategy<Value = Size> {
    select(vec![Size::B, Size::H, Size::W, Size::DW])
}

/// Immediates biased towards edge values.
pub fn imm() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => -16i32..16,
        1 => select(vec![i32::MIN, i32::MAX, -1, 0x7fff, 0x8000, 31, 32, 63, 64]),
        2 => any::<i32>(),
    ]
}

/// A register or an immediate operand.
pub fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![reg().prop_map(Operand::Reg), imm().prop_map(Operand::Imm)]
}

fn alu() -> impl Strategy<Value = Insn> {
    let plain = select(vec![
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::SDiv,
        AluOp::Or,
        AluOp::And,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Mod,
        AluOp::SMod,
        AluOp::Xor,
        AluOp::Mov,
        AluOp::Arsh,
    ]);
    let movsx = (
        select(vec![AluOp::MovSx8, AluOp::MovSx16, AluOp::MovSx32]),
        width(),
        dst_reg(),
        reg(),
    )
        .prop_map(|(op, w, dst, src)| {
            let width = if op == AluOp::MovSx32 { Width::W64 } else { w };
            Insn::Alu {
                width,
                op,
                dst,
                src: Operand::Reg(src),
            }
        });
    prop_oneof![
        4 => (width(), plain, dst_reg(), operand()).prop_map(|(width, op, dst, src)| Insn::Alu { width, op, dst, src }),
        1 => movsx,
        1 => (width(), dst_reg()).prop_map(|(width, dst)| Insn::Neg { width, dst }),
        1 => (select(vec![ByteOrder::Le, ByteOrder::Be, ByteOrder::Swap]), select(vec![16u8, 32, 64]), dst_reg())
            .prop_map(|(order, bits, dst)| Insn::Endian { order, bits, dst }),
    ]
}

/// Any single valid instruction (jump offsets and call targets arbitrary).
pub fn insn() -> impl Strategy<Value = Insn> {
    let off = any::<i16>();
    let atomic_op = select(vec![
        AtomicOp::Add,
        AtomicOp::Or,
        AtomicOp::And,
        AtomicOp::Xor,
        AtomicOp::FetchAdd,
        AtomicOp::FetchOr,
        AtomicOp::FetchAnd,
        AtomicOp::FetchXor,
        AtomicOp::Xchg,
        AtomicOp::CmpXchg,
    ]);
    prop_oneof![
        6 => alu(),
        2 => (size(), any::<bool>(), reg(), reg(), off).prop_map(|(size, s, dst, src, off)| Insn::Load {
            size,
            signed: s && size != Size::DW,
            dst,
            src,
            off
        }),
        2 => (size(), reg(), off, operand()).prop_map(|(size, dst, off, src)| Insn::Store { size, dst, off, src }),
        1 => (select(vec![Size::W, Size::DW]), atomic_op, reg(), reg(), off)
            .prop_map(|(size, op, dst, src, off)| Insn::Atomic { size, op, dst, src, off }),
        1 => (reg(), select(Imm64Kind::ALL.to_vec()), any::<u64>()).prop_map(|(dst, kind, imm)| Insn::LoadImm64 { dst, kind, imm }),
        1 => (select(vec![Size::B, Size::H, Size::W]), proptest::option::of(reg()), imm()).prop_map(|(size, r, imm)| {
            Insn::LoadPacket { size, mode: r.map_or(PacketMode::Abs, PacketMode::Ind), imm }
        }),
        1 => off.prop_map(|off| Insn::Ja { off }),
        1 => any::<i32>().prop_map(|imm| Insn::Ja32 { imm }),
        3 => (width(), cond(), reg(), operand(), off).prop_map(|(width, cond, dst, src, off)| Insn::Jump { width, cond, dst, src, off }),
        1 => any::<u32>().prop_map(|helper| Insn::Call { helper }),
        1 => any::<i32>().prop_map(|off| Insn::CallLocal { off }),
        1 => any::<i32>().prop_map(|id| Insn::CallRuntime { id }),
        1 => reg().prop_map(|reg| Insn::Callx { reg }),
        1 => Just(Insn::Exit),
    ]
}

/// Any jump condition.
pub fn cond() -> impl Strategy<Value = Cond> {
    select(vec![
        Cond::Eq,
        Cond::Gt,
        Cond::Ge,
        Cond::Set,
        Cond::Ne,
        Cond::Sgt,
        Cond::Sge,
        Cond::Lt,
        Cond::Le,
        Cond::Slt,
        Cond::Sle,
    ])
}

/// An instruction likely to pass the load-time checks inside a short program: short jumps,
/// helper ids 1..=3, memory through r1 (context), r10 (stack) or any register.
pub fn runnable_insn() -> impl Strategy<Value = Insn> {
    let short = -6i16..6;
    prop_oneof![
        8 => alu(),
        2 => (size(), any::<bool>(), dst_reg(), select(vec![1u8, 10, 2, 3]), -24i16..24)
            .prop_map(|(size, s, dst, src, off)| Insn::Load { size, signed: s && size != Size::DW, dst, src: Reg::new(src).unwrap(), off }),
        2 => (size(), select(vec![1u8, 10, 4]), -24i16..24, operand())
            .prop_map(|(size, d, off, src)| Insn::Store { size, dst: Reg::new(d).unwrap(), off, src }),
        1 => (select(vec![Size::W, Size::DW]), select(vec![AtomicOp::Add, AtomicOp::FetchOr, AtomicOp::Xchg, AtomicOp::CmpXchg]), select(vec![1u8, 10]), dst_reg(), select(vec![-8i16, -16, 0, 4, -4]))
            .prop_map(|(size, op, d, src, off)| Insn::Atomic { size, op, dst: Reg::new(d).unwrap(), src, off }),
        1 => (dst_reg(), any::<u64>()).prop_map(|(dst, imm)| Insn::LoadImm64 { dst, kind: Imm64Kind::Value, imm }),
        1 => (select(vec![Size::B, Size::H, Size::W]), imm()).prop_map(|(size, imm)| Insn::LoadPacket { size, mode: PacketMode::Abs, imm: imm & 0x3f }),
        1 => short.clone().prop_map(|off| Insn::Ja { off }),
        3 => (width(), cond(), reg(), operand(), short).prop_map(|(width, cond, dst, src, off)| Insn::Jump { width, cond, dst, src, off }),
        1 => (1u32..=3).prop_map(|helper| Insn::Call { helper }),
        1 => (0i32..4).prop_map(|off| Insn::CallLocal { off }),
        1 => dst_reg().prop_map(|reg| Insn::Callx { reg }),
        1 => Just(Insn::Exit),
    ]
}

/// Expands instructions into a slot list (adding the `lddw` second slots) that ends in `exit`.
pub fn to_program(insns: Vec<Insn>) -> Vec<Insn> {
    let mut out = Vec::with_capacity(insns.len() * 2 + 1);
    for i in insns {
        out.push(i);
        if matches!(i, Insn::LoadImm64 { .. }) {
            out.push(Insn::LoadImm64Tail);
        }
    }
    out.push(Insn::Exit);
    out
}
