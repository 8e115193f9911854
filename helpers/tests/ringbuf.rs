//! Ring buffers: room, order, discards and positions, as Linux counts them (an 8-byte header per
//! record, lengths rounded up to 8).

use oxbpf_core::{Backend, Config, HelperRegistry, Program};
use oxbpf_helpers::{HostEnv, Map, MapDef, MapSet, MapType};
use std::sync::Arc;

/// A 4096-byte ring buffer named `name` with `flags`.
fn ring_def(name: &str, flags: u32) -> MapDef {
    MapDef::new(name, MapType::RingBuf, 0, 0, 4096).with_flags(flags)
}

fn ring(maps: &mut MapSet) -> Arc<Map> {
    maps.add(Map::new(ring_def("rb", 0)).unwrap())
}

/// Runs `src` on the interpreter with the standard helpers over `maps`.
fn run(maps: &MapSet, src: &str) -> Result<u64, oxbpf_core::Trap> {
    let mut helpers = HelperRegistry::new();
    oxbpf_helpers::standard::register(&mut helpers, maps, &HostEnv::default());
    let p = Program::from_asm(src, &Config::default(), &helpers).unwrap();
    let exe = oxbpf_interp::Interpreter
        .prepare(Arc::new(p), Arc::new(helpers))
        .unwrap();
    exe.run(&mut [0u8; 8])
}

#[test]
fn records_come_out_in_order_without_the_discarded_ones() {
    let mut maps = MapSet::new();
    let rb = ring(&mut maps);
    let h = rb.handle();
    // Reserve 3 records of 4 bytes, write i+1 into each, submit 0 and 2, discard 1.
    let src = format!(
        "lddw %r1, {h:#x}\nmov %r2, 4\nmov %r3, 0\ncall 131\nmov %r6, %r0\n\
         lddw %r1, {h:#x}\nmov %r2, 4\nmov %r3, 0\ncall 131\nmov %r7, %r0\n\
         lddw %r1, {h:#x}\nmov %r2, 4\nmov %r3, 0\ncall 131\nmov %r8, %r0\n\
         stw [%r6], 1\nstw [%r7], 2\nstw [%r8], 3\n\
         mov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r1, %r7\nmov %r2, 0\ncall 133\n\
         mov %r1, %r8\nmov %r2, 0\ncall 132\n\
         lddw %r1, {h:#x}\nmov %r2, 0\ncall 134\nexit"
    );
    // Three records of 8 + 4 bytes, rounded up: 48 bytes produced, none consumed.
    assert_eq!(run(&maps, &src), Ok(48));
    let mut got = Vec::new();
    assert_eq!(rb.drain(|r| got.push(r.to_vec())), 2);
    assert_eq!(got, vec![vec![1, 0, 0, 0], vec![3, 0, 0, 0]]);
}

#[test]
fn a_submitted_record_is_no_longer_writable() {
    let mut maps = MapSet::new();
    let rb = ring(&mut maps);
    let h = rb.handle();
    let src = format!(
        "lddw %r1, {h:#x}\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r6, %r0\n\
         mov %r1, %r6\nmov %r2, 0\ncall 132\nstw [%r6], 1\nmov %r0, 0\nexit"
    );
    let trap = run(&maps, &src).unwrap_err();
    assert_eq!(trap.code(), oxbpf_core::TrapCode::OutOfBounds);
    // Submitting a pointer that is not a reserved record stops the run.
    let src = "mov %r1, %r10\nmov %r2, 0\ncall 132\nexit";
    assert_eq!(
        run(&maps, src).unwrap_err().code(),
        oxbpf_core::TrapCode::HelperError
    );
}

#[test]
fn a_full_ring_refuses_records_until_drained() {
    let mut maps = MapSet::new();
    let rb = ring(&mut maps);
    let h = rb.handle();
    // ringbuf_output of 8 bytes from the stack: 16 bytes each, 256 fit in 4096.
    let src = format!(
        "stdw [%r10-8], 7\nlddw %r1, {h:#x}\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 8\nmov %r4, 0\n\
         call 130\nexit"
    );
    for _ in 0..256 {
        assert_eq!(run(&maps, &src), Ok(0));
    }
    assert_eq!(run(&maps, &src), Ok(-11i64 as u64), "-EAGAIN when full");
    assert_eq!(rb.drain(|_| {}), 256);
    assert_eq!(run(&maps, &src), Ok(0));
}

#[test]
fn an_overwrite_ring_drops_its_oldest_records_to_make_room() {
    let rb = Map::new(ring_def("rb", oxbpf_helpers::map::RINGBUF_OVERWRITE)).unwrap();
    // 1008 bytes per record of 1000 bytes: four fit.
    for i in 0..6u8 {
        assert_eq!(rb.output(&[i; 1000]), Ok(()), "record {i}");
    }
    assert_eq!(rb.ring_dropped(), 2);
    let left: Vec<u8> = rb.pending_records().iter().map(|r| r[0]).collect();
    assert_eq!(left, [2, 3, 4, 5]);
    // A record larger than the whole ring is refused without dropping anything.
    assert!(rb.output(&[9; 4096]).is_err());
    assert_eq!(rb.pending_records().len(), 4);
    // Without the flag, a full ring refuses.
    let plain = Map::new(ring_def("plain", 0)).unwrap();
    for i in 0..4u8 {
        assert_eq!(plain.output(&[i; 1000]), Ok(()));
    }
    assert!(plain.output(&[4; 1000]).is_err());
    assert_eq!(plain.ring_dropped(), 0);
}

#[test]
fn an_overwrite_ring_keeps_a_reserved_record_and_what_follows_it() {
    let mut maps = MapSet::new();
    let rb = maps.add(Map::new(ring_def("rb", oxbpf_helpers::map::RINGBUF_OVERWRITE)).unwrap());
    let h = rb.handle();
    // Reserve one record (kept reserved), output one, then another: no room, since the oldest
    // record is still reserved and cannot be dropped.
    let src = format!(
        "lddw %r1, {h:#x}\nmov %r2, 2040\nmov %r3, 0\ncall 131\nmov %r6, %r0\n\
         jne %r6, 0, +2\nmov %r0, 99\nexit\n\
         lddw %r1, {h:#x}\nmov %r2, 2040\nmov %r3, 0\ncall 131\nmov %r7, %r0\n\
         jne %r7, 0, +2\nmov %r0, 98\nexit\n\
         stw [%r7], 7\nmov %r1, %r7\nmov %r2, 0\ncall 132\n\
         stw [%r10-8], 8\n\
         lddw %r1, {h:#x}\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 4\nmov %r4, 0\ncall 130\n\
         mov %r8, %r0\n\
         mov %r1, %r6\nmov %r2, 0\ncall 133\n\
         mov %r0, %r8\nexit"
    );
    // Two records of 2048 bytes fill the ring; the oldest is still reserved, so the output
    // finds no room (-EAGAIN) and nothing is dropped.
    assert_eq!(run(&maps, &src), Ok((-11i64) as u64));
    assert_eq!(rb.ring_dropped(), 0);
    assert_eq!(rb.pending_records().len(), 1);
}
