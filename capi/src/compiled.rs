//! Programs as native functions: `ebpf_compile`, AOT objects out (`ebpf_aot_compile`) and in
//! (`ebpf_load_aot_object`).

use crate::ffi;
use crate::handle::{Compiled, Inner, Shared, VmState, guard, with_vm};
use crate::load::install;
use crate::trap::{finish_run, report_line};
use libc::c_char;
use oxbpf::{Executable, Target, Trap, aot};
use oxbpf_cranelift::thunk::{RunReport, Thunk, ThunkFn};
use std::ffi::c_void;
use std::sync::Arc;

/// What a thunk's state points to: the program to run and where its runs end up.
pub(crate) struct Bound {
    exe: Arc<dyn Executable>,
    shared: Arc<Shared>,
}

/// The function every thunk calls.
///
/// # Safety
/// `state` must point to a live [`Bound`]; a non-NULL `mem` to `len` writable bytes not
/// accessed by anyone else during the run.
unsafe extern "C" fn run_bound(state: *const c_void, mem: *mut u8, len: usize) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: the thunk was built with a pointer to a `Bound` kept alive (in `Compiled`)
        // as long as the thunk, and the host calls it only while the code is loaded.
        let bound = unsafe { &*(state as *const Bound) };
        // SAFETY: the host passes `len` writable, unaliased bytes at a non-NULL `mem`.
        let Some(mem) = (unsafe { ffi::bytes_mut(mem, len) }) else {
            report_line(
                &bound.shared,
                "ebpf: memory is NULL but its length is not 0",
            );
            return u64::MAX;
        };
        finish_run(&bound.shared, bound.exe.run(mem)).unwrap_or(u64::MAX)
    })
}

/// A direct thunk's trap path: records and reports `trap`; the function returns `UINT64_MAX`.
///
/// # Safety
/// `state` must point to a live [`Shared`].
unsafe fn direct_trapped(state: *const c_void, trap: Trap) -> u64 {
    guard(u64::MAX, || {
        // SAFETY: the thunk was built with the address of the `Shared` its `Bound` keeps alive.
        let shared = unsafe { &*(state as *const Shared) };
        finish_run(shared, Err(trap));
        u64::MAX
    })
}

/// A direct thunk's path after a normal run while a trap is on record: forgets the trap.
///
/// # Safety
/// As [`direct_trapped`].
unsafe fn direct_clean(state: *const c_void) {
    guard((), || {
        // SAFETY: as in `direct_trapped`.
        let shared = unsafe { &*(state as *const Shared) };
        finish_run(shared, Ok(0));
    })
}

/// A native function running `exe`, kept with the VM's code: the program's direct entry with
/// its stack in the caller's frame when it has one (one call of compiled code per run), the
/// general path otherwise.
fn bind(
    inner: &mut Inner,
    shared: &Arc<Shared>,
    exe: Arc<dyn Executable>,
) -> Result<ThunkFn, String> {
    let bound = Arc::new(Bound {
        exe,
        shared: shared.clone(),
    });
    let report = RunReport {
        on_trap: direct_trapped,
        trapped: &raw const bound.shared.trapped,
        on_clean_run: direct_clean,
        state: Arc::as_ptr(&bound.shared) as *const c_void,
    };
    // SAFETY: `bound`, kept with the thunk in `Compiled`, holds the executable and the
    // `Shared` whose flag and address the report holds; both handlers accept any thread.
    let thunk = match unsafe { Thunk::direct(&*bound.exe, report) } {
        Some(thunk) => thunk?,
        None => Thunk::new(run_bound, Arc::as_ptr(&bound) as *const c_void)?,
    };
    let function = thunk.function();
    let code = inner.code.as_mut().ok_or("no code is loaded")?;
    code.compiled.push(Compiled {
        thunk,
        _bound: bound,
    });
    Ok(function)
}

/// The loaded program as a native function (see the header).
///
/// # Safety
/// A non-NULL `errmsg` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_compile(
    vm: *mut VmState,
    errmsg: *mut *mut c_char,
) -> Option<ThunkFn> {
    guard(None, || {
        let result = with_vm(vm, |s| {
            let mut inner = s.write();
            let code = inner.code.as_ref().ok_or("no code is loaded")?;
            if let Some(c) = code.compiled.first() {
                return Ok(c.thunk.function());
            }
            let exe = if s.name == c"interp" {
                let jit = code.loaded.prepare_on("jit").map_err(|e| e.to_string())?;
                jit.shared_executable()
            } else {
                code.loaded.shared_executable()
            };
            bind(&mut inner, &s.shared, exe)
        })
        .unwrap_or_else(|| Err("not a live VM handle".to_owned()));
        let mut function = None;
        // SAFETY: the caller guarantees a non-NULL `errmsg` is writable.
        unsafe {
            ffi::report(errmsg, result, |f| {
                function = Some(f);
                0
            })
        };
        function
    })
}

/// Compiles the loaded program to a native object (see the header).
///
/// # Safety
/// Non-NULL `object`, `object_len` and `errmsg` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_aot_compile(
    vm: *mut VmState,
    object: *mut *mut u8,
    object_len: *mut usize,
    errmsg: *mut *mut c_char,
) -> i32 {
    guard(-1, || {
        let result = with_vm(vm, |s| {
            if object.is_null() || object_len.is_null() {
                return Err("object or object_len is NULL".to_owned());
            }
            let inner = s.read();
            let code = inner.code.as_ref().ok_or("no code is loaded")?;
            let bytes =
                aot::compile(code.loaded.program(), Target::Host).map_err(|e| e.to_string())?;
            let copy = ffi::malloc_copy(&bytes);
            if copy.is_null() {
                return Err("out of memory".to_owned());
            }
            // SAFETY: both checked non-NULL; the caller guarantees they are writable.
            unsafe {
                object.write(copy);
                object_len.write(bytes.len());
            }
            Ok(())
        })
        .unwrap_or_else(|| Err("not a live VM handle".to_owned()));
        // SAFETY: the caller guarantees a non-NULL `errmsg` is writable.
        unsafe { ffi::report(errmsg, result, |()| 0) }
    })
}

/// Loads an AOT object and returns it as a native function (see the header).
///
/// # Safety
/// A non-NULL `buf` must point to `buf_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_load_aot_object(
    vm: *mut VmState,
    buf: *const u8,
    buf_len: usize,
) -> Option<ThunkFn> {
    guard(None, || {
        // SAFETY: the caller guarantees `buf_len` readable bytes at a non-NULL `buf`.
        let bytes = unsafe { ffi::bytes(buf, buf_len) };
        with_vm(vm, |s| {
            let mut inner = s.write();
            let result = (|| {
                if inner.code.is_some() {
                    return Err(
                        "code is already loaded into this VM: call ebpf_unload_code first"
                            .to_owned(),
                    );
                }
                let bytes = bytes.ok_or("AOT object is NULL")?;
                let loaded = inner.vm.load_aot(bytes).map_err(|e| e.to_string())?;
                let exe = loaded.shared_executable();
                install(&mut inner, loaded);
                bind(&mut inner, &s.shared, exe).inspect_err(|_| inner.code = None)
            })();
            result
                .inspect_err(|e| report_line(&s.shared, &format!("ebpf: {e}")))
                .ok()
        })
        .flatten()
    })
}
