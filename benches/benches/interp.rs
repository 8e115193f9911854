//! Interpreter speed in nanoseconds per executed instruction, on an ALU-heavy loop and on a
//! byte-by-byte copy loop. Criterion reports throughput in instructions ("elements") per second;
//! BENCHMARKS.md converts it to ns per instruction.
//!
//! Run: `cargo bench --bench interp`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oxbpf::Vm;
use std::hint::black_box;

/// xorshift64 mixing, 100,000 iterations of 12 instructions.
const ALU_LOOP: &str = "
    mov %r0, 0
    lddw %r1, 0x9e3779b97f4a7c15
    mov %r2, 0
loop:
    mov %r3, %r1
    lsh %r3, 13
    xor %r1, %r3
    mov %r3, %r1
    rsh %r3, 7
    xor %r1, %r3
    mov %r3, %r1
    lsh %r3, 17
    xor %r1, %r3
    add %r0, %r1
    add %r2, 1
    jlt %r2, 100000, loop
    exit";

/// Copies the first 32 KiB of the context to its second half, one byte at a time (the shape
/// clang gives `for (i = 0; i < n; i++) dst[i] = src[i];`).
const COPY_LOOP: &str = "
    mov %r2, 0
    mov %r3, %r1
    add %r3, 32768
loop:
    mov %r4, %r1
    add %r4, %r2
    ldxb %r5, [%r4]
    mov %r6, %r3
    add %r6, %r2
    stxb [%r6], %r5
    add %r2, 1
    jlt %r2, 32768, loop
    mov %r0, %r2
    exit";

fn bench(c: &mut Criterion) {
    // Unverified: the interpreter keeps every check either way, and a 100,000-iteration loop
    // walked to its end is too complex for the default loop policy.
    let config = oxbpf::Config {
        verify: false,
        ..oxbpf::Config::default()
    };
    let vm = Vm::with_config("interp", config).unwrap();
    let mut group = c.benchmark_group("interp");
    for (name, src, mem_len) in [
        ("alu_loop", ALU_LOOP, 0usize),
        ("byte_copy", COPY_LOOP, 65536),
    ] {
        let prog = vm.load_asm(src).unwrap();
        let mut mem: Vec<u8> = (0..mem_len).map(|i| i as u8).collect();
        let executed = prog.execute_counted(&mut mem);
        assert!(executed.result.is_ok());
        group.throughput(Throughput::Elements(executed.instructions));
        group.bench_function(name, |b| {
            b.iter(|| black_box(prog.execute(black_box(&mut mem))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
