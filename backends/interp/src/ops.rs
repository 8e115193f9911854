//! The interpreter's internal form: a flat array of ops with absolute targets, translated once from
//! the shared [`Insn`]s (never from bytes).
//!
//! Each variant is one specialised operation (`Add64Imm`, `JeqReg32`, …) so the run loop
//! dispatches once per instruction. Immediates are pre-extended to their operand width. A
//! [`Op::Charge`] precedes the first op of every basic block and pays the block's budget cost.

use oxbpf_core::isa::{AluOp, AtomicOp, ByteOrder, Cond, Insn, Operand, PacketMode, Size, Width};
use oxbpf_core::{ArgLen, HelperFn, HelperRegistry, PrepareError, Program};
use std::sync::Arc;

/// A register index, `0..=10`.
pub(crate) type R = u8;

/// One interpreter operation. Registers are indexes; `u32` targets are op indexes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// Pay `cost` instructions of budget for the block that starts here.
    Charge(u32),

    Add64Imm(R, u64),
    Add64Reg(R, R),
    Sub64Imm(R, u64),
    Sub64Reg(R, R),
    Mul64Imm(R, u64),
    Mul64Reg(R, R),
    Div64Imm(R, u64),
    Div64Reg(R, R),
    SDiv64Imm(R, u64),
    SDiv64Reg(R, R),
    Mod64Imm(R, u64),
    Mod64Reg(R, R),
    SMod64Imm(R, u64),
    SMod64Reg(R, R),
    Or64Imm(R, u64),
    Or64Reg(R, R),
    And64Imm(R, u64),
    And64Reg(R, R),
    Xor64Imm(R, u64),
    Xor64Reg(R, R),
    Lsh64Imm(R, u64),
    Lsh64Reg(R, R),
    Rsh64Imm(R, u64),
    Rsh64Reg(R, R),
    Arsh64Imm(R, u64),
    Arsh64Reg(R, R),
    Mov64Imm(R, u64),
    Mov64Reg(R, R),

    Add32Imm(R, u32),
    Add32Reg(R, R),
    Sub32Imm(R, u32),
    Sub32Reg(R, R),
    Mul32Imm(R, u32),
    Mul32Reg(R, R),
    Div32Imm(R, u32),
    Div32Reg(R, R),
    SDiv32Imm(R, u32),
    SDiv32Reg(R, R),
    Mod32Imm(R, u32),
    Mod32Reg(R, R),
    SMod32Imm(R, u32),
    SMod32Reg(R, R),
    Or32Imm(R, u32),
    Or32Reg(R, R),
    And32Imm(R, u32),
    And32Reg(R, R),
    Xor32Imm(R, u32),
    Xor32Reg(R, R),
    Lsh32Imm(R, u32),
    Lsh32Reg(R, R),
    Rsh32Imm(R, u32),
    Rsh32Reg(R, R),
    Arsh32Imm(R, u32),
    Arsh32Reg(R, R),
    Mov32Imm(R, u32),
    Mov32Reg(R, R),

    /// Sign-extending moves: `(dst, src, which, width)`.
    MovSx(R, R, AluOp, Width),
    Neg64(R),
    Neg32(R),
    Endian(R, ByteOrder, u8),

    LdxB(R, R, i16),
    LdxH(R, R, i16),
    LdxW(R, R, i16),
    LdxDW(R, R, i16),
    /// Sign-extending load: `(dst, src, off, size)`.
    Ldxs(R, R, i16, Size),
    /// A probe load of a verified program (see `Program::is_probe`): `(dst, base, off, size,
    /// signed)`, 0 where the bytes are not probe-readable.
    ProbeLd(R, R, i16, Size, bool),
    StB(R, i16, u64),
    StH(R, i16, u64),
    StW(R, i16, u64),
    StDW(R, i16, u64),
    StxB(R, R, i16),
    StxH(R, R, i16),
    StxW(R, R, i16),
    StxDW(R, R, i16),
    Atomic(R, R, i16, Size, AtomicOp),
    /// Before an access of a verified program that is not proven in bounds: `(base, off, len,
    /// write)` must lie in the context, or the run traps (see `Program::is_context_only`).
    CtxOnly(R, i16, u8, bool),
    /// Before a helper call of a verified program: `(ptr, len, write)`, a memory argument into
    /// the context without a proof of its bounds, must lie in the context, or the run traps
    /// (see `Program::context_args_at`).
    CtxArg(R, ArgLen, bool),
    LdImm64(R, u64),
    /// Legacy packet load: `(index register or None, imm, size)`.
    LdPacket(Option<R>, i32, Size),

    Ja(u32),
    Jeq64Imm(R, u64, u32),
    Jeq64Reg(R, R, u32),
    Jne64Imm(R, u64, u32),
    Jne64Reg(R, R, u32),
    Jgt64Imm(R, u64, u32),
    Jgt64Reg(R, R, u32),
    Jge64Imm(R, u64, u32),
    Jge64Reg(R, R, u32),
    Jlt64Imm(R, u64, u32),
    Jlt64Reg(R, R, u32),
    Jle64Imm(R, u64, u32),
    Jle64Reg(R, R, u32),
    Jset64Imm(R, u64, u32),
    Jset64Reg(R, R, u32),
    Jsgt64Imm(R, u64, u32),
    Jsgt64Reg(R, R, u32),
    Jsge64Imm(R, u64, u32),
    Jsge64Reg(R, R, u32),
    Jslt64Imm(R, u64, u32),
    Jslt64Reg(R, R, u32),
    Jsle64Imm(R, u64, u32),
    Jsle64Reg(R, R, u32),
    /// 32-bit conditional jumps: `(cond, dst, src, target)`; less frequent, one variant each form.
    Jmp32Imm(Cond, R, u32, u32),
    Jmp32Reg(Cond, R, R, u32),

    /// Fused `mov d, a; add d, b` (within one block).
    Add64RegFrom(R, R, R),
    /// Fused `mov d, a; add d, imm`.
    Add64ImmFrom(R, R, u64),
    /// Fused `mov d, a; lsh d, imm`.
    Lsh64ImmFrom(R, R, u64),
    /// Fused `mov d, a; rsh d, imm`.
    Rsh64ImmFrom(R, R, u64),
    /// Fused `mov d, a; and d, imm`.
    And64ImmFrom(R, R, u64),
    /// Fused `add d, imm; jcc d, cmp, target` (64-bit, immediates sign-extended at run time).
    AddJmpImm(R, i32, Cond, i32, u32),

    /// Call of the pre-resolved helper at this index of [`Ops::helpers`].
    Call(u32),
    CallLocal(u32),
    Callx(R),
    Exit,
}

