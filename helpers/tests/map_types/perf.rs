//! Perf event arrays and `perf_event_output`: readers per index, bounded record queues, lost
//! counts, Linux's errnos.

use super::{errno, map, neg, run};
use oxbpf_helpers::map::PERF_DEFAULT_CAPACITY;
use oxbpf_helpers::{MapSet, MapType};

/// `perf_event_output(ctx, map, flags, data, size)` of the 8 bytes 0x0102030405060708 (or `len`
/// of them) from the stack.
fn output(handle: u64, flags: u64, len: u32) -> String {
    format!(
        "mov %r6, %r1\nlddw %r7, 0x0807060504030201\nstxdw [%r10-16], %r7\nstxdw [%r10-8], %r7\n\
         mov %r1, %r6\nlddw %r2, {handle:#x}\nlddw %r3, {flags:#x}\nmov %r4, %r10\nadd %r4, -16\n\
         mov %r5, {len}\ncall 25\nexit"
    )
}

#[test]
fn records_reach_the_reader_of_their_index() {
    let mut maps = MapSet::new();
    let p = maps.add(map(MapType::PerfEventArray, 4, 4, 4, 0));
    let h = p.handle();
    // No reader yet: ENOENT; past the end: E2BIG; flags above the index: EINVAL.
    assert_eq!(run(&maps, &output(h, 1, 8)), Ok(neg(2)));
    assert_eq!(run(&maps, &output(h, 4, 8)), Ok(neg(7)));
    assert_eq!(run(&maps, &output(h, 1 << 32 | 1, 8)), Ok(neg(22)));
    p.perf_open(1, 77, 4096).unwrap();
    assert_eq!(p.handle_at(1), Some(77));
    assert_eq!(run(&maps, &output(h, 1, 8)), Ok(0));
    assert_eq!(run(&maps, &output(h, 1, 3)), Ok(0));
    assert_eq!(
        p.take_perf_records(1),
        vec![vec![1, 2, 3, 4, 5, 6, 7, 8], vec![1, 2, 3]]
    );
    assert!(p.take_perf_records(1).is_empty());
    // Closing the reader: ENOENT again.
    p.perf_close(1).unwrap();
    assert_eq!(run(&maps, &output(h, 1, 8)), Ok(neg(2)));
    assert_eq!(errno(p.perf_close(1)), 2);
}

#[test]
fn the_current_cpu_flag_picks_the_cpu_index() {
    let n = oxbpf_helpers::cpu::count();
    let mut maps = MapSet::new();
    let p = maps.add(map(MapType::PerfEventArray, 4, 4, 0, 0));
    for i in 0..n {
        p.perf_open(i, i, 4096).unwrap();
    }
    assert_eq!(run(&maps, &output(p.handle(), 0xffff_ffff, 2)), Ok(0));
    let cpu = oxbpf_helpers::cpu::current();
    assert_eq!(p.take_perf_records(cpu), vec![vec![1, 2]]);
}

#[test]
fn a_full_reader_drops_and_counts_records() {
    let mut maps = MapSet::new();
    let p = maps.add(map(MapType::PerfEventArray, 4, 4, 1, 0));
    // Each 16-byte record costs 8 (header) + 4 (size) + 16, padded: 32 bytes.
    p.perf_open(0, 1, 64).unwrap();
    let src = output(p.handle(), 0, 16);
    assert_eq!(run(&maps, &src), Ok(0));
    assert_eq!(run(&maps, &src), Ok(0));
    assert_eq!(run(&maps, &src), Ok(neg(28)));
    assert_eq!(p.perf_lost(0), 1);
    assert_eq!(p.take_perf_records(0).len(), 2);
    assert_eq!(run(&maps, &src), Ok(0));
    assert_eq!(p.perf_lost(0), 1);
}

#[test]
fn host_operations_follow_linux_fd_arrays() {
    let p = map(MapType::PerfEventArray, 4, 4, 2, 0);
    let k = |i: u32| i.to_le_bytes();
    // An update opens a reader named by the handle; only BPF_ANY; E2BIG past the end.
    p.update(&k(0), &9u32.to_le_bytes(), 0).unwrap();
    assert_eq!(p.handle_at(0), Some(9));
    assert_eq!(errno(p.update(&k(0), &9u32.to_le_bytes(), 1)), 22);
    assert_eq!(errno(p.update(&k(2), &9u32.to_le_bytes(), 0)), 7);
    // Linux has no syscall lookup for perf event arrays (ENOTSUPP).
    assert_eq!(errno(p.lookup(&k(0))), 524);
    assert_eq!(
        p.entries(),
        vec![(k(0).to_vec(), 9u32.to_le_bytes().to_vec())]
    );
    assert_eq!(p.next_key(Some(&k(0))), Ok(k(1).to_vec()));
    assert_eq!(errno(p.delete(&k(2))), 7);
    p.delete(&k(0)).unwrap();
    assert_eq!(errno(p.delete(&k(0))), 2);
}

#[test]
fn an_update_opens_a_reader_of_the_default_capacity() {
    let mut maps = MapSet::new();
    let p = maps.add(map(MapType::PerfEventArray, 4, 4, 1, 0));
    p.update(&0u32.to_le_bytes(), &1u32.to_le_bytes(), 0)
        .unwrap();
    // 16-byte records cost 32 bytes each.
    let fit = PERF_DEFAULT_CAPACITY / 32;
    let src = output(p.handle(), 0, 16);
    for _ in 0..fit {
        assert_eq!(run(&maps, &src), Ok(0));
    }
    assert_eq!(run(&maps, &src), Ok(neg(28)));
    assert_eq!(p.take_perf_records(0).len() as u64, fit);
}

#[test]
fn cgroup_arrays_hold_host_handles() {
    let c = map(MapType::CgroupArray, 4, 4, 2, 0);
    let k = |i: u32| i.to_le_bytes();
    c.update(&k(1), &5u32.to_le_bytes(), 0).unwrap();
    assert_eq!(c.handle_at(1), Some(5));
    assert_eq!(errno(c.update(&k(1), &5u32.to_le_bytes(), 2)), 22);
    assert_eq!(errno(c.update(&k(2), &5u32.to_le_bytes(), 0)), 7);
    assert_eq!(errno(c.lookup(&k(1))), 524);
    assert_eq!(errno(c.delete(&k(0))), 2);
    c.delete(&k(1)).unwrap();
    assert_eq!(c.handle_at(1), None);
}
