//! The "CPU" a program runs on: per-CPU maps keep one value per CPU, and
//! `get_smp_processor_id` reports it.
//!
//! A host thread is given a CPU number the first time it asks, round-robin over
//! [`count`] numbers, and keeps it. Threads beyond that count share numbers; programs that update
//! a shared per-CPU value from such threads at once should use atomic instructions, as programs
//! sharing any map value must.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The number of CPUs per-CPU maps hold values for: the host's available parallelism.
pub fn count() -> u32 {
    static COUNT: OnceLock<u32> = OnceLock::new();
    *COUNT.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX).min(1024))
            .unwrap_or(1)
    })
}

/// The CPU number of the calling thread, below [`count`].
pub fn current() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    thread_local! {
        static CPU: u32 = NEXT.fetch_add(1, Ordering::Relaxed) % count();
    }
    CPU.with(|c| *c)
}