/// A translated program.
pub(crate) struct Ops {
    /// The ops.
    pub ops: Vec<Op>,
    /// For each op, the instruction index it came from (for traps).
    pub pcs: Vec<u32>,
    /// Helpers called directly, resolved at translation: `(id, function)`.
    pub helpers: Vec<(u32, Arc<HelperFn>)>,
}

/// The op of an ALU instruction: one table of each operation's four specialised ops (64 and
/// 32 bits, immediate and register source); what each computes is the ISA's
/// ([`AluOp::value`]).
fn alu(op: AluOp, width: Width, d: R, src: Operand) -> Op {
    use Op::*;
    let wide = width == Width::W64;
    macro_rules! table {
        ($($op:ident: $imm64:ident $reg64:ident $imm32:ident $reg32:ident;)*) => {
            match (op, src) {
                $(
                    (AluOp::$op, Operand::Imm(i)) if wide => $imm64(d, i64::from(i) as u64),
                    (AluOp::$op, Operand::Imm(i)) => $imm32(d, i as u32),
                    (AluOp::$op, Operand::Reg(s)) if wide => $reg64(d, s.index()),
                    (AluOp::$op, Operand::Reg(s)) => $reg32(d, s.index()),
                )*
                (AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Reg(s)) => {
                    MovSx(d, s.index(), op, width)
                }
                // Sign-extending moves take a register (the decoder refuses an immediate).
                (AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Imm(i)) if wide => {
                    Mov64Imm(d, i64::from(i) as u64)
                }
                (AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Imm(i)) => {
                    Mov32Imm(d, i as u32)
                }
            }
        };
    }
    table! {
        Add: Add64Imm Add64Reg Add32Imm Add32Reg;
        Sub: Sub64Imm Sub64Reg Sub32Imm Sub32Reg;
        Mul: Mul64Imm Mul64Reg Mul32Imm Mul32Reg;
        Div: Div64Imm Div64Reg Div32Imm Div32Reg;
        SDiv: SDiv64Imm SDiv64Reg SDiv32Imm SDiv32Reg;
        Mod: Mod64Imm Mod64Reg Mod32Imm Mod32Reg;
        SMod: SMod64Imm SMod64Reg SMod32Imm SMod32Reg;
        Or: Or64Imm Or64Reg Or32Imm Or32Reg;
        And: And64Imm And64Reg And32Imm And32Reg;
        Xor: Xor64Imm Xor64Reg Xor32Imm Xor32Reg;
        Lsh: Lsh64Imm Lsh64Reg Lsh32Imm Lsh32Reg;
        Rsh: Rsh64Imm Rsh64Reg Rsh32Imm Rsh32Reg;
        Arsh: Arsh64Imm Arsh64Reg Arsh32Imm Arsh32Reg;
        Mov: Mov64Imm Mov64Reg Mov32Imm Mov32Reg;
    }
}

