//! Differential testing: random valid programs (loops cut by the budget, in-bounds and
//! out-of-bounds accesses through the context and the stack, helper and local calls, `callx`,
//! atomics, legacy packet loads) run on every backend on the same buffers, and all must agree on
//! `r0` or the trap (kind, pc and address), the instruction count, and the memory left behind.
//!
//! `OXBPF_DIFF_PROGRAMS` sets how many loadable programs to run (default 10,000);
//! `OXBPF_DIFF_SEED` picks another deterministic sequence.

use oxbpf_test_support::strategy;
use oxbpf_test_support::vms as support;

use support::{env_u64, listing, seeded_runner};

use oxbpf::{StackBuffer, Vm};
use proptest::strategy::{Strategy, ValueTree};

fn vms() -> Vec<Vm> {
    support::vms(3_000)
}

#[test]
fn every_backend_agrees_on_random_programs() {
    let want = env_u64("OXBPF_DIFF_PROGRAMS", 10_000);
    let mut runner = seeded_runner("OXBPF_DIFF_SEED", 0x0b9f);
    let prog_strategy = proptest::collection::vec(strategy::runnable_insn(), 1..48);
    let ctx_strategy = proptest::collection::vec(proptest::num::u8::ANY, 0..64);
    let vms = vms();
    let (mut loaded, mut traps, mut long_runs) = (0u64, 0u64, 0u64);
    let mut stack = StackBuffer::new(0);
    while loaded < want {
        let insns = strategy::to_program(prog_strategy.new_tree(&mut runner).unwrap().current());
        let ctx = ctx_strategy.new_tree(&mut runner).unwrap().current();
        let Ok(program) = oxbpf::Program::from_insns(insns, vms[0].config(), vms[0].helpers())
        else {
            continue;
        };
        loaded += 1;
        let mut mem = ctx.clone();
        let mut first: Option<(&str, oxbpf::Execution, Vec<u8>)> = None;
        for vm in &vms {
            let exe = vm
                .load_program(program.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", vm.backend_name(), listing(&program)));
            mem.copy_from_slice(&ctx);
            stack.reset(vm.config().stack_size());
            let e = exe.execute_on(&mut mem, &mut stack);
            match &first {
                None => first = Some((vm.backend_name(), e, mem.clone())),
                Some((name, fe, fm)) => {
                    assert!(
                        (fe, fm) == (&e, &mem),
                        "{} and {name} disagree:\n{:?}\n{:?}\non {ctx:02x?}\n{}",
                        vm.backend_name(),
                        e,
                        fe,
                        listing(&program)
                    );
                }
            }
        }
        if let Some((_, e, _)) = first {
            traps += u64::from(e.result.is_err());
            long_runs += u64::from(e.instructions >= 20);
        }
    }
    // The generator must exercise more than early exits and traps.
    assert!(traps > want / 20 && traps < want * 19 / 20, "{traps} traps");
    assert!(long_runs > want / 20, "{long_runs} long runs");
}

/// Loop-free random programs run without instruction counting, where JIT and AOT code takes its
/// direct entry (no context block, its own checks deciding every access: see
/// `oxbpf::NativeEntry`) whenever the program has no calls: every backend, and the direct entry
/// called on its own, agree on `r0` or the trap (kind, pc, address, length and direction) and the
/// memory left behind.
///
/// `OXBPF_DIRECT_PROGRAMS` sets how many loadable programs to run (default 3,000).
#[cfg(feature = "jit")]
#[test]
fn direct_entries_agree_on_random_loop_free_programs() {
    let want = env_u64("OXBPF_DIRECT_PROGRAMS", 3_000);
    let mut runner = seeded_runner("OXBPF_DIFF_SEED", 0xd1ec7);
    let prog_strategy = proptest::collection::vec(strategy::runnable_insn(), 1..48);
    let ctx_strategy = proptest::collection::vec(proptest::num::u8::ANY, 0..64);
    let config = oxbpf::Config {
        count_instructions: false,
        verify: false,
        ..oxbpf::Config::default()
    };
    let vms: Vec<Vm> = support::vms(1)
        .into_iter()
        .map(|mut vm| {
            *vm.config_mut() = config.clone();
            vm
        })
        .collect();
    let (mut loaded, mut direct, mut oob_reads, mut oob_writes) = (0u64, 0u64, 0u64, 0u64);
    let mut stack = StackBuffer::new(0);
    while loaded < want {
        let insns = strategy::to_program(prog_strategy.new_tree(&mut runner).unwrap().current());
        let loops = insns.iter().enumerate().any(|(pc, insn)| {
            insn.jump_target(pc).is_some_and(|t| t <= pc)
                || insn.target_index(pc).is_some_and(|t| t <= pc)
        });
        if loops {
            continue;
        }
        let ctx = ctx_strategy.new_tree(&mut runner).unwrap().current();
        let Ok(program) = oxbpf::Program::from_insns(insns, &config, vms[0].helpers()) else {
            continue;
        };
        loaded += 1;
        let mut mem = ctx.clone();
        let mut first: Option<(String, oxbpf::Execution, Vec<u8>)> = None;
        let mut check = |name: String, e: oxbpf::Execution, mem: &[u8]| match &first {
            None => first = Some((name, e, mem.to_vec())),
            Some((fname, fe, fm)) => assert!(
                (fe, fm.as_slice()) == (&e, mem),
                "{name} and {fname} disagree:\n{e:?}\n{fe:?}\non {ctx:02x?}\n{}",
                listing(&program)
            ),
        };
        for vm in &vms {
            let exe = vm
                .load_program(program.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", vm.backend_name(), listing(&program)));
            mem.copy_from_slice(&ctx);
            stack.reset(config.stack_size());
            let e = exe.execute_on(&mut mem, &mut stack);
            check(vm.backend_name().to_owned(), e, &mem);
            if let Some(entry) = exe.native_entry() {
                direct += 1;
                mem.copy_from_slice(&ctx);
                stack.reset(config.stack_size());
                let result = entry.call_on(&mut mem, &mut stack);
                if let Err(t) = &result
                    && let oxbpf::TrapKind::OutOfBounds { access, .. } = t.kind
                {
                    match access {
                        oxbpf::Access::Read => oob_reads += 1,
                        oxbpf::Access::Write => oob_writes += 1,
                    }
                }
                let e = oxbpf::Execution {
                    result,
                    instructions: 0,
                };
                check(format!("{} direct", vm.backend_name()), e, &mem);
            }
        }
    }
    // Two compiled backends: most call-free programs get direct entries on both, and their
    // checks refuse reads and writes alike.
    assert!(direct > want / 2, "{direct} direct runs");
    assert!(oob_reads > want / 50, "{oob_reads} out-of-bounds reads");
    assert!(oob_writes > want / 50, "{oob_writes} out-of-bounds writes");
}
