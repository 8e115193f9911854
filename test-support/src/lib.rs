//! Dev-only: what the tests of several oxbpf crates share — proptest strategies for
//! instructions and programs ([`strategy`]), and, with the `vm` feature, one VM per backend set
//! up alike ([`vms`]) and the soundness property every verified program keeps ([`sound`]), and
//! deterministic randomness for generated inputs ([`rng`]).

pub mod rng;
pub mod strategy;

#[cfg(feature = "vm")]
pub mod sound;
#[cfg(feature = "vm")]
pub mod vms;
