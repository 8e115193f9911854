//! Creating and destroying VMs and their settings: helpers and their prototypes, checks,
//! verification, budget, `lddw` resolvers, the trap reporter.

use crate::ffi;
use crate::handle::{
    CHelper, ErrorPrintf, HostHelper, Inner, LddwHelpers, Shared, VmState, guard, lock, register,
    unregister, with_vm,
};
use crate::proto::OxbpfHelperProto;
use libc::c_char;
use oxbpf::program_type::{SOCK_SIZE, TCP_SOCK_SIZE};
use oxbpf::{
    Config, ContextSize, ContextSpec, HelperContext, HelperRegistry, HelperStop, MissingHelpers,
    Proto, Termination, UnknownHelpers, Vm,
};
use std::collections::BTreeMap;
use std::ffi::{CStr, c_void};
use std::sync::Arc;

/// The backend a name selects and the name it reports.
fn backend_of(name: Option<&str>) -> Option<&'static CStr> {
    match name.unwrap_or("") {
        "" | "jit" | "ubpf" | "llvm" => Some(c"jit"),
        "interp" => Some(c"interp"),
        "aot" => Some(c"aot"),
        _ => None,
    }
}

/// Creates a VM on the backend named `vm_name` (see the header); NULL for an unknown name.
///
/// # Safety
/// A non-NULL `vm_name` must be a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_create(vm_name: *const c_char) -> *mut VmState {
    guard(std::ptr::null_mut(), || {
        let name = if vm_name.is_null() {
            None
        } else {
            // SAFETY: the caller passes a NUL-terminated string.
            match unsafe { ffi::str(vm_name) } {
                Some(n) => Some(n),
                None => return std::ptr::null_mut(),
            }
        };
        let Some(backend) = backend_of(name) else {
            return std::ptr::null_mut();
        };
        // As in ubpf and bpftime: nothing verified, nothing counted.
        let config = Config {
            verify: false,
            count_instructions: false,
            ..Config::default()
        };
        let Ok(vm) = Vm::with_config(backend.to_str().unwrap_or("jit"), config) else {
            return std::ptr::null_mut();
        };
        register(VmState {
            name: backend,
            inner: std::sync::RwLock::new(Inner {
                vm,
                helpers: BTreeMap::new(),
                unwind: None,
                lddw: LddwHelpers::default(),
                code: None,
                open: oxbpf::OpenOptions::default(),
                socket: None,
            }),
            code_gen: std::sync::atomic::AtomicU64::new(0),
            shared: Arc::new(Shared::default()),
        })
    })
}

/// Destroys a VM; NULL and bad handles are ignored.
///
/// # Safety
/// Any pointer value is accepted; no compiled function of this VM may be running or called
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_destroy(vm: *mut VmState) {
    guard((), || {
        unregister(vm);
    })
}

/// The backend's name, a static string; NULL for a bad handle.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_get_vm_name(vm: *mut VmState) -> *const c_char {
    guard(std::ptr::null(), || {
        with_vm(vm, |s| s.name.as_ptr()).unwrap_or(std::ptr::null())
    })
}

/// Turns run-time memory checks on or off for programs loaded afterwards; returns the previous
/// setting.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_toggle_bounds_check(vm: *mut VmState, enable: bool) -> bool {
    guard(false, || {
        with_vm(vm, |s| {
            let mut inner = s.write();
            std::mem::replace(&mut inner.vm.config_mut().bounds_check, enable)
        })
        .unwrap_or(false)
    })
}

/// Turns verification on or off for programs loaded afterwards; returns the previous setting.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_toggle_verify(vm: *mut VmState, enable: bool) -> bool {
    guard(false, || {
        with_vm(vm, |s| {
            let mut inner = s.write();
            std::mem::replace(&mut inner.vm.config_mut().verify, enable)
        })
        .unwrap_or(false)
    })
}

/// Chooses the type of the programs loaded afterwards (see the header): a Linux program type
/// id, 0 for "an ELF program's section decides, raw memory otherwise" (the default), -1 for raw
/// memory always.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_program_type(vm: *mut VmState, program_type: i32) -> i32 {
    guard(-1, || {
        let chosen = match program_type {
            -1 => None,
            0 => Some(None),
            id => match u32::try_from(id).ok().and_then(oxbpf::ProgramType::from_id) {
                Some(t) => Some(Some(t)),
                None => return -1,
            },
        };
        with_vm(vm, |s| {
            let mut inner = s.write();
            match chosen {
                None => {
                    inner.vm.set_program_type(None);
                    inner.vm.use_section_types(false);
                }
                Some(t) => {
                    inner.vm.set_program_type(t);
                    inner.vm.use_section_types(true);
                }
            }
            0
        })
        .unwrap_or(-1)
    })
}

