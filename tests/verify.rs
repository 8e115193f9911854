//! The verifier in the load path: with `Config::verify` on (the default), an unsafe program does
//! not load (on any backend) and a safe one loads and runs; clang-built objects verify with
//! their maps.

use oxbpf::{BACKENDS, Config, Error, Termination, Vm};

fn verifying(backend: &str) -> Vm {
    Vm::new(backend).unwrap()
}

fn unverified(backend: &str) -> Vm {
    let config = Config {
        verify: false,
        ..Config::default()
    };
    Vm::with_config(backend, config).unwrap()
}

#[test]
fn an_unsafe_program_does_not_load_on_any_backend() {
    for b in BACKENDS {
        let vm = verifying(b);
        // Reading r0 before writing it (the conformance suite's negative/error.data).
        match vm.load_asm("or %r0, %r10\nexit") {
            Err(Error::Verify(e)) => {
                assert_eq!(
                    e.to_string(),
                    "insn 0: r0 is read before it is written",
                    "{b}"
                )
            }
            other => panic!("{b}: {other:?}"),
        }
        // A load through a number.
        let e = vm
            .load_asm("lddw %r1, 0x1000\nldxw %r0, [%r1]\nexit")
            .unwrap_err();
        assert!(
            e.to_string().contains("insn 2: r1 = 4096 is not a pointer"),
            "{b}: {e}"
        );
        // The same programs load without the verifier, and the run-time checks stop the second.
        let p = unverified(b)
            .load_asm("lddw %r1, 0x1000\nldxw %r0, [%r1]\nexit")
            .unwrap();
        assert!(p.execute(&mut []).is_err(), "{b}");
    }
}

#[test]
fn a_safe_program_loads_and_runs() {
    for b in BACKENDS {
        let vm = verifying(b);
        let p = vm
            .load_asm("mov %r0, 0\njlt %r2, 8, +1\nldxdw %r0, [%r1]\nexit")
            .unwrap();
        let mut mem = 0x1122_3344_5566_7788u64.to_le_bytes();
        assert_eq!(p.execute(&mut mem), Ok(0x1122_3344_5566_7788), "{b}");
        assert_eq!(p.execute(&mut [1, 2]), Ok(0), "{b}");
    }
}

#[test]
fn clang_objects_verify_with_their_maps() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/elf");
    for version in ["clang14-v1", "clang14-v3", "clang19-v2", "clang19-v4"] {
        for (file, programs) in [
            ("legacy", &["legacy"][..]),
            ("multi", &["first", "second"][..]),
            ("text", &["mix_words", "sum_words"][..]),
            (
                "maps",
                &["count_packets", "dispatch", "target", "pop_fifo"][..],
            ),
        ] {
            let bytes = std::fs::read(format!("{dir}/{file}-{version}.o")).unwrap();
            // These fixtures' programs read their context as raw memory whatever their
            // sections (`xdp`, `socket`, `tracepoint/...`) say.
            let mut vm = verifying("interp");
            vm.use_section_types(false);
            let obj = vm.open_elf(&bytes).unwrap();
            for p in programs {
                let (r, _) = obj.verify(&vm, Some(p), false);
                assert!(r.is_ok(), "{file}-{version} {p}: {r:?}");
                obj.load(&vm, Some(p)).unwrap();
            }
        }
    }
}

#[test]
fn the_log_follows_the_path_to_the_rejection() {
    let vm = verifying("interp");
    let program = oxbpf::Program::from_asm(
        "mov %r1, 1\nstw [%r10-4], 0\nldxdw %r0, [%r10-8]\nexit",
        vm.config(),
        vm.helpers(),
    )
    .unwrap();
    let (r, log) = vm.verify_with_log(&program);
    let e = r.unwrap_err();
    assert_eq!(
        e.to_string(),
        "verifier: insn 2: reads fp0-8, a stack byte not written on this path"
    );
    assert_eq!(log.len(), 3);
    assert!(log[2].starts_with("2: ldxdw %r0, [%r10-8]"), "{log:?}");
    assert!(log[2].contains("r1=1"), "{log:?}");
}

#[test]
fn the_loop_policy_is_the_hosts() {
    // A loop to the memory's length, unknown before the run.
    let sum = "mov %r0, 0\nmov %r3, 0\njeq %r2, 0, +6\nmov %r4, %r1\nadd %r4, %r3\n\
               ldxb %r5, [%r4]\nadd %r0, %r5\nadd %r3, 1\njlt %r3, %r2, -6\nexit";
    for b in BACKENDS {
        // Walked to its end (the default), it never ends: too complex.
        let e = verifying(b).load_asm(sum).unwrap_err();
        assert!(
            e.to_string().contains("insn 8: program too complex"),
            "{b}: {e}"
        );
        // Widened, it is safe; its end is left to the instruction budget.
        let mut vm = verifying(b);
        vm.verifier_mut().termination = Termination::Budget;
        let p = vm.load_asm(sum).unwrap();
        assert_eq!(p.execute(&mut [1, 2, 3, 250]), Ok(256), "{b}");
        assert_eq!(p.execute(&mut []), Ok(0), "{b}");
    }
}
