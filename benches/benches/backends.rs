//! Every workload on interp, jit and aot (without instruction counting, like rbpf and native
//! code), on jit with counting (`jit-counted`), without bounds checks (`jit-unchecked`, as
//! rbpf's JIT runs) and verified (`jit-verified`, `aot-verified`: the checks of accesses proven
//! in bounds dropped; `jit-direct`, `aot-direct`: that code called through its direct entry, as a
//! native function), on the `rbpf` crate (interpreter and JIT) and natively; the per-call cost
//! of a 2-instruction program; compile (prepare) time per backend; loading an AOT object;
//! verification time per workload and for a 100,000-instruction program (`verify/*`).
//!
//! Run: `cargo bench -p oxbpf-bench --bench backends` (add `-- NAME` to filter, e.g. `-- copy/`).
//! BENCHMARKS.md turns the times into ratios.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use oxbpf::{StackBuffer, Vm};
use oxbpf_bench::{WORKLOADS, config, long_program, verifying_vm, workload};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// rbpf does not pass the memory length in r2: prepend `mov32 r2, LEN` for it.
fn with_len_in_r2(bytecode: &[u8], len: usize) -> Vec<u8> {
    let mut p = vec![0xb4, 0x02, 0, 0];
    p.extend_from_slice(&(len as u32).to_le_bytes());
    p.extend_from_slice(bytecode);
    p
}

fn workloads(c: &mut Criterion) {
    for w in WORKLOADS {
        let mut group = c.benchmark_group(w.name);
        let input = (w.input)();
        let mut mem = input.clone();
        let expected = w.run_native(&mut mem);
        group.bench_function("native", |b| {
            b.iter(|| {
                mem.copy_from_slice(&input);
                black_box(w.run_native(black_box(&mut mem)))
            })
        });
        // Every entry of the group restores the input first; this is that cost alone.
        group.bench_function("input-reset", |b| {
            b.iter(|| {
                mem.copy_from_slice(&input);
                black_box(&mut mem);
            })
        });
        let unchecked = oxbpf::Config {
            bounds_check: false,
            ..config(false)
        };
        let runs = oxbpf::BACKENDS
            .iter()
            .map(|&b| (b, b, config(false)))
            .chain([
                ("jit", "jit-counted", config(true)),
                ("jit", "jit-unchecked", unchecked),
            ]);
        for (backend, id, cfg) in runs {
            let vm = Vm::with_config(backend, cfg).unwrap();
            let prog = vm.load_bytes(w.bytecode).unwrap();
            let exe = prog.executable();
            let mut stack = StackBuffer::new(prog.program().config().stack_size());
            assert_eq!(exe.execute_on(&mut mem, &mut stack).result, Ok(expected));
            group.bench_function(id, |b| {
                b.iter(|| {
                    mem.copy_from_slice(&input);
                    black_box(exe.execute_on(black_box(&mut mem), &mut stack))
                })
            });
        }
        // Verified: accesses proven in bounds lose their checks.
        for backend in ["jit", "aot"] {
            let vm = verifying_vm(backend);
            let prog = vm.load_bytes(w.bytecode).unwrap();
            let exe = prog.executable();
            let mut stack = StackBuffer::new(prog.program().config().stack_size());
            assert_eq!(exe.execute_on(&mut mem, &mut stack).result, Ok(expected));
            group.bench_function(format!("{backend}-verified"), |b| {
                b.iter(|| {
                    mem.copy_from_slice(&input);
                    black_box(exe.execute_on(black_box(&mut mem), &mut stack))
                })
            });
            // The same code called as a native function, as C hosts call `ebpf_compile`'s: `r0`,
            // or `u64::MAX` for a trap (a `u64` kept, as the native variant keeps its result).
            let entry = prog.native_entry().expect("workloads have direct entries");
            group.bench_function(format!("{backend}-direct"), |b| {
                b.iter(|| {
                    mem.copy_from_slice(&input);
                    let r = entry.call_on(black_box(&mut mem), &mut stack);
                    black_box(r.unwrap_or(u64::MAX))
                })
            });
        }
        let rprog = with_len_in_r2(w.bytecode, input.len());
        let mut rvm = rbpf::EbpfVmRaw::new(Some(&rprog)).unwrap();
        assert_eq!(rvm.execute_program(&mut mem).unwrap(), expected);
        group.bench_function("rbpf-interp", |b| {
            b.iter(|| {
                mem.copy_from_slice(&input);
                black_box(rvm.execute_program(black_box(&mut mem)).unwrap())
            })
        });
        rvm.jit_compile().unwrap();
        group.bench_function("rbpf-jit", |b| {
            b.iter(|| {
                mem.copy_from_slice(&input);
                // SAFETY: rbpf's JIT runs the program on `mem`, which outlives the call; the
                // workloads stay inside it (their results match the native build above).
                #[expect(unsafe_code, reason = "rbpf's JIT entry is unsafe")]
                black_box(unsafe { rvm.execute_program_jit(black_box(&mut mem)) }.unwrap())
            })
        });
        group.finish();
    }
}