/// Lets verified programs loaded afterwards call helpers without a prototype (the verifier
/// then assumes the worst of each such call), or refuses them again (the default).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_allow_unknown_helpers(vm: *mut VmState, allow: bool) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            s.write().vm.verifier_mut().unknown_helpers = if allow {
                UnknownHelpers::AssumeWorst
            } else {
                UnknownHelpers::Refuse
            };
            0
        })
        .unwrap_or(-1)
    })
}

/// Lets programs loaded afterwards call Linux helpers that neither oxbpf nor the host
/// implements (verified against Linux's prototypes; a call traps naming the helper), or
/// refuses them again (the default).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_trap_missing_helpers(vm: *mut VmState, trap: bool) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            s.write().vm.set_missing_helpers(if trap {
                MissingHelpers::Trap
            } else {
                MissingHelpers::Refuse
            });
            0
        })
        .unwrap_or(-1)
    })
}

/// Lets verified programs loaded afterwards hand pointers to the host (in `r0`, memory, number
/// arguments of helpers), or refuses them again (the default).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_allow_pointer_leaks(vm: *mut VmState, allow: bool) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            s.write().vm.verifier_mut().allow_pointer_leaks = allow;
            0
        })
        .unwrap_or(-1)
    })
}

/// Limits runs of programs loaded afterwards to `budget` instructions (0: unlimited).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_instruction_budget(vm: *mut VmState, budget: u64) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            s.write().vm.config_mut().instruction_budget = (budget != 0).then_some(budget);
            0
        })
        .unwrap_or(-1)
    })
}

/// Turns counting of executed instructions on or off for programs loaded afterwards (off by
/// default; runs with a budget always count); returns the previous setting.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_toggle_instruction_count(vm: *mut VmState, enable: bool) -> bool {
    guard(false, || {
        with_vm(vm, |s| {
            let mut inner = s.write();
            std::mem::replace(&mut inner.vm.config_mut().count_instructions, enable)
        })
        .unwrap_or(false)
    })
}

/// `OXBPF_TERMINATION_PROVEN`: the verifier proves every loop ends.
pub const TERMINATION_PROVEN: i32 = 0;
/// `OXBPF_TERMINATION_BUDGET`: the verifier proves loop bodies safe for any number of
/// iterations; the instruction budget ends runs.
pub const TERMINATION_BUDGET: i32 = 1;

/// Chooses how the verifier makes sure programs loaded afterwards end (see the header).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_termination(vm: *mut VmState, termination: i32) -> i32 {
    guard(-1, || {
        let t = match termination {
            TERMINATION_PROVEN => Termination::Proven,
            TERMINATION_BUDGET => Termination::Budget,
            _ => return -1,
        };
        with_vm(vm, |s| {
            s.write().vm.verifier_mut().termination = t;
            0
        })
        .unwrap_or(-1)
    })
}

/// Sets how many instructions the verifier may process for one program before it refuses it
/// as too complex (0: the default, 1,000,000).
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_verifier_limit(vm: *mut VmState, steps: u64) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            let default = oxbpf::VerifierSettings::default().max_steps;
            s.write().vm.verifier_mut().max_steps = if steps == 0 { default } else { steps };
            0
        })
        .unwrap_or(-1)
    })
}

/// Gives the `extern ... __kconfig` variable `name` of the objects loaded afterwards the value
/// `value`.
///
/// # Safety
/// Any pointer value is accepted for `vm`; a non-NULL `name` must be a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_kconfig(
    vm: *mut VmState,
    name: *const c_char,
    value: u64,
) -> i32 {
    guard(-1, || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let Some(name) = (unsafe { ffi::str(name) }) else {
            return -1;
        };
        with_vm(vm, |s| {
            s.write().open.kconfig(name, value);
            0
        })
        .unwrap_or(-1)
    })
}

/// Sizes the map `map` of the objects loaded afterwards: `max_entries` entries and values of
/// `value_size` bytes (0: the object's).
///
/// # Safety
/// Any pointer value is accepted for `vm`; a non-NULL `map` must be a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_map_size(
    vm: *mut VmState,
    map: *const c_char,
    max_entries: u32,
    value_size: u32,
) -> i32 {
    guard(-1, || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let Some(map) = (unsafe { ffi::str(map) }) else {
            return -1;
        };
        with_vm(vm, |s| {
            let mut inner = s.write();
            if max_entries != 0 {
                inner.open.max_entries(map, max_entries);
            }
            if value_size != 0 {
                inner.open.value_size(map, value_size);
            }
            0
        })
        .unwrap_or(-1)
    })
}

