//! Per-event cost of a bundle's JavaScript on QuickJS: the NET_RX filter of
//! `examples/mbpf/net_rx_drop_ff.js` on a 64-byte packet that passes and one that is dropped
//! (building the `ctx`, calling `mbpf_prog`, the budgets' bookkeeping), beside the same filter
//! written by hand in eBPF on the JIT: the floor a lowering of the JavaScript can reach.
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
    // The same decision in eBPF: DROP (1) when the packet is not empty and starts with 0xff.
    let vm = Vm::new("jit").expect("the JIT");
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