/// The op of a 64-bit conditional jump to op `t`: one table of each condition's two
/// specialised ops; what each decides is the ISA's ([`Cond::holds`]).
fn jump64(cond: Cond, d: R, src: Operand, t: u32) -> Op {
    use Op::*;
    macro_rules! table {
        ($($cond:ident: $imm:ident $reg:ident;)*) => {
            match (cond, src) {
                $(
                    (Cond::$cond, Operand::Imm(i)) => $imm(d, i64::from(i) as u64, t),
                    (Cond::$cond, Operand::Reg(s)) => $reg(d, s.index(), t),
                )*
            }
        };
    }
    table! {
        Eq: Jeq64Imm Jeq64Reg;
        Ne: Jne64Imm Jne64Reg;
        Gt: Jgt64Imm Jgt64Reg;
        Ge: Jge64Imm Jge64Reg;
        Lt: Jlt64Imm Jlt64Reg;
        Le: Jle64Imm Jle64Reg;
        Set: Jset64Imm Jset64Reg;
        Sgt: Jsgt64Imm Jsgt64Reg;
        Sge: Jsge64Imm Jsge64Reg;
        Slt: Jslt64Imm Jslt64Reg;
        Sle: Jsle64Imm Jsle64Reg;
    }
}

/// A pair of adjacent instructions in one basic block that runs as one op. Neither half can
/// trap, so fusing changes neither results, nor trap pcs, nor budget accounting.
#[derive(Clone, Copy)]
enum Fusion {
    /// `mov d, a; op d, x` as one three-address op.
    MovAlu(Op),
    /// `add d, imm; jcc d, imm` (the target is resolved by the caller).
    AddJmp {
        d: R,
        add: i32,
        cond: Cond,
        cmp: i32,
    },
}

fn fusion(program: &Program, pc: usize) -> Option<Fusion> {
    let insns = program.insns();
    let (first, second) = (insns.get(pc)?, insns.get(pc + 1)?);
    if program.is_block_start(pc + 1) {
        return None;
    }
    match (*first, *second) {
        (
            Insn::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst,
                src: Operand::Reg(a),
            },
            Insn::Alu {
                width: Width::W64,
                op,
                dst: d2,
                src,
            },
        ) if d2 == dst => {
            // `mov d, a; add d, d` adds `a` to itself.
            let src = if src == Operand::Reg(dst) {
                Operand::Reg(a)
            } else {
                src
            };
            let (d, a) = (dst.index(), a.index());
            let op = match (op, src) {
                (AluOp::Add, Operand::Reg(b)) => Op::Add64RegFrom(d, a, b.index()),
                (AluOp::Add, Operand::Imm(i)) => Op::Add64ImmFrom(d, a, i64::from(i) as u64),
                (AluOp::Lsh, Operand::Imm(i)) => Op::Lsh64ImmFrom(d, a, (i as u64) & 63),
                (AluOp::Rsh, Operand::Imm(i)) => Op::Rsh64ImmFrom(d, a, (i as u64) & 63),
                (AluOp::And, Operand::Imm(i)) => Op::And64ImmFrom(d, a, i64::from(i) as u64),
                _ => return None,
            };
            Some(Fusion::MovAlu(op))
        }
        (
            Insn::Alu {
                width: Width::W64,
                op: AluOp::Add,
                dst,
                src: Operand::Imm(add),
            },
            Insn::Jump {
                width: Width::W64,
                cond,
                dst: d2,
                src: Operand::Imm(cmp),
                ..
            },
        ) if d2 == dst => Some(Fusion::AddJmp {
            d: dst.index(),
            add,
            cond,
            cmp,
        }),
        _ => None,
    }
}

