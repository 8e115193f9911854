//! An AOT object written by `oxbpf aot` and checked in (`tests/fixtures/aot/`, rebuilt by its
//! `build.sh`) loads with `Vm::load_aot` and runs to its known answer, with or without the `jit`
//! feature: running compiled code needs no compiler.
//!
//! The object is refused on another architecture or a machine without the CPU features it
//! records (none: it is compiled for baseline x86_64), and by another oxbpf version or AOT format.
//! The first two are this machine's business: the test says why and skips. The last two mean the
//! fixture is stale (a version bump, a format change): the test prints the command that rebuilds
//! it and skips, except under `CI=true`, where a stale fixture is a failure, so that it gets
//! rebuilt rather than skipped forever.

use oxbpf::aot::{self, AotError};
use oxbpf::{Error, Vm};

/// `examples/primes.s`, compiled by `oxbpf aot --target x86_64`.
const FIXTURE: &[u8] = include_bytes!("fixtures/aot/primes-x86_64.o");
/// What `examples/primes.s` returns: the number of primes below 100.
const PRIMES_BELOW_100: u64 = 0x19;
/// The command that rebuilds the fixture.
const REBUILD: &str = "sh tests/fixtures/aot/build.sh";

/// Skips (returning `true`) when the fixture cannot run here, or fails under `CI=true` when it is
/// stale; panics on any other error.
fn skipped(e: &Error) -> bool {
    match e {
        Error::Aot(e @ (AotError::Architecture { .. } | AotError::CpuFeature(_))) => {
            eprintln!("skipped: the AOT fixture cannot run on this machine: {e}");
            true
        }
        Error::Aot(e @ (AotError::Version { .. } | AotError::Format { .. })) => {
            let message = format!("the AOT fixture is stale ({e}): rebuild it with `{REBUILD}`");
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "{message}");
            eprintln!("skipped: {message}");
            true
        }
        other => panic!("the AOT fixture does not load: {other}"),
    }
}

#[test]
fn the_checked_in_object_loads_and_runs_to_its_answer() {
    let vm = Vm::new("interp").unwrap();
    match vm.load_aot(FIXTURE) {
        Ok(loaded) => assert_eq!(loaded.execute(&mut []), Ok(PRIMES_BELOW_100)),
        Err(e) => assert!(skipped(&e)),
    }
}

#[test]
fn the_object_records_no_cpu_feature_and_embeds_its_program() {
    let header = match aot::inspect(FIXTURE) {
        Ok(header) => header,
        Err(e) => {
            assert!(skipped(&Error::Aot(e)));
            return;
        }
    };
    assert_eq!(header.arch, "x86_64");
    // Compiled for baseline x86_64, not for the machine that wrote it (`--target x86_64`).
    assert!(header.features.is_empty(), "{:?}", header.features);
    // The embedded program, on the interpreter, on any machine.
    let vm = Vm::new("interp").unwrap();
    let program = aot::program_of(FIXTURE, vm.helpers()).unwrap();
    let loaded = vm.load_program(program).unwrap();
    assert_eq!(loaded.execute(&mut []), Ok(PRIMES_BELOW_100));
}

/// Without the `jit` feature there is no compiler: only the interpreter is a backend.
#[cfg(not(feature = "jit"))]
#[test]
fn without_jit_only_the_interpreter_is_a_backend() {
    assert_eq!(oxbpf::BACKENDS, ["interp"]);
    for name in ["jit", "aot"] {
        assert!(oxbpf::backend(name).is_none(), "{name}");
        assert!(matches!(Vm::new(name), Err(Error::UnknownBackend(_))));
    }
}
