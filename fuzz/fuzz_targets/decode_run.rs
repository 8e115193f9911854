//! Differential fuzzing of random bytes as a program: decoding, load-time checks and (with a
//! budget) execution on every backend must end in an error, a value or a trap, never a panic or a
//! crash; and every backend, run on the same context and stack buffers, must agree on `r0` or the
//! trap (kind, pc, address), the instruction count and the memory left behind. The first 16 bytes
//! are the context, the rest the program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::{BACKENDS, Config, Error, StackBuffer, Vm};

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(16);
    let (ctx, code) = data.split_at(split);
    // Unverified: this target compares what backends do with any loadable program, traps
    // included; `verify_sound` fuzzes the verifier.
    let config = Config { instruction_budget: Some(10_000), verify: false, ..Config::default() };
    let mut first = None;
    let mut mem = ctx.to_vec();
    let mut stack = StackBuffer::new(config.stack_size());
    for b in BACKENDS {
        let mut vm = Vm::with_config(b, config.clone()).unwrap();
        vm.register_helper(1, "sum", |_, [a, b, ..]| Ok(a.wrapping_add(b)));
        let outcome = match vm.load_bytes(code) {
            Ok(p) => {
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
});
