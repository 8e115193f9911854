//! Programs built from the fuzzer's bytes, in the shapes compilers emit (arithmetic, length
//! checks against constants and numbers, accesses through `r1`, `r10` and a masked index, forward and backward jumps, helper
//! calls, spills of pointers, helpers that write through their pointer arguments and copy bytes
//! from one place to another) mixed with arbitrary instructions, are verified over raw memory
//! with loops widened.
//! The verifier must answer without a panic, and every program it accepts must keep the
//! soundness property of `tests/support/sound.rs`: no out-of-bounds trap at a proven access, no
//! result that depends on stack bytes the program never wrote.
#![no_main]

use oxbpf_test_support::sound;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use oxbpf::isa::{AluOp, Cond, Insn, Operand, Reg, Size, Width, decode_one};
use oxbpf::{Config, Proto, StackBuffer, Termination, Vm};
use oxbpf_test_support::vms::{COPY, FILL};
use sound::NUMBERS;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((insns, ctx)) = program(&mut u) else { return };
    let config = Config { instruction_budget: Some(3_000), ..Config::default() };
    let mut vm = Vm::with_config("interp", config).unwrap();
    vm.verifier_mut().termination = Termination::Budget;
    vm.register_helper_with_proto(1, "sum", Proto::numbers(2), |_, [a, b, ..]| Ok(a.wrapping_add(b)));
    oxbpf_test_support::vms::register_memory_helpers(&mut vm);
    let Ok(program) = oxbpf::Program::from_insns(insns, vm.config(), vm.helpers()) else {
        return;
    };
    let Ok(verified) = vm.verify(&program) else { return };
    let mut mem = ctx.clone();
    let mut stack = StackBuffer::new(0);
    if let Err(e) = sound::run_accepted(&vm, &program, verified.proven(), &ctx, &mut mem, &mut stack) {
        let listing: String =
            program.insns().iter().enumerate().map(|(pc, i)| format!("{pc:4}: {i}\n")).collect();
        panic!("{e}\n{listing}");
    }
});

/// A prologue giving every register but `r1`, `r2` and `r10` a number, up to 48 instructions
/// from `u`, `exit`; and the context bytes.
fn program(u: &mut Unstructured) -> Result<(Vec<Insn>, Vec<u8>)> {
    let ctx_len = u.int_in_range(0..=64)?;
    let ctx = u.bytes(ctx_len)?.to_vec();
    let mut insns = sound::prologue();
    let n = u.int_in_range(1..=48)?;
    for _ in 0..n {
        if u.ratio(1, 8)? {
            insns.extend(memory_call(u)?);
            continue;
        }
        let i = insn(u)?;
        insns.push(i);
        if matches!(i, Insn::LoadImm64 { .. }) {
            insns.push(Insn::LoadImm64Tail);
        }
    }
    insns.push(Insn::Exit);
    Ok((insns, ctx))
}

