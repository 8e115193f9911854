//! Differential testing: random valid programs (loops cut by the budget, in-bounds and
//! out-of-bounds accesses through the context and the stack, helper and local calls, `callx`,
//! atomics, legacy packet loads) run on every backend on the same buffers, and all must agree on
//! `r0` or the trap (kind, pc and address), the instruction count, and the memory left behind.
//!
//! `OXBPF_DIFF_PROGRAMS` sets how many loadable programs to run (default 10,000);
//! `OXBPF_DIFF_SEED` picks another deterministic sequence.

#[path = "../vm-core/tests/strategy/mod.rs"]
mod strategy;
mod support;

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
