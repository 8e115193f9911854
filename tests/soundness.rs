//! Soundness of the verifier: random programs (the differential test's generator) are verified
//! over raw memory, and every accepted one runs on the interpreter, checks on:
//!
//! - no out-of-bounds trap at an access the verifier marked proven;
//! - no read of memory the program did not write: the run gives the same result and leaves the
//!   same memory whether the stack starts zeroed or filled with a pattern;
//! - the JIT and AOT backends, which drop the checks of proven accesses, agree with it (on every
//!   tenth program: compiling is the slow part).
//!
//! `OXBPF_SOUND_PROGRAMS` sets how many accepted programs to run (default 10,000);
//! `OXBPF_SOUND_SEED` picks another deterministic sequence.

#[path = "../vm-core/tests/strategy/mod.rs"]
mod strategy;
mod support;

use support::{env_u64, listing, seeded_runner};

use oxbpf::StackBuffer;
use oxbpf::isa::{AluOp, Cond, Insn, Operand, Reg, Size, Width};
use proptest::strategy::{Strategy, ValueTree};

#[test]
fn accepted_programs_never_reach_outside_their_proofs() {
    let want = env_u64("OXBPF_SOUND_PROGRAMS", 10_000);
    let mut runner = seeded_runner("OXBPF_SOUND_SEED", 0x50_0d);
    let prog_strategy = proptest::collection::vec(verifiable_insn(), 1..32);
    let ctx_strategy = proptest::collection::vec(proptest::num::u8::ANY, 0..64);
    // Unverified VMs with the helpers and budget of the differential test; the verifying ones
    // load the same programs with their proofs.
    let plain = support::vms(3_000);
    let verifying = support::vms_verifying(3_000, true);
    let interp = &plain[0];
    assert_eq!(interp.backend_name(), "interp");
    let (mut generated, mut accepted, mut proven_accesses) = (0u64, 0u64, 0u64);
    let mut stack = StackBuffer::new(0);
    while accepted < want {
        let mut insns = support::sound::prologue();
        insns.extend(prog_strategy.new_tree(&mut runner).unwrap().current());
        let insns = strategy::to_program(insns);
        let ctx = ctx_strategy.new_tree(&mut runner).unwrap().current();
        let Ok(program) = oxbpf::Program::from_insns(insns, interp.config(), interp.helpers())
        else {
            continue;
        };
        generated += 1;
        let Ok(verified) = interp.verify(&program) else {
            continue;
        };
        accepted += 1;
        let proven = verified.proven();
        proven_accesses += proven.iter().filter(|&&p| p).count() as u64;
        let mut mem = ctx.clone();
        let (result, mem_after) =
            support::sound::run_accepted(interp, &program, proven, &ctx, &mut mem, &mut stack)
                .unwrap_or_else(|e| panic!("{e}\n{}", listing(&program)));
        // Compiling is the slow part: every tenth accepted program also runs compiled.
        for vm in verifying[1..].iter().filter(|_| accepted % 10 == 0) {
            let loaded = vm
                .load_program(program.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", vm.backend_name(), listing(&program)));
            mem.copy_from_slice(&ctx);
            stack.reset(vm.config().stack_size());
            let e = loaded.execute_on(&mut mem, &mut stack);
            assert!(
                (&e.result, &mem) == (&result, &mem_after),
                "{} with proofs disagrees with interp: {:?} vs {:?}\n{}",
                vm.backend_name(),
                e.result,
                result,
                listing(&program)
            );
        }
    }
    // The generator must give the verifier real work: proven accesses, and rejections.
    assert!(
        proven_accesses > want / 10,
        "{proven_accesses} proven accesses"
    );
    assert!(generated > accepted, "every program accepted");
}

/// Instructions in the shapes compilers emit and the verifier reasons about: arithmetic on
/// numbers, length checks (with constants and with numbers), loads and stores at constant offsets from `r1` and `r10`, memory
/// reached through a masked index, forward branches, helper calls. Some of these programs read
/// stack bytes never written, or go past the length they checked, and are rejected.
fn verifiable_insn() -> impl Strategy<Value = Insn> {
    use proptest::prelude::*;
    use proptest::sample::select;
    let num = || select(support::sound::NUMBERS.to_vec()).prop_map(|r| Reg::new(r).unwrap());
    let size = || select(vec![Size::B, Size::H, Size::W, Size::DW]);
    let alu_op = select(vec![
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Or,
        AluOp::And,
        AluOp::Xor,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Mov,
        AluOp::Div,
        AluOp::Mod,
    ]);
    let cond = select(vec![
        Cond::Eq,
        Cond::Ne,
        Cond::Gt,
        Cond::Ge,
        Cond::Lt,
        Cond::Le,
        Cond::Sgt,
    ]);
    prop_oneof![
        6 => (alu_op, num(), prop_oneof![num().prop_map(Operand::Reg), (-64i32..64).prop_map(Operand::Imm)], any::<bool>())
            .prop_map(|(op, dst, src, w)| Insn::Alu { width: if w { Width::W32 } else { Width::W64 }, op, dst, src }),
        3 => (0i32..72, 0i16..6).prop_map(|(k, off)| Insn::Jump { width: Width::W64, cond: Cond::Lt, dst: Reg::R2, src: Operand::Imm(k), off }),
        // A number compared with the length: facts relating an index to it.
        2 => (select(vec![Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le]), num(), any::<bool>(), 0i16..6).prop_map(|(cond, x, swap, off)| {
            let (dst, src) = if swap { (Reg::R2, x) } else { (x, Reg::R2) };
            Insn::Jump { width: Width::W64, cond, dst, src: Operand::Reg(src), off }
        }),
        3 => (size(), num(), 0i16..64).prop_map(|(size, dst, off)| Insn::Load { size, signed: false, dst, src: Reg::R1, off }),
        3 => (size(), num(), -64i16..0).prop_map(|(size, dst, off)| Insn::Load { size, signed: false, dst, src: Reg::R10, off }),
        3 => (size(), num(), -64i16..0).prop_map(|(size, src, off)| Insn::Store { size, dst: Reg::R10, off, src: Operand::Reg(src) }),
        1 => (size(), num(), 0i16..64).prop_map(|(size, src, off)| Insn::Store { size, dst: Reg::R1, off, src: Operand::Reg(src) }),
        // r6 = r1 + (rX & mask): memory through an index.
        2 => (num(), select(vec![7i32, 15, 31, 63])).prop_map(|(x, m)| Insn::Alu { width: Width::W64, op: AluOp::And, dst: x, src: Operand::Imm(m) }),
        1 => Just(Insn::Alu { width: Width::W64, op: AluOp::Mov, dst: Reg::R6, src: Operand::Reg(Reg::R1) }),
        2 => num().prop_map(|x| Insn::Alu { width: Width::W64, op: AluOp::Add, dst: Reg::R6, src: Operand::Reg(x) }),
        2 => (size(), num(), 0i16..16).prop_map(|(size, dst, off)| Insn::Load { size, signed: false, dst, src: Reg::R6, off }),
        2 => (cond, num(), prop_oneof![num().prop_map(Operand::Reg), (-8i32..72).prop_map(Operand::Imm)], 0i16..6)
            .prop_map(|(cond, dst, src, off)| Insn::Jump { width: Width::W64, cond, dst, src, off }),
        1 => (1u32..=3).prop_map(|helper| Insn::Call { helper }),
    ]
}