/// Translates a checked program. Jump and call targets are valid (the load-time checks proved
/// it), so every target resolves to the [`Op::Charge`] of its block; helpers are resolved against
/// `registry`.
pub(crate) fn translate(program: &Program, registry: &HelperRegistry) -> Result<Ops, PrepareError> {
    let insns = program.insns();
    // Pass 1: the op index of each instruction's first op.
    // Fused pairs are decided once, here; both passes use the decision.
    let mut fused: Vec<Option<Fusion>> = vec![None; insns.len()];
    let mut pc = 0;
    while pc < insns.len() {
        fused[pc] = fusion(program, pc);
        pc += if fused[pc].is_some() { 2 } else { 1 };
    }
    let mut first = Vec::with_capacity(insns.len() + 1);
    let mut n = 0u32;
    for (pc, insn) in insns.iter().enumerate() {
        first.push(n);
        let absorbed = pc > 0 && fused[pc - 1].is_some();
        n += u32::from(program.is_block_start(pc))
            + u32::from(!matches!(insn, Insn::LoadImm64Tail) && !absorbed)
            + guards(program, pc, insn).count() as u32;
    }
    first.push(n);
    let target = |pc: usize, insn: &Insn| -> u32 {
        let t = insn.target_index(pc).unwrap_or(0);
        first.get(t).copied().unwrap_or(0)
    };

    let mut ops = Vec::with_capacity(n as usize);
    let mut pcs = Vec::with_capacity(n as usize);
    let mut helpers: Vec<(u32, Arc<HelperFn>)> = Vec::new();
    for (pc, insn) in insns.iter().enumerate() {
        let cost = program.block_cost(pc);
        if cost > 0 {
            ops.push(Op::Charge(cost));
            pcs.push(pc as u32);
        }
        if pc > 0 && fused[pc - 1].is_some() {
            continue;
        }
        for guard in guards(program, pc, insn) {
            ops.push(guard);
            pcs.push(pc as u32);
        }
        if let Some(f) = fused[pc] {
            ops.push(match f {
                Fusion::MovAlu(op) => op,
                Fusion::AddJmp { d, add, cond, cmp } => {
                    Op::AddJmpImm(d, add, cond, cmp, target(pc + 1, &insns[pc + 1]))
                }
            });
            pcs.push(pc as u32);
            continue;
        }
        let op = match *insn {
            Insn::LoadImm64Tail => continue,
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => alu(op, width, dst.index(), src),
            Insn::Neg {
                width: Width::W64,
                dst,
            } => Op::Neg64(dst.index()),
            Insn::Neg {
                width: Width::W32,
                dst,
            } => Op::Neg32(dst.index()),
            Insn::Endian { order, bits, dst } => Op::Endian(dst.index(), order, bits),
            Insn::Load {
                size,
                signed,
                dst,
                src,
                off,
            } if program.is_probe(pc) => Op::ProbeLd(dst.index(), src.index(), off, size, signed),
            Insn::Load {
                size,
                signed: true,
                dst,
                src,
                off,
            } => Op::Ldxs(dst.index(), src.index(), off, size),
            Insn::Load {
                size,
                signed: false,
                dst,
                src,
                off,
            } => {
                let (d, s) = (dst.index(), src.index());
                match size {
                    Size::B => Op::LdxB(d, s, off),
                    Size::H => Op::LdxH(d, s, off),
                    Size::W => Op::LdxW(d, s, off),
                    Size::DW => Op::LdxDW(d, s, off),
                }
            }
            Insn::Store {
                size,
                dst,
                off,
                src: Operand::Imm(i),
            } => {
                let (d, v) = (dst.index(), i64::from(i) as u64);
                match size {
                    Size::B => Op::StB(d, off, v),
                    Size::H => Op::StH(d, off, v),
                    Size::W => Op::StW(d, off, v),
                    Size::DW => Op::StDW(d, off, v),
                }
            }
            Insn::Store {
                size,
                dst,
                off,
                src: Operand::Reg(s),
            } => {
                let (d, s) = (dst.index(), s.index());
                match size {
                    Size::B => Op::StxB(d, s, off),
                    Size::H => Op::StxH(d, s, off),
                    Size::W => Op::StxW(d, s, off),
                    Size::DW => Op::StxDW(d, s, off),
                }
            }
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => Op::Atomic(dst.index(), src.index(), off, size, op),
            Insn::LoadImm64 { dst, imm, .. } => Op::LdImm64(dst.index(), imm),
            Insn::LoadPacket { size, mode, imm } => {
                let ind = match mode {
                    PacketMode::Abs => None,
                    PacketMode::Ind(r) => Some(r.index()),
                };
                Op::LdPacket(ind, imm, size)
            }
            Insn::Ja { .. } | Insn::Ja32 { .. } => Op::Ja(target(pc, insn)),
            Insn::Jump {
                width: Width::W64,
                cond,
                dst,
                src,
                ..
            } => jump64(cond, dst.index(), src, target(pc, insn)),
            Insn::Jump {
                width: Width::W32,
                cond,
                dst,
                src,
                ..
            } => match src {
                Operand::Imm(i) => Op::Jmp32Imm(cond, dst.index(), i as u32, target(pc, insn)),
                Operand::Reg(s) => Op::Jmp32Reg(cond, dst.index(), s.index(), target(pc, insn)),
            },
            Insn::Call { helper } => {
                let idx = match helpers.iter().position(|(id, _)| *id == helper) {
                    Some(i) => i,
                    None => {
                        let h = registry.get(helper).ok_or_else(|| {
                            PrepareError::unknown_helper("interp", Some(pc), helper)
                        })?;
                        helpers.push((helper, h.func.clone()));
                        helpers.len() - 1
                    }
                };
                Op::Call(idx as u32)
            }
            Insn::CallLocal { .. } => Op::CallLocal(target(pc, insn)),
            Insn::CallRuntime { id } => {
                let what = format!("insn {pc}: runtime function {id} is not registered");
                return Err(PrepareError::compile("interp", what));
            }
            Insn::Callx { reg } => Op::Callx(reg.index()),
            Insn::Exit => Op::Exit,
        };
        ops.push(op);
        pcs.push(pc as u32);
    }
    Ok(Ops { ops, pcs, helpers })
}

/// The guards a verified program's instruction at `pc` needs before it: [`Op::CtxOnly`] for an
/// access not proven in bounds, [`Op::CtxArg`] for each helper argument into the context not
/// proven so.
fn guards<'p>(program: &'p Program, pc: usize, insn: &Insn) -> impl Iterator<Item = Op> + 'p {
    let access = match *insn {
        Insn::Load { size, src, off, .. } => Some((src, off, size, false)),
        Insn::Store { size, dst, off, .. } | Insn::Atomic { size, dst, off, .. } => {
            Some((dst, off, size, true))
        }
        _ => None,
    };
    let access = access
        .filter(|_| program.is_context_only(pc))
        .map(|(base, off, size, write)| Op::CtxOnly(base.index(), off, size.bytes() as u8, write));
    let args = program
        .context_args_at(pc)
        .iter()
        .map(|a| Op::CtxArg(a.ptr.index(), a.len, a.write));
    access.into_iter().chain(args)
}