/// Sets the socket `oxbpf_exec_packet` gives programs afterwards (NULL `sock`: none).
///
/// # Safety
/// Any pointer value is accepted for `vm`; a non-NULL `sock` (`tcp`) must point to `sock_len`
/// (`tcp_len`) readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_socket(
    vm: *mut VmState,
    sock: *const c_void,
    sock_len: usize,
    tcp: *const c_void,
    tcp_len: usize,
) -> i32 {
    guard(-1, || {
        let socket = if sock.is_null() {
            None
        } else {
            // SAFETY: the caller guarantees `sock_len` readable bytes at a non-NULL `sock`.
            let sock = unsafe { ffi::bytes(sock.cast(), sock_len) };
            let tcp = if tcp.is_null() {
                Some(&[][..])
            } else {
                // SAFETY: the caller guarantees `tcp_len` readable bytes at a non-NULL `tcp`.
                unsafe { ffi::bytes(tcp.cast(), tcp_len) }
            };
            match (sock, tcp) {
                (Some(s), Some(t))
                    if s.len() <= SOCK_SIZE as usize && t.len() <= TCP_SOCK_SIZE as usize =>
                {
                    Some((s.to_vec(), t.to_vec()))
                }
                _ => return -1,
            }
        };
        with_vm(vm, |s| {
            s.write().socket = socket;
            0
        })
        .unwrap_or(-1)
    })
}

/// The header's `struct oxbpf_range`: bytes `start..end`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OxbpfRange {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// Describes the context of programs loaded afterwards to the verifier (see the header):
/// `size` bytes (0: the length the program gets in r2), writable only in `writable[..count]`
/// (NULL: all of it).
///
/// # Safety
/// A non-NULL `writable` must point to `count` readable ranges.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_set_context(
    vm: *mut VmState,
    size: u32,
    writable: *const OxbpfRange,
    count: usize,
) -> i32 {
    guard(-1, || {
        let ranges = if writable.is_null() {
            None
        } else {
            // SAFETY: checked non-NULL; the caller guarantees `count` readable ranges.
            let ranges = unsafe { std::slice::from_raw_parts(writable, count) };
            let ok = ranges
                .iter()
                .all(|r| r.start <= r.end && (size == 0 || r.end <= size));
            if !ok {
                return -1;
            }
            Some(ranges.iter().map(|r| (r.start, r.end)).collect())
        };
        with_vm(vm, |s| {
            let mut inner = s.write();
            inner.vm.set_program_type(None);
            inner.vm.use_section_types(false);
            inner.vm.verifier_mut().context = ContextSpec {
                size: if size == 0 {
                    ContextSize::InR2
                } else {
                    ContextSize::Fixed(size)
                },
                writable: ranges,
                ..ContextSpec::raw_memory()
            };
            0
        })
        .unwrap_or(-1)
    })
}

/// Sets the trap reporter (NULL: the default, to stderr).
///
/// # Safety
/// A non-NULL `error_printf` must be callable as `printf`-like `(FILE *, const char *, ...)`
/// from any thread that runs the VM's programs, until it is replaced or the VM destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_set_error_print(vm: *mut VmState, error_printf: Option<ErrorPrintf>) {
    guard((), || {
        with_vm(vm, |s| {
            *lock(&s.shared.error_printf) = error_printf;
        });
    })
}

/// Registers the C function `fn_` as helper `index`, without a prototype.
///
/// # Safety
/// A non-NULL `name` must be a NUL-terminated string; a non-NULL `fn_` must be a function of
/// type `uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)`, callable from any
/// thread that runs the VM's programs for as long as programs using it are loaded.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_register(
    vm: *mut VmState,
    index: u32,
    name: *const c_char,
    fn_: *mut c_void,
) -> i32 {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        unsafe { register_helper(vm, index, name, fn_, None) }
    })
}

