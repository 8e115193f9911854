//! `execute` reuses a stack per thread: zeroed before every run of an unverified program, left
//! as it is for a verified one, which reads only the stack bytes it writes (the soundness test
//! checks that guarantee on random programs).

use oxbpf::{BACKENDS, Config, Vm};

#[test]
fn execute_zeroes_the_reused_stack_unless_the_program_is_verified() {
    let unverified = Config {
        verify: false,
        ..Config::default()
    };
    for backend in BACKENDS {
        let plain = Vm::with_config(backend, unverified.clone()).unwrap();
        // Leaves a pattern in the thread's stack; reads a stack slot it never wrote.
        let dirty = plain
            .load_asm("lddw %r1, 0x1122334455667788\nstxdw [%r10-8], %r1\nmov %r0, 1\nexit")
            .unwrap();
        let peek = plain.load_asm("ldxdw %r0, [%r10-8]\nexit").unwrap();
        assert!(!peek.program().stack_reads_proven());
        // The verifier refuses `peek`; a verified program writes before it reads.
        let verifying = Vm::new(backend).unwrap();
        assert!(verifying.load_asm("ldxdw %r0, [%r10-8]\nexit").is_err());
        let own = verifying
            .load_asm("stdw [%r10-8], 5\nldxdw %r0, [%r10-8]\nadd %r0, 1\nexit")
            .unwrap();
        assert!(own.program().stack_reads_proven());
        for _ in 0..3 {
            assert_eq!(dirty.execute(&mut []), Ok(1), "{backend}");
            // Unverified: zeroed, so the pattern is gone.
            assert_eq!(peek.execute(&mut []), Ok(0), "{backend}");
            assert_eq!(dirty.execute(&mut []), Ok(1), "{backend}");
            // Verified: not zeroed, and the same answer.
            assert_eq!(own.execute(&mut []), Ok(6), "{backend}");
            assert_eq!(peek.execute(&mut []), Ok(0), "{backend}");
        }
    }
}
