//! Every workload gives the native build's answer on every backend, and the answers that are known
//! independently are right.

use oxbpf::{BACKENDS, Vm};
use oxbpf_bench::{WORKLOADS, config, long_program, verifying_vm, workload};

#[test]
fn every_backend_matches_the_native_build() {
    for w in WORKLOADS {
        let mut mem = (w.input)();
        let native = w.run_native(&mut mem);
        for &b in BACKENDS {
            for counting in [true, false] {
                let vm = Vm::with_config(b, config(counting)).unwrap();
                let prog = vm.load_bytes(w.bytecode).unwrap();
                let mut mem = (w.input)();
                let e = prog.execute_counted(&mut mem);
                assert_eq!(e.result, Ok(native), "{} on {b}", w.name);
                assert_eq!(e.instructions > 0, counting, "{} on {b}", w.name);
            }
            // Verified, with the checks of proven accesses dropped: the same answer.
            let prog = verifying_vm(b).load_bytes(w.bytecode).unwrap();
            let mut mem = (w.input)();
            assert_eq!(
                prog.execute(&mut mem),
                Ok(native),
                "{} verified on {b}",
                w.name
            );
        }
    }
}

#[test]
fn known_answers() {
    let run = |name: &str| {
        let w = workload(name).unwrap();
        let mut mem = (w.input)();
        Vm::with_config("interp", config(false))
            .unwrap()
            .load_bytes(w.bytecode)
            .unwrap()
            .execute(&mut mem)
            .unwrap()
    };
    // 1,229 primes below 10,000.
    assert_eq!(run("prime"), 1229);
    assert_eq!(run("const"), 42);
    assert_eq!(run("sum2"), 42);
    // Equal strings compare equal.
    assert_eq!(run("strcmp"), 0);
    // The copied half's last byte is the source's.
    let w = workload("copy").unwrap();
    let src_last = (w.input)()[(1 << 20) - 1];
    assert_eq!(run("copy"), u64::from(src_last));
}

#[test]
fn the_long_program_of_the_verify_bench_is_accepted() {
    let vm = verifying_vm("interp");
    let bytes = long_program(100_000);
    let program = oxbpf::Program::from_bytes(&bytes, vm.config(), vm.helpers()).unwrap();
    assert!(program.len() >= 100_000);
    let v = vm.verify(&program).unwrap();
    // Every block's stack reload is proven in bounds.
    let proven = v.proven().iter().filter(|&&p| p).count();
    assert!(proven >= 100_000 / 6, "{proven} proven accesses");
}
