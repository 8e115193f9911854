//! Each rejection says what kind it is, so a host can tell "unsafe" from "gave up" from what it
//! may allow (leaks, helpers without prototypes).

use oxbpf_core::asm::assemble;
use oxbpf_core::{Arg, Config, HelperRegistry, Program, Proto};
use oxbpf_verifier::{Env, VerifyErrorKind, verify};
use std::sync::Arc;

fn helpers() -> HelperRegistry {
    let mut h = HelperRegistry::new();
    let number = Proto::scalar([Arg::Any, Arg::Unused, Arg::Unused, Arg::Unused, Arg::Unused]);
    h.register_with_proto(7, "take", Some(number), Arc::new(|_, _| Ok(0)));
    h.register(8, "raw", |_, _| Ok(0));
    h
}

fn kind(src: &str, max_steps: Option<u64>) -> VerifyErrorKind {
    let helpers = helpers();
    let program =
        Program::from_insns(assemble(src).unwrap(), &Config::default(), &helpers).unwrap();
    let mut env = Env::new(&helpers);
    if let Some(s) = max_steps {
        env.settings.max_steps = s;
    }
    verify(&program, &env).expect_err(src).kind
}

#[test]
fn an_access_outside_the_stack_is_unsafe() {
    let k = kind("ldxdw %r0, [%r10+8]\nexit", None);
    assert_eq!(k, VerifyErrorKind::Unsafe);
}

#[test]
fn a_pointer_passed_as_a_number_is_a_leak() {
    let k = kind("mov %r1, %r10\ncall 7\nmov %r0, 0\nexit", None);
    assert_eq!(k, VerifyErrorKind::Leak);
}

#[test]
fn a_helper_without_a_prototype_is_named_as_such() {
    assert_eq!(kind("call 8\nexit", None), VerifyErrorKind::UnknownHelper);
    // A call through a register holding a number the verifier does not know (the length).
    assert_eq!(kind("call %r2\nexit", None), VerifyErrorKind::UnknownHelper);
}

#[test]
fn running_out_of_steps_is_too_complex() {
    let src = "mov %r0, 0\nmov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 100, loop\nexit";
    assert_eq!(kind(src, Some(50)), VerifyErrorKind::TooComplex);
}