/// The cost of one call of `mov r0, 42; exit` (the `const` workload), nothing else.
fn call_overhead(c: &mut Criterion) {
    let w = workload("const").unwrap();
    let mut group = c.benchmark_group("call");
    for backend in oxbpf::BACKENDS {
        let vm = Vm::with_config(backend, config(false)).unwrap();
        let prog = vm.load_bytes(w.bytecode).unwrap();
        let exe = prog.executable();
        let mut stack = StackBuffer::new(prog.program().config().stack_size());
        group.bench_function(*backend, |b| {
            b.iter(|| black_box(exe.execute_on(black_box(&mut []), &mut stack)))
        });
        // Only `r0` kept, as the native variant keeps its result (no copy of the whole
        // `Execution`, trap included, through memory).
        group.bench_function(format!("{backend}-r0"), |b| {
            b.iter(|| black_box(exe.execute_on(black_box(&mut []), &mut stack).result.ok()))
        });
        group.bench_function(format!("{backend}-execute"), |b| {
            b.iter(|| black_box(exe.execute(black_box(&mut []))))
        });
        if let Some(entry) = prog.native_entry() {
            group.bench_function(format!("{backend}-direct"), |b| {
                b.iter(|| {
                    let r = entry.call_on(black_box(&mut []), &mut stack);
                    black_box(r.unwrap_or(u64::MAX))
                })
            });
        }
    }
    group.bench_function("native", |b| {
        b.iter(|| black_box(w.run_native(black_box(&mut []))))
    });
    group.finish();
}

/// Verifying each workload (as the verified variants load them), clang-built programs of
/// Linux's types, and a program of 100,000 instructions.
fn verify_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    let vm = verifying_vm("interp");
    for w in WORKLOADS {
        let program = oxbpf::Program::from_bytes(w.bytecode, vm.config(), vm.helpers()).unwrap();
        vm.verify(&program).unwrap();
        group.bench_function(w.name, |b| {
            b.iter(|| black_box(vm.verify(&program).unwrap()))
        });
    }
    // Programs of Linux's types as clang builds them (tests/fixtures/progtypes), linked and
    // verified against their type's context and their maps.
    for (file, program) in [
        ("xdp_firewall", "xdp_firewall"),
        ("tc_classify", "classify"),
        ("kprobe_open", "trace_open"),
    ] {
        let path = format!(
            "{}/../tests/fixtures/progtypes/{file}.o",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        let obj = vm.open_elf(&bytes).unwrap();
        obj.verify(&vm, Some(program), false).0.unwrap();
        group.bench_function(file, |b| {
            b.iter(|| black_box(obj.verify(&vm, Some(program), false).0.unwrap()))
        });
    }
    let long = long_program(100_000);
    let program = oxbpf::Program::from_bytes(&long, vm.config(), vm.helpers()).unwrap();
    vm.verify(&program).unwrap();
    group.sample_size(10);
    group.bench_function("long-100k", |b| {
        b.iter(|| black_box(vm.verify(&program).unwrap()))
    });
    group.finish();
}

/// Preparing each workload on each backend: translation or compilation.
fn compile_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    for w in WORKLOADS {
        let vm = Vm::with_config("interp", config(false)).unwrap();
        let program = Arc::new(vm.load_bytes(w.bytecode).unwrap().program().clone());
        let helpers = Arc::new(oxbpf::HelperRegistry::new());
        for backend in oxbpf::BACKENDS {
            let be = oxbpf::backend(backend).unwrap();
            group.bench_with_input(BenchmarkId::new(*backend, w.name), &program, |b, p| {
                b.iter(|| black_box(be.prepare(p.clone(), helpers.clone()).unwrap()))
            });
        }
        let object = oxbpf::aot::compile(&program, oxbpf::Target::Host).unwrap();
        group.bench_with_input(BenchmarkId::new("aot-load", w.name), &object, |b, o| {
            b.iter(|| black_box(oxbpf::aot::load(o, program.clone(), helpers.clone()).unwrap()))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = workloads, call_overhead, compile_time, verify_time
}
criterion_main!(benches);
