//! Differential fuzzing of random bytes as a program: decoding, load-time checks and (with a
//! budget) execution on every backend must end in an error, a value or a trap, never a panic or a
//! crash; and every backend, run on the same context and stack buffers, must agree on `r0` or the
//! trap (kind, pc, address), the instruction count and the memory left behind. A program without
//! backward jumps, which ends without a budget, runs again without counting, where JIT and AOT
//! code takes its direct entry (deciding every access itself), and must agree there too. The
//! first 16 bytes are the context, the rest the program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::{BACKENDS, Config, Error, StackBuffer, Vm};

/// Runs `code` on every backend with `config` and checks that all agree; returns whether the
/// program loaded and has no backward jump.
fn agree(config: &Config, ctx: &[u8], code: &[u8]) -> bool {
    let mut first = None;
    let mut loop_free = false;
    let mut mem = ctx.to_vec();
    let mut stack = StackBuffer::new(config.stack_size());
    for b in BACKENDS {
        let mut vm = Vm::with_config(b, config.clone()).unwrap();
        vm.register_helper(1, "sum", |_, [a, b, ..]| Ok(a.wrapping_add(b)));
        let outcome = match vm.load_bytes(code) {
            Ok(p) => {
                loop_free = !p
                    .program()
                    .insns()
                    .iter()
                    .enumerate()
                    .any(|(pc, insn)| insn.target_index(pc).is_some_and(|t| t <= pc));
                mem.copy_from_slice(ctx);
                stack.reset(config.stack_size());
                Ok((p.execute_on(&mut mem, &mut stack), mem.clone()))
            }
            Err(Error::Load(e)) => Err(e.to_string()),
            Err(other) => panic!("{b} could not prepare a checked program: {other}"),
        };
        match &first {
            None => first = Some(outcome),
            Some(f) => assert_eq!(f, &outcome, "backend {b} disagrees"),
        }
    }
    loop_free
}

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(16);
    let (ctx, code) = data.split_at(split);
    // Unverified: this target compares what backends do with any loadable program, traps
    // included; `verify_sound` fuzzes the verifier.
    let config = Config { instruction_budget: Some(10_000), verify: false, ..Config::default() };
    if agree(&config, ctx, code) {
        let uncounted = Config { instruction_budget: None, count_instructions: false, ..config };
        agree(&uncounted, ctx, code);
    }
});
