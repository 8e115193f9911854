//! How runs end: recording the last trap, reporting it, and telling the host.

use crate::handle::{Shared, VmState, guard, lock, with_vm};
use libc::c_char;
use oxbpf::{Access, Trap, TrapCode, TrapKind};
use std::ffi::CString;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;

unsafe extern "C" {
    /// The C library's standard error stream.
    #[cfg_attr(target_vendor = "apple", link_name = "__stderrp")]
    static stderr: *mut libc::FILE;
}

/// Records how a run ended and reports a trap; `Some(r0)` for a normal end. A normal end with
/// no trap on record changes nothing, and is decided here, inline.
#[inline(always)]
pub(crate) fn finish_run(shared: &Shared, result: Result<u64, Trap>) -> Option<u64> {
    match result {
        Ok(r0) if !shared.trapped.load(Ordering::Relaxed) => Some(r0),
        other => record_end(shared, other),
    }
}

/// [`finish_run`] when a trap is recorded or forgotten.
#[cold]
#[inline(never)]
fn record_end(shared: &Shared, result: Result<u64, Trap>) -> Option<u64> {
    match result {
        Ok(r0) => {
            if shared.trapped.load(Ordering::Relaxed) {
                *lock(&shared.last_trap) = None;
                shared.trapped.store(false, Ordering::Relaxed);
            }
            Some(r0)
        }
        Err(trap) => {
            report(shared, &trap);
            *lock(&shared.last_trap) = Some(trap);
            shared.trapped.store(true, Ordering::Relaxed);
            None
        }
    }
}

/// Writes `trap` through the host's reporter, or to stderr.
fn report(shared: &Shared, trap: &Trap) {
    report_line(shared, &format!("ebpf: {trap}"));
}

/// Writes one line through the host's reporter, or to stderr.
pub(crate) fn report_line(shared: &Shared, line: &str) {
    match *lock(&shared.error_printf) {
        Some(printf) => {
            let text = CString::new(line.replace('\0', " ")).unwrap_or_default();
            // SAFETY: `ebpf_set_error_print`'s caller guarantees a printf-like function; the
            // format consumes exactly the one string argument passed; `stderr` is the C
            // library's stream.
            unsafe { printf(stderr, c"%s\n".as_ptr(), text.as_ptr()) };
        }
        None => eprintln!("{line}"),
    }
}

/// The header's `struct oxbpf_trap`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OxbpfTrap {
    /// The trap code (0: none).
    pub code: u32,
    /// For out-of-bounds accesses: 1 for a store.
    pub write: u32,
    /// The instruction index.
    pub pc: u64,
    /// The address involved.
    pub addr: u64,
    /// The access size.
    pub len: u64,
    /// The helper id involved.
    pub helper: u64,
}

impl From<&Trap> for OxbpfTrap {
    fn from(t: &Trap) -> OxbpfTrap {
        let mut out = OxbpfTrap {
            code: t.code() as u32,
            pc: t.pc as u64,
            ..OxbpfTrap::default()
        };
        match &t.kind {
            TrapKind::OutOfBounds { addr, len, access } => {
                out.addr = *addr;
                out.len = *len;
                out.write = u32::from(*access == Access::Write);
            }
            TrapKind::UnknownHelper { id } => out.helper = *id,
            TrapKind::HelperError { id, .. } => out.helper = u64::from(*id),
            TrapKind::UnalignedAtomic { addr } => out.addr = *addr,
            TrapKind::BudgetExhausted | TrapKind::CallDepthExceeded => {}
        }
        out
    }
}

/// Stores how the VM's last run ended (see the header).
///
/// # Safety
/// A non-NULL `trap` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_last_trap(vm: *const VmState, trap: *mut OxbpfTrap) -> i32 {
    guard(-1, || {
        if trap.is_null() {
            return -1;
        }
        with_vm(vm, |s| {
            let last = lock(&s.shared.last_trap).as_ref().map(OxbpfTrap::from);
            // SAFETY: checked non-NULL; the caller guarantees it is writable.
            unsafe { trap.write(last.unwrap_or_default()) };
            i32::from(last.is_some())
        })
        .unwrap_or(-1)
    })
}

/// The trap table's messages as C strings, by code.
static MESSAGES: LazyLock<Vec<(u32, CString)>> = LazyLock::new(|| {
    TrapCode::ALL
        .iter()
        .map(|&c| (c as u32, CString::new(c.message()).unwrap_or_default()))
        .collect()
});

/// A short description of a trap code, a static string.
#[unsafe(no_mangle)]
pub extern "C" fn oxbpf_trap_message(code: u32) -> *const c_char {
    guard(c"unknown trap code".as_ptr(), || {
        if code == 0 {
            return c"no trap".as_ptr();
        }
        MESSAGES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(c"unknown trap code".as_ptr(), |(_, m)| m.as_ptr())
    })
}
