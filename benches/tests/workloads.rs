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
            // No workload calls a helper or another function or uses globals: compiled, each
            // runs through its direct entry, which gives the same answer too.
            if let Some(entry) = prog.native_entry() {
                let mut mem = (w.input)();
                let mut stack = oxbpf::StackBuffer::new(0);
                assert_eq!(
                    entry.call_on(&mut mem, &mut stack),
                    Ok(native),
                    "{} on {b}",
                    w.name
                );
            } else {
                assert_eq!(b, "interp", "{} has no direct entry on {b}", w.name);
            }
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

#[test]
fn the_verifier_proves_the_loop_accesses_it_can_relate_to_the_length() {
    use oxbpf::isa::Insn;
    let vm = verifying_vm("interp");
    // (workload, accesses, proven): log2's `i + 8 <= len` and switch's `i < len` bound their
    // loads; copy relates its index to `len / 2`, strcmp stops at a NUL, sum2 reads 16 bytes
    // without a length check: those keep their run-time checks.
    let want = [
        ("log2", 1, 1),
        ("switch", 1, 1),
        ("prime", 0, 0),
        ("copy", 3, 0),
        ("strcmp", 4, 0),
        ("const", 0, 0),
        ("sum2", 2, 0),
    ];
    for (name, accesses, proven) in want {
        let w = workload(name).unwrap();
        let program = oxbpf::Program::from_bytes(w.bytecode, vm.config(), vm.helpers()).unwrap();
        let marks = vm.verify(&program).unwrap().proven().to_vec();
        let is_access = |i: &Insn| {
            matches!(
                i,
                Insn::Load { .. } | Insn::Store { .. } | Insn::Atomic { .. }
            )
        };
        let got: Vec<usize> = (0..program.len())
            .filter(|&pc| is_access(&program.insns()[pc]))
            .collect();
        assert_eq!(got.len(), accesses, "{name}");
        assert_eq!(
            got.iter().filter(|&&pc| marks[pc]).count(),
            proven,
            "{name}"
        );
    }
    assert_eq!(want.len(), WORKLOADS.len());
}
