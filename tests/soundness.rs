//! Soundness of the verifier: random programs (in the shapes compilers emit, with spills of
//! pointers and calls of helpers that write memory and copy bytes) are verified over raw memory,
//! and every accepted one runs on the interpreter, checks on:
//!
//! - no out-of-bounds trap at an access the verifier marked proven;
//! - no read of memory the program did not write: the run gives the same result and leaves the
//!   same memory whether the stack starts zeroed or filled with a pattern;
//! - the JIT and AOT backends, which drop the checks of proven accesses, agree with it (on every
//!   tenth program: compiling is the slow part).
//!
//! `OXBPF_SOUND_PROGRAMS` sets how many accepted programs to run (default 10,000);
//! `OXBPF_SOUND_SEED` picks another deterministic sequence.

use oxbpf_test_support::strategy;
use oxbpf_test_support::vms as support;

use support::{env_u64, listing, seeded_runner};

use oxbpf::StackBuffer;
use oxbpf::isa::{AluOp, Cond, Insn, Operand, Reg, Size, Width};
use proptest::prop_oneof;
use proptest::strategy::{Strategy, ValueTree};

#[test]
fn accepted_programs_never_reach_outside_their_proofs() {
    let want = env_u64("OXBPF_SOUND_PROGRAMS", 10_000);
    let mut runner = seeded_runner("OXBPF_SOUND_SEED", 0x50_0d);
    let prog_strategy = proptest::collection::vec(
        prop_oneof![
            12 => verifiable_insn().prop_map(|i| vec![i]),
            1 => memory_call(),
        ],
        1..32,
    )
    .prop_map(|parts| parts.concat());
    let ctx_strategy = proptest::collection::vec(proptest::num::u8::ANY, 0..64);
    // VMs with the helpers and budget of the differential test, verifying: the interpreter,
    // which checks every access anyway, is the reference for the compiled backends, which drop
    // the checks the verifier proved (a verified program's other accesses and its helper
    // arguments into the context are checked against the context alone, on every backend).
    let verifying = support::vms_verifying(3_000, true);
    let interp = &verifying[0];
    assert_eq!(interp.backend_name(), "interp");
    let (mut generated, mut accepted, mut proven_accesses) = (0u64, 0u64, 0u64);
    let mut stack = StackBuffer::new(0);
    while accepted < want {
        let mut insns = oxbpf_test_support::sound::prologue();
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
        let (result, mem_after) = oxbpf_test_support::sound::run_accepted(
            interp, &program, proven, &ctx, &mut mem, &mut stack,
        )
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
    let num =
        || select(oxbpf_test_support::sound::NUMBERS.to_vec()).prop_map(|r| Reg::new(r).unwrap());
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

/// A spill of a pointer (`r1`, `r10` or `r6`) into the stack, or a call of a helper that writes
/// memory (`fill`, or `copy` from a number, the stack or the context) at a stack or context
/// pointer with a small size: what may change memory behind the verifier's back. `r1` is kept at
/// fp-72, out of the helpers' reach, across the call.
fn memory_call() -> impl Strategy<Value = Vec<Insn>> {
    let r3 = Reg::new(3).expect("r3");
    use oxbpf_test_support::vms::{COPY, FILL};
    use proptest::prelude::*;
    use proptest::sample::select;
    let slot = || (1i16..=8).prop_map(|k| -8 * k);
    let mov = |dst: Reg, src: Reg| Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst,
        src: Operand::Reg(src),
    };
    let add = |dst: Reg, k: i32| Insn::Alu {
        width: Width::W64,
        op: AluOp::Add,
        dst,
        src: Operand::Imm(k),
    };
    // A pointer into the stack (at a slot) or the context (at a small offset) in `dst`.
    let pointer = move |dst: Reg| {
        prop_oneof![
            slot().prop_map(move |s| vec![mov(dst, Reg::R10), add(dst, i32::from(s))]),
            (0i32..16).prop_map(move |o| vec![mov(dst, Reg::R1), add(dst, o)]),
        ]
    };
    let spill = (select(vec![Reg::R1, Reg::R10, Reg::R6]), slot()).prop_map(|(src, off)| {
        vec![Insn::Store {
            size: Size::DW,
            dst: Reg::R10,
            off,
            src: Operand::Reg(src),
        }]
    });
    let source = prop_oneof![
        (0i32..4096).prop_map(move |n| vec![Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: r3,
            src: Operand::Imm(n),
        }]),
        pointer(r3),
    ];
    let call = (
        pointer(Reg::R1),
        1i32..=16,
        prop_oneof![Just(None), source.prop_map(Some)],
    )
        .prop_map(move |(dst, size, src)| {
            let mut v = vec![Insn::Store {
                size: Size::DW,
                dst: Reg::R10,
                off: -72,
                src: Operand::Reg(Reg::R1),
            }];
            v.extend(dst);
            v.push(Insn::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst: Reg::R2,
                src: Operand::Imm(size),
            });
            let helper = match src {
                Some(src) => {
                    v.extend(src);
                    COPY
                }
                None => FILL,
            };
            v.push(Insn::Call { helper });
            v.push(Insn::Load {
                size: Size::DW,
                signed: false,
                dst: Reg::R1,
                src: Reg::R10,
                off: -72,
            });
            v
        });
    prop_oneof![spill, call]
}
