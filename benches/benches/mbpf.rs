//! Per-event cost of a bundle's JavaScript on QuickJS: the NET_RX filter of
//! `examples/mbpf/net_rx_drop_ff.js` on a 64-byte packet that passes and one that is dropped
//! (building the `ctx`, calling `mbpf_prog`, the budgets' bookkeeping), beside the same
//! JavaScript lowered to eBPF (`oxbpf mbpf build --lower`) and run on the JIT through
//! `Vm::load_opened_bundle`, and the filter written by hand in eBPF on the JIT.
//!
//! Run: `cargo bench -p oxbpf-bench --bench mbpf`.

use criterion::{Criterion, criterion_group, criterion_main};
use oxbpf::Vm;
use oxbpf::mbpf::manifest::{Hook, Manifest};
use oxbpf::mbpf::{Bundle, Payload};
use oxbpf_quickjs::{HookInput, Instance};
use std::hint::black_box;

fn net_rx_filter(c: &mut Criterion) {
    let source = include_str!("../../examples/mbpf/net_rx_drop_ff.js");
    let bundle = Bundle {
        manifest: Manifest::new("drop_ff", "1.0", Hook::NetRx),
        payload: Payload::Source(source.into()),
        ebpf: None,
        signed: false,
    };
    let mut prog = Instance::new(&bundle).expect("the example loads");
    let mut group = c.benchmark_group("mbpf/net_rx_drop_ff");
    for (name, first) in [("quickjs-pass", 0x45u8), ("quickjs-drop", 0xff)] {
        let mut packet = vec![0u8; 64];
        packet[0] = first;
        let input = HookInput::new(Hook::NetRx, packet);
        let expect = i32::from(first == 0xff);
        assert_eq!(prog.run(&input).rc, expect);
        group.bench_function(name, |b| {
            b.iter(|| black_box(prog.run(black_box(&input)).rc))
        });
    }
    // The JavaScript lowered to eBPF, verified, on the JIT; its memory is the context blob.
    let vm = Vm::new("jit").expect("the JIT");
    let bytecode = oxbpf_quickjs::compile(source, "mbpf_prog").expect("it compiles");
    let insns = oxbpf::lower::lower(&bytecode, &bundle.manifest).expect("it lowers");
    let lowered = vm
        .load_opened_bundle(&Bundle {
            ebpf: Some(oxbpf::isa::encode(&insns)),
            signed: true,
            payload: Payload::Bytecode(bytecode),
            ..bundle.clone()
        })
        .expect("the lowering loads");
    for (name, first) in [("jit-lowered-pass", 0x45u8), ("jit-lowered-drop", 0xff)] {
        let mut packet = vec![0u8; 64];
        packet[0] = first;
        let mut blob = HookInput::new(Hook::NetRx, packet).to_blob();
        assert_eq!(lowered.execute(&mut blob), Ok(u64::from(first == 0xff)));
        group.bench_function(name, |b| {
            b.iter(|| black_box(lowered.execute(black_box(&mut blob))))
        });
    }
    // The same decision written by hand: DROP (1) when the packet is not empty and starts with
    // 0xff.
    let ebpf = vm
        .load_asm(
            "mov %r0, 0\n\
             jeq %r2, 0, out\n\
             ldxb %r3, [%r1]\n\
             jne %r3, 0xff, out\n\
             mov %r0, 1\n\
             out:\n\
             exit",
        )
        .expect("the filter loads");
    for (name, first) in [
        ("jit-handwritten-pass", 0x45u8),
        ("jit-handwritten-drop", 0xff),
    ] {
        let mut packet = vec![0u8; 64];
        packet[0] = first;
        assert_eq!(ebpf.execute(&mut packet), Ok(u64::from(first == 0xff)));
        group.bench_function(name, |b| {
            b.iter(|| black_box(ebpf.execute(black_box(&mut packet))))
        });
    }
    group.finish();
}

criterion_group!(benches, net_rx_filter);
criterion_main!(benches);
