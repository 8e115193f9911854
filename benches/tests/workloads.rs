//! Every workload gives the native build's answer on every backend, and the answers that are known
//! independently are right.

use oxbpf::{BACKENDS, Vm};
use oxbpf_bench::{WORKLOADS, config, workload};

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
        }
    }
}

#[test]
fn known_answers() {
    let run = |name: &str| {
        let w = workload(name).unwrap();
        let mut mem = (w.input)();
        Vm::new("interp")
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
