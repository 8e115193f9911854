//! Random bytes as a program: decoding, load-time checks and (with a budget) execution on every
//! backend must end in an error, a value or a trap, never a panic or a crash; and every backend
//! must agree. The first 16 bytes are the context, the rest the program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::{BACKENDS, Config, Vm};

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(16);
    let (ctx, code) = data.split_at(split);
    let config = Config { instruction_budget: Some(10_000), ..Config::default() };
    let mut first = None;
    for b in BACKENDS {
        let mut vm = Vm::with_config(b, config.clone()).unwrap();
        vm.register_helper(1, "sum", |_, [a, b, ..]| Ok(a.wrapping_add(b)));
        let outcome = vm.load_bytes(code).map(|p| {
            let mut m = ctx.to_vec();
            (p.execute_counted(&mut m), m)
        });
        let outcome = outcome.map_err(|e| e.to_string());
        match &first {
            None => first = Some(outcome),
            Some(f) => assert_eq!(f, &outcome, "backend {b} disagrees"),
        }
    }
});
