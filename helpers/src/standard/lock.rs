//! `bpf_spin_lock` and `bpf_spin_unlock`: the 4-byte `struct bpf_spin_lock` of a map value,
//! taken by an atomic compare-and-exchange from 0 to 1 and released by an atomic store of 0,
//! so that programs on several threads exclude each other as on several CPUs in Linux.
//!
//! A verified program holds one lock at a time, calls nothing while it holds it and releases
//! it before it exits, so a lock is never held for long. An unverified program may exit
//! holding one; a later run waiting for it gives up after [`WAIT`] with a helper error
//! instead of spinning forever.

use super::Env;
use oxbpf_core::isa::Size;
use oxbpf_core::memory::AtomicRmw;
use oxbpf_core::{HelperContext, HelperResult, HelperStop};
use std::time::{Duration, Instant};

/// How long `bpf_spin_lock` waits for a lock before it fails the run.
const WAIT: Duration = Duration::from_secs(2);

/// `bpf_spin_lock(lock)`.
pub(crate) fn take(_: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let addr = a[0];
    let mut since: Option<Instant> = None;
    let mut spins = 0u32;
    loop {
        match hc.memory.atomic(addr, Size::W, AtomicRmw::CmpXchg(0), 1) {
            Ok(0) => return Ok(0),
            Ok(_) => {}
            Err(f) => return Err(HelperStop::Error(format!("bpf_spin_lock: {f}"))),
        }
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
            continue;
        }
        let start = *since.get_or_insert_with(Instant::now);
        if start.elapsed() > WAIT {
            return Err(HelperStop::Error(format!(
                "bpf_spin_lock: the lock stayed taken for {WAIT:?} (a run that took it never \
                 released it)"
            )));
        }
        std::thread::yield_now();
    }
}

/// `bpf_spin_unlock(lock)`.
pub(crate) fn release(_: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    match hc.memory.atomic(a[0], Size::W, AtomicRmw::Xchg, 0) {
        Ok(_) => Ok(0),
        Err(f) => Err(HelperStop::Error(format!("bpf_spin_unlock: {f}"))),
    }
}