fn insn(u: &mut Unstructured) -> Result<Insn> {
    let num = |u: &mut Unstructured| -> Result<Reg> { Ok(Reg::new(*u.choose(&NUMBERS)?).unwrap()) };
    let size = |u: &mut Unstructured| -> Result<Size> { Ok(*u.choose(&[Size::B, Size::H, Size::W, Size::DW])?) };
    let width = |u: &mut Unstructured| -> Result<Width> { Ok(if u.arbitrary()? { Width::W32 } else { Width::W64 }) };
    let operand = |u: &mut Unstructured, lo: i32, hi: i32| -> Result<Operand> {
        Ok(if u.arbitrary()? {
            Operand::Reg(Reg::new(*u.choose(&NUMBERS)?).unwrap())
        } else {
            Operand::Imm(u.int_in_range(lo..=hi)?)
        })
    };
    let cond = |u: &mut Unstructured| -> Result<Cond> {
        Ok(*u.choose(&[
            Cond::Eq, Cond::Ne, Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le, Cond::Sgt, Cond::Sge,
            Cond::Slt, Cond::Sle, Cond::Set,
        ])?)
    };
    let alu_op = |u: &mut Unstructured| -> Result<AluOp> {
        Ok(*u.choose(&[
            AluOp::Add, AluOp::Sub, AluOp::Mul, AluOp::Or, AluOp::And, AluOp::Xor, AluOp::Lsh,
            AluOp::Rsh, AluOp::Arsh, AluOp::Mov, AluOp::Div, AluOp::Mod,
        ])?)
    };
    Ok(match u.int_in_range(0u8..=16)? {
        0..=3 => Insn::Alu { width: width(u)?, op: alu_op(u)?, dst: num(u)?, src: operand(u, -64, 64)? },
        4 => Insn::Jump { width: Width::W64, cond: Cond::Lt, dst: Reg::R2, src: Operand::Imm(u.int_in_range(0..=72)?), off: u.int_in_range(0..=6)? },
        5 => Insn::Load { size: size(u)?, signed: false, dst: num(u)?, src: Reg::R1, off: u.int_in_range(0..=64)? },
        6 => Insn::Load { size: size(u)?, signed: false, dst: num(u)?, src: Reg::R10, off: u.int_in_range(-64..=-1)? },
        7 => Insn::Store { size: size(u)?, dst: Reg::R10, off: u.int_in_range(-64..=-1)?, src: operand(u, -64, 64)? },
        8 => Insn::Store { size: size(u)?, dst: Reg::R1, off: u.int_in_range(0..=64)?, src: operand(u, -64, 64)? },
        9 => Insn::Alu { width: Width::W64, op: AluOp::And, dst: num(u)?, src: Operand::Imm(*u.choose(&[7, 15, 31, 63])?) },
        10 => Insn::Alu { width: Width::W64, op: AluOp::Mov, dst: Reg::R6, src: Operand::Reg(Reg::R1) },
        11 => Insn::Alu { width: Width::W64, op: AluOp::Add, dst: Reg::R6, src: Operand::Reg(num(u)?) },
        12 => Insn::Load { size: size(u)?, signed: false, dst: num(u)?, src: Reg::R6, off: u.int_in_range(0..=16)? },
        // Forward jumps, and backward ones: loops, which the verifier widens.
        13 => Insn::Jump { width: width(u)?, cond: cond(u)?, dst: num(u)?, src: operand(u, -8, 72)?, off: u.int_in_range(-8..=6)? },
        14 => Insn::Call { helper: 1 },
        // A number compared with the length: facts relating an index to it.
        15 => {
            let x = num(u)?;
            let (dst, src) = if u.arbitrary()? { (Reg::R2, x) } else { (x, Reg::R2) };
            let cond = *u.choose(&[Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le])?;
            Insn::Jump { width: Width::W64, cond, dst, src: Operand::Reg(src), off: u.int_in_range(-8..=6)? }
        }
        _ => {
            let slot: [u8; 8] = u.arbitrary()?;
            decode_one(&slot, None).unwrap_or(Insn::Exit)
        }
    })
}

/// A spill of a pointer (`r1`, `r10` or `r6`) into the stack, or a call of `fill` or `copy` with
/// stack or context pointers and a small size: the helpers that change memory behind the
/// program's back.
fn memory_call(u: &mut Unstructured) -> Result<Vec<Insn>> {
    let slot = |u: &mut Unstructured| -> Result<i16> { Ok(-8 * u.int_in_range(1i16..=8)?) };
    let ptr = |u: &mut Unstructured, dst: Reg, slot: i16| -> Result<Vec<Insn>> {
        Ok(if u.arbitrary()? {
            let off = u.int_in_range(0..=16)?;
            vec![
                Insn::Alu { width: Width::W64, op: AluOp::Mov, dst, src: Operand::Reg(Reg::R1) },
                Insn::Alu { width: Width::W64, op: AluOp::Add, dst, src: Operand::Imm(off) },
            ]
        } else {
            vec![
                Insn::Alu { width: Width::W64, op: AluOp::Mov, dst, src: Operand::Reg(Reg::R10) },
                Insn::Alu { width: Width::W64, op: AluOp::Add, dst, src: Operand::Imm(i32::from(slot)) },
            ]
        })
    };
    Ok(match u.int_in_range(0u8..=2)? {
        0 => {
            let src = *u.choose(&[Reg::R1, Reg::R10, Reg::R6])?;
            vec![Insn::Store { size: Size::DW, dst: Reg::R10, off: slot(u)?, src: Operand::Reg(src) }]
        }
        k => {
            // `r1` (the context) is kept at fp-72, out of the helpers' reach, across the call.
            let mut v = vec![Insn::Store { size: Size::DW, dst: Reg::R10, off: -72, src: Operand::Reg(Reg::R1) }];
            let s = slot(u)?;
            v.extend(ptr(u, Reg::R1, s)?);
            let size = u.int_in_range(1..=16)?;
            v.push(Insn::Alu { width: Width::W64, op: AluOp::Mov, dst: Reg::R2, src: Operand::Imm(size) });
            if k == 2 {
                let s = slot(u)?;
                v.extend(ptr(u, Reg::new(3).expect("r3"), s)?);
            }
            v.push(Insn::Call { helper: if k == 1 { FILL } else { COPY } });
            v.push(Insn::Load { size: Size::DW, signed: false, dst: Reg::R1, src: Reg::R10, off: -72 });
            v
        }
    })
}
