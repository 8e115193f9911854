//! Which registers each instruction's continuation reads before writing them: registers that are
//! dead at a point do not keep two states there apart.

use oxbpf_core::isa::{AluOp, AtomicOp, Insn, Operand, PacketMode, Reg};
use oxbpf_core::{Arg, HelperRegistry, Proto};

/// Registers `r1`..`r5` as a mask.
const ARGS: u16 = 0b11_1110;
/// `r0`..`r5`: what a call overwrites.
const CALL_CLOBBERS: u16 = 0b11_1111;

fn bit(r: Reg) -> u16 {
    1 << r.idx()
}

fn operand(o: Operand) -> u16 {
    match o {
        Operand::Reg(r) => bit(r),
        Operand::Imm(_) => 0,
    }
}

/// The registers an instruction reads and the ones it writes.
fn use_def(insn: &Insn, helpers: &HelperRegistry) -> (u16, u16) {
    match *insn {
        Insn::Alu {
            op: AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32,
            dst,
            src,
            ..
        } => (operand(src), bit(dst)),
        Insn::Alu { dst, src, .. } => (bit(dst) | operand(src), bit(dst)),
        Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => (bit(dst), bit(dst)),
        Insn::Load { dst, src, .. } => (bit(src), bit(dst)),
        Insn::Store { dst, src, .. } => (bit(dst) | operand(src), 0),
        Insn::Atomic { op, dst, src, .. } => {
            let r0 = if op == AtomicOp::CmpXchg { 1 } else { 0 };
            let def = match op {
                AtomicOp::CmpXchg => 1,
                o if o.fetches() => bit(src),
                _ => 0,
            };
            (bit(dst) | bit(src) | r0, def)
        }
        Insn::LoadImm64 { dst, .. } => (0, bit(dst)),
        Insn::LoadPacket { mode, .. } => match mode {
            PacketMode::Ind(r) => (bit(r), 1),
            PacketMode::Abs => (0, 1),
        },
        Insn::Jump { dst, src, .. } => (bit(dst) | operand(src), 0),
        Insn::Call { helper } => {
            let proto = helpers.get(helper).and_then(|h| h.proto);
            (proto.map_or(ARGS, |p| proto_uses(&p)), CALL_CLOBBERS)
        }
        Insn::Callx { reg } => (bit(reg) | ARGS, CALL_CLOBBERS),
        Insn::CallLocal { .. } | Insn::CallRuntime { .. } => (ARGS, CALL_CLOBBERS),
        Insn::Exit => (1, 0),
        Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::LoadImm64Tail => (0, 0),
    }
}

/// The argument registers a helper of prototype `proto` reads (one without a prototype may read
/// any).
fn proto_uses(proto: &Proto) -> u16 {
    proto
        .args
        .iter()
        .enumerate()
        .filter(|(_, a)| **a != Arg::Unused)
        .fold(0, |m, (i, _)| m | 1 << (i + 1))
}

/// For each instruction, the registers live before it (bit `r` for `rN`).
pub(crate) fn live_in(insns: &[Insn], helpers: &HelperRegistry) -> Vec<u16> {
    let n = insns.len();
    let ud: Vec<(u16, u16)> = insns.iter().map(|i| use_def(i, helpers)).collect();
    let mut live = vec![0u16; n];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let insn = &insns[pc];
            if matches!(insn, Insn::LoadImm64Tail) {
                continue;
            }
            let mut out = 0u16;
            let next = if matches!(insn, Insn::LoadImm64 { .. }) {
                pc + 2
            } else {
                pc + 1
            };
            if !insn.ends_flow() && next < n {
                out |= live[next];
            }
            if let Some(t) = insn.jump_target(pc).filter(|&t| t < n) {
                out |= live[t];
            }
            let (u, d) = ud[pc];
            let new = u | (out & !d);
            if new != live[pc] {
                live[pc] = new;
                changed = true;
            }
        }
    }
    live
}
