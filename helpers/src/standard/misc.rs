//! Time, randomness, the current CPU and task, and the `bpf_loop` fallback.

use super::maps::write;
use super::{EINVAL, Env, neg};
use oxbpf_core::{HelperContext, HelperResult, HelperStop};

/// `ktime_get_ns()`.
pub(crate) fn ktime_get_ns(_: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(crate::env::ktime_ns())
}

/// `get_prandom_u32()`.
pub(crate) fn prandom(_: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(u64::from(crate::env::prandom_u32()))
}

/// `get_smp_processor_id()`.
pub(crate) fn processor_id(_: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(u64::from(crate::cpu::current()))
}

/// `get_current_cgroup_id()`: the host's [`cgroup_id`](crate::HostEnv::cgroup_id).
pub(crate) fn cgroup_id(env: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(env.host.cgroup_id)
}

/// `get_current_pid_tgid()`: tgid in the high 32 bits, pid in the low.
pub(crate) fn pid_tgid(env: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(u64::from(env.host.tgid) << 32 | u64::from(env.host.pid))
}

/// `get_current_uid_gid()`: gid in the high 32 bits, uid in the low.
pub(crate) fn uid_gid(env: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Ok(u64::from(env.host.gid) << 32 | u64::from(env.host.uid))
}

/// `get_current_comm(buf, size)`: the task name, NUL-terminated and truncated to `size`.
pub(crate) fn comm(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let size = a[1] as u32 as usize;
    if size == 0 {
        return Ok(neg(EINVAL));
    }
    let mut out = vec![0u8; size];
    let n = (size - 1).min(15);
    out[..n].copy_from_slice(&env.host.comm[..n]);
    write(hc, "buf", a[0], &out)?;
    Ok(0)
}

/// `loop(nr_loops, callback, ctx, flags)` reached at run time: the loader turns every call
/// whose callback it can see into a loop in the program, so this one cannot be served.
pub(crate) fn bpf_loop(_: &Env, _: &mut HelperContext<'_, '_>, _: [u64; 5]) -> HelperResult {
    Err(HelperStop::Error(
        "bpf_loop needs its callback loaded by `lddw r2, <function>` in the calling block".into(),
    ))
}
