//! Hostile input never panics: random bytes as programs, and random well-formed programs run on
//! every backend with a budget, must end in a load error, a value or a trap — and every backend
//! must give the same one.

use oxbpf_test_support::strategy;
use oxbpf_test_support::vms as support;

use oxbpf::{StackBuffer, Vm};
use proptest::prelude::*;

fn vms() -> Vec<Vm> {
    support::vms(2_000)
}

fn run_everywhere(
    vms: &[Vm],
    load: impl Fn(&Vm) -> Result<oxbpf::Loaded, oxbpf::Error>,
    ctx: &[u8],
) -> Result<(), TestCaseError> {
    let mut first = None;
    // The same buffers for every backend, so that addresses (which programs can observe) agree.
    let mut m = ctx.to_vec();
    let mut stack = StackBuffer::new(0);
    for vm in vms {
        let outcome = match load(vm) {
            Err(e) => Err(e.to_string()),
            Ok(p) => {
                m.copy_from_slice(ctx);
                stack.reset(vm.config().stack_size());
                let e = p.execute_on(&mut m, &mut stack);
                // A run may only change the context it was given, never its length.
                prop_assert_eq!(m.len(), ctx.len());
                Ok((e, m.clone()))
            }
        };
        match &first {
            None => first = Some(outcome),
            Some(f) => prop_assert_eq!(f, &outcome, "backend {} disagrees", vm.backend_name()),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_as_programs(bytes in proptest::collection::vec(any::<u8>(), 0..128), ctx in proptest::collection::vec(any::<u8>(), 0..32)) {
        let vms = vms();
        run_everywhere(&vms, |vm| vm.load_bytes(&bytes), &ctx)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_programs_run_without_panic(insns in proptest::collection::vec(strategy::runnable_insn(), 1..40), ctx in proptest::collection::vec(any::<u8>(), 0..64)) {
        let vms = vms();
        let prog = strategy::to_program(insns);
        run_everywhere(&vms, |vm| {
            let p = oxbpf::Program::from_insns(prog.clone(), vm.config(), vm.helpers())?;
            vm.load_program(p)
        }, &ctx)?;
    }
}

/// A fraction of the generated programs must pass the load checks and run for a while, or the
/// property above would test nothing but rejections.
#[test]
fn generated_programs_mostly_load_and_run() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let vm = &vms()[0];
    let mut runner = TestRunner::deterministic();
    let strat = proptest::collection::vec(strategy::runnable_insn(), 1..40);
    let (mut loaded, mut long_runs) = (0, 0);
    for _ in 0..2_000 {
        let prog = strategy::to_program(strat.new_tree(&mut runner).unwrap().current());
        if let Ok(p) = oxbpf::Program::from_insns(prog, vm.config(), vm.helpers()) {
            loaded += 1;
            let e = vm.load_program(p).unwrap().execute_counted(&mut [0u8; 64]);
            if e.instructions >= 5 {
                long_runs += 1;
            }
        }
    }
    assert!(
        loaded > 400,
        "only {loaded} of 2000 generated programs loaded"
    );
    assert!(
        long_runs > 100,
        "only {long_runs} runs executed 5 or more instructions"
    );
}
