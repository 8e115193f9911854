//! Every workload through the C API, as a C host reaches it: `ebpf_create("jit")` (and
//! `"interp"`), `ebpf_load`, then each call through `ebpf_compile`'s function (`compiled`) and
//! through `ebpf_exec` (`exec-jit`, `exec-interp`), with the C API's defaults (bounds checks on,
//! no verification, no counting) and verified (`compiled-verified`: the checks of accesses
//! proven in bounds dropped), beside the same C compiled natively; and `ebpf_create` +
//! `ebpf_load` + `ebpf_compile` + `ebpf_destroy` per workload (`load-compile`).
//!
//! Run: `cargo bench -p oxbpf-bench --bench capi` (add `-- NAME` to filter, e.g. `-- const/`).
//! BENCHMARKS.md turns the times into ratios.
#![expect(unsafe_code, reason = "calls the C API")]

use criterion::{Criterion, criterion_group, criterion_main};
use oxbpf_bench::{WORKLOADS, Workload};
use oxbpf_capi::{
    VmState, ebpf_compile, ebpf_create, ebpf_destroy, ebpf_exec, ebpf_load, oxbpf_set_termination,
    oxbpf_toggle_verify,
};
use std::hint::black_box;
use std::time::Duration;

/// The function `ebpf_compile` returns.
type JitFn = unsafe extern "C" fn(*mut u8, usize) -> u64;

/// A VM on `backend` holding `w`'s program, verified (with `Budget` termination: the loops run
/// over the memory's length) when `verify` is set.
fn loaded(backend: &std::ffi::CStr, w: &Workload, verify: bool) -> *mut VmState {
    // SAFETY: every pointer passed is valid for the call; `errmsg` NULL is allowed.
    unsafe {
        let vm = ebpf_create(backend.as_ptr());
        assert!(!vm.is_null());
        if verify {
            oxbpf_toggle_verify(vm, true);
            assert_eq!(oxbpf_set_termination(vm, oxbpf_capi::TERMINATION_BUDGET), 0);
        }
        let rc = ebpf_load(
            vm,
            w.bytecode.as_ptr(),
            w.bytecode.len() as u32,
            std::ptr::null_mut(),
        );
        assert_eq!(rc, 0, "{} loads", w.name);
        vm
    }
}

/// `ebpf_compile`'s function for the program loaded in `vm`.
fn compiled(vm: *mut VmState) -> JitFn {
    // SAFETY: `vm` is live; `errmsg` NULL is allowed.
    unsafe { ebpf_compile(vm, std::ptr::null_mut()) }.expect("the program compiles")
}

fn workloads(c: &mut Criterion) {
    for w in WORKLOADS {
        let mut group = c.benchmark_group(format!("capi/{}", w.name));
        let input = (w.input)();
        let mut mem = input.clone();
        let expected = w.run_native(&mut mem);
        group.bench_function("native", |b| {
            b.iter(|| {
                mem.copy_from_slice(&input);
                black_box(w.run_native(black_box(&mut mem)))
            })
        });
        let jit = loaded(c"jit", w, false);
        let verified = loaded(c"jit", w, true);
        for (id, vm) in [("compiled", jit), ("compiled-verified", verified)] {
            let f = compiled(vm);
            // SAFETY: the workloads stay inside their input (see `Workload::run_native`).
            let call = |mem: &mut [u8]| unsafe { f(mem.as_mut_ptr(), mem.len()) };
            mem.copy_from_slice(&input);
            assert_eq!(call(&mut mem), expected, "{id}");
            group.bench_function(id, |b| {
                b.iter(|| {
                    mem.copy_from_slice(&input);
                    black_box(call(black_box(&mut mem)))
                })
            });
        }
        let interp = loaded(c"interp", w, false);
        for (id, vm) in [("exec-jit", jit), ("exec-interp", interp)] {
            let mut r0 = 0u64;
            // SAFETY: `vm` is live; `mem` and `r0` are valid for the call.
            let exec = |mem: &mut [u8], r0: &mut u64| unsafe {
                ebpf_exec(vm, mem.as_mut_ptr(), mem.len(), r0)
            };
            mem.copy_from_slice(&input);
            assert_eq!((exec(&mut mem, &mut r0), r0), (0, expected), "{id}");
            // The interpreter's copy and strcmp take tens of milliseconds a run.
            if id == "exec-interp" && input.len() > 1 << 16 {
                group.sample_size(10);
            }
            group.bench_function(id, |b| {
                b.iter(|| {
                    mem.copy_from_slice(&input);
                    black_box(exec(black_box(&mut mem), &mut r0));
                    black_box(r0)
                })
            });
        }
        group.finish();
        // SAFETY: no function of these VMs is called afterwards.
        unsafe {
            for vm in [jit, verified, interp] {
                ebpf_destroy(vm);
            }
        }
    }
}

/// Creating a VM, loading a workload and compiling it, as a C host does once per program.
fn load_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("capi/load-compile");
    for w in WORKLOADS {
        group.bench_function(w.name, |b| {
            b.iter(|| {
                let vm = loaded(c"jit", w, false);
                black_box(compiled(vm));
                // SAFETY: the function is not called afterwards.
                unsafe { ebpf_destroy(vm) };
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = workloads, load_compile
}
criterion_main!(benches);
