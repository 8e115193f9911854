//! What the standard helpers report about the "current task" and where `trace_printk` writes:
//! the host's process by default, or whatever the host sets.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Where `trace_printk` lines go.
pub type TraceSink = Arc<dyn Fn(&str) + Send + Sync>;

/// What `get_stackid` stores: the current call stack, instruction pointers innermost first
/// (empty when there is none, which `get_stackid` reports as `-EFAULT`, as Linux does when it
/// cannot fetch a stack).
pub type StackSource = Arc<dyn Fn() -> Vec<u64> + Send + Sync>;

/// The host environment programs observe through the standard helpers.
#[derive(Clone)]
pub struct HostEnv {
    /// Thread id `get_current_pid_tgid` reports in its low 32 bits.
    pub pid: u32,
    /// Process id it reports in its high 32 bits.
    pub tgid: u32,
    /// User id `get_current_uid_gid` reports in its low 32 bits.
    pub uid: u32,
    /// Group id it reports in its high 32 bits.
    pub gid: u32,
    /// The task name `get_current_comm` copies (NUL-padded, at most 15 bytes and a NUL).
    pub comm: [u8; 16],
    /// Receives each `trace_printk` line (without a trailing newline).
    pub trace: TraceSink,
    /// The stack `get_stackid` stores (by default none).
    pub stack: StackSource,
    /// The cgroup `get_current_cgroup_id` reports, whose cgroup storage `get_local_storage`
    /// hands out (by default 1, the root cgroup's id on cgroup v2).
    pub cgroup_id: u64,
}

impl std::fmt::Debug for HostEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostEnv")
            .field("pid", &self.pid)
            .field("tgid", &self.tgid)
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("comm", &String::from_utf8_lossy(&self.comm))
            .finish_non_exhaustive()
    }
}

/// A `Uid:`/`Gid:` line's real id from `/proc/self/status`, where there is one.
fn proc_id(field: &str) -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// A process's `(pid, uid, gid, comm)`.
type ProcessFacts = (u32, u32, u32, [u8; 16]);

/// This process's ids and name as [`HostEnv::default`] reports them. Read from the system once
/// per process (a fork, with its own pid, reads them again): a VM is created in microseconds,
/// not in the time of three file reads.
fn this_process() -> ProcessFacts {
    static CACHE: std::sync::Mutex<Option<ProcessFacts>> = std::sync::Mutex::new(None);
    let pid = std::process::id();
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match *cache {
        Some(facts) if facts.0 == pid => facts,
        _ => {
            let name = std::env::current_exe()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let facts = (
                pid,
                proc_id("Uid:").unwrap_or(0),
                proc_id("Gid:").unwrap_or(0),
                comm_bytes(&name),
            );
            *cache = Some(facts);
            facts
        }
    }
}

impl Default for HostEnv {
    /// This process: its id as pid and tgid, its real user and group (0 where the system does
    /// not say), its executable's name, and `trace_printk` lines to standard error.
    fn default() -> HostEnv {
        let (pid, uid, gid, comm) = this_process();
        HostEnv {
            pid,
            tgid: pid,
            uid,
            gid,
            comm,
            trace: Arc::new(|line| eprintln!("{line}")),
            stack: Arc::new(Vec::new),
            cgroup_id: 1,
        }
    }
}

/// `name` as a task name: at most 15 bytes, NUL-padded to 16.
pub fn comm_bytes(name: &str) -> [u8; 16] {
    let mut comm = [0u8; 16];
    let n = name.len().min(15);
    comm[..n].copy_from_slice(&name.as_bytes()[..n]);
    comm
}

/// Nanoseconds on a monotonic clock (`ktime_get_ns`), counted from the first call in this
/// process.
pub fn ktime_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A pseudo-random `u32` (`get_prandom_u32`): xorshift per thread, seeded from the clock and the
/// thread; not for cryptography, as in Linux.
pub fn prandom_u32() -> u32 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let local = 0u8;
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
                ^ (&raw const local as u64).rotate_left(32);
            seed | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    })
}