/// Registers the C function `fn_` as helper `index` with the prototype `*proto` (NULL: none, as
/// [`ebpf_register`]); -1 for an unknown argument or return code.
///
/// # Safety
/// As [`ebpf_register`]; a non-NULL `proto` must point to a readable
/// `struct oxbpf_helper_proto`, and `fn_` must touch no memory but what its prototype lets it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_register_helper(
    vm: *mut VmState,
    index: u32,
    name: *const c_char,
    fn_: *mut c_void,
    proto: *const OxbpfHelperProto,
) -> i32 {
    guard(-1, || {
        let proto = if proto.is_null() {
            None
        } else {
            // SAFETY: checked non-NULL; the caller guarantees it points to a readable struct.
            match unsafe { proto.read() }.to_proto() {
                Some(p) => Some(p),
                None => return -1,
            }
        };
        // SAFETY: forwarded from the caller.
        unsafe { register_helper(vm, index, name, fn_, proto) }
    })
}

/// The body of [`ebpf_register`] and [`oxbpf_register_helper`]: registers `fn_` as helper
/// `index` named `name` (NULL: `helper_<index>`) with `proto`, replacing any helper with that
/// index or name.
///
/// # Safety
/// As [`ebpf_register`].
unsafe fn register_helper(
    vm: *mut VmState,
    index: u32,
    name: *const c_char,
    fn_: *mut c_void,
    proto: Option<Proto>,
) -> i32 {
    if fn_.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees `fn_` has the helper signature.
    let func = unsafe { std::mem::transmute::<*mut c_void, CHelper>(fn_) };
    let name = if name.is_null() {
        format!("helper_{index}")
    } else {
        // SAFETY: the caller passes a NUL-terminated string.
        match unsafe { ffi::str(name) } {
            Some(n) => n.to_owned(),
            None => return -1,
        }
    };
    with_vm(vm, |s| {
        let mut inner = s.write();
        inner.helpers.retain(|&id, h| id == index || h.name != name);
        inner
            .helpers
            .insert(index, HostHelper { name, func, proto });
        sync_helpers(&mut inner);
        0
    })
    .unwrap_or(-1)
}

/// Removes helper `index`.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_unregister(vm: *mut VmState, index: u32) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            let mut inner = s.write();
            let had = inner.helpers.remove(&index).is_some();
            sync_helpers(&mut inner);
            if had { 0 } else { -1 }
        })
        .unwrap_or(-1)
    })
}

/// Helper `idx` ends the program (with r0 = 0) when it returns 0.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_set_unwind_function_index(vm: *mut VmState, idx: u32) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| {
            let mut inner = s.write();
            inner.unwind = Some(idx);
            sync_helpers(&mut inner);
            0
        })
        .unwrap_or(-1)
    })
}

/// Accepted for compatibility (see the header); -1 once code is loaded.
///
/// # Safety
/// Any pointer value is accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_set_pointer_secret(vm: *mut VmState, _secret: u64) -> i32 {
    guard(-1, || {
        with_vm(vm, |s| if s.read().code.is_some() { -1 } else { 0 }).unwrap_or(-1)
    })
}

/// Sets the host's `lddw` resolvers.
///
/// # Safety
/// Each non-NULL function must be callable with its signature while programs load.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_set_lddw_helpers(
    vm: *mut VmState,
    map_by_fd: Option<unsafe extern "C" fn(u32) -> u64>,
    map_by_idx: Option<unsafe extern "C" fn(u32) -> u64>,
    map_val: Option<unsafe extern "C" fn(u64) -> u64>,
    var_addr: Option<unsafe extern "C" fn(u32) -> u64>,
    code_addr: Option<unsafe extern "C" fn(u32) -> u64>,
) {
    guard((), || {
        with_vm(vm, |s| {
            s.write().lddw = LddwHelpers {
                map_by_fd,
                map_by_idx,
                map_val,
                var_addr,
                code_addr,
            };
        });
    })
}

/// Rebuilds the VM's helper registry from the C helpers, their prototypes and the unwind
/// index.
fn sync_helpers(inner: &mut Inner) {
    let mut registry = HelperRegistry::new();
    for (&id, h) in &inner.helpers {
        let f = h.func;
        let unwind = inner.unwind == Some(id);
        let func = move |_: &mut HelperContext<'_, '_>, [a, b, c, d, e]: [u64; 5]| {
            // SAFETY: the caller of `ebpf_register` or `oxbpf_register_helper` guarantees `f`
            // has this signature and stays callable while programs using it are loaded.
            let r0 = unsafe { f(a, b, c, d, e) };
            if unwind && r0 == 0 {
                Err(HelperStop::Exit(0))
            } else {
                Ok(r0)
            }
        };
        registry.register_with_proto(id, &h.name, h.proto, Arc::new(func));
    }
    *inner.vm.helpers_mut() = registry;
}
