//! A backend's refusal to prepare a program says what kind it is, on every backend.

use oxbpf::{BACKENDS, Config, HelperRegistry, PrepareErrorKind, Program, asm, backend};
use std::sync::Arc;

#[test]
fn a_helper_missing_at_prepare_is_an_unknown_helper_on_every_backend() {
    // Checked against a registry that has helper 9, prepared with one that does not.
    let mut with = HelperRegistry::new();
    with.register(9, "nine", |_, _| Ok(9));
    let insns = asm::assemble("call 9\nexit").unwrap();
    let program = Arc::new(Program::from_insns(insns, &Config::default(), &with).unwrap());
    for name in BACKENDS {
        let b = backend(name).unwrap();
        let Err(e) = b.prepare(program.clone(), Arc::new(HelperRegistry::new())) else {
            panic!("{name}: prepared a call of a helper it does not have");
        };
        assert_eq!(e.kind, PrepareErrorKind::UnknownHelper, "{name}: {e}");
        assert!(
            e.to_string().contains("helper 9 is not registered"),
            "{name}: {e}"
        );
        // With the helper, the same program prepares and runs.
        let exe = b.prepare(program.clone(), Arc::new(with.clone())).unwrap();
        assert_eq!(exe.execute(&mut []).result, Ok(9), "{name}");
    }
}
