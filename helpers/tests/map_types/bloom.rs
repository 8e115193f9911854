//! Bloom filters: no false negatives, Linux's errnos for what they do not have, and the
//! push / peek helpers.

use super::{errno, map, neg, run};
use oxbpf_helpers::map::BPF_F_ZERO_SEED;
use oxbpf_helpers::{MapSet, MapType};

#[test]
fn every_pushed_value_is_found() {
    for (size, seed) in [
        (4u32, 0),
        (8, BPF_F_ZERO_SEED),
        (3, 0),
        (13, BPF_F_ZERO_SEED),
    ] {
        let b = map(MapType::BloomFilter, 0, size, 1000, seed);
        let value = |i: u32| -> Vec<u8> {
            (0..size)
                .map(|j| (i.wrapping_mul(2654435761) >> (j % 4 * 8)) as u8 ^ j as u8)
                .collect()
        };
        for i in 0..1000 {
            b.push(&value(i), 0).unwrap();
        }
        for i in 0..1000 {
            assert_eq!(b.peek_value(&value(i)), Ok(()), "size {size}, value {i}");
        }
        // Values never pushed are mostly absent (about 1 in 100 false positives at this size).
        let positives = (1000..3000)
            .filter(|&i| b.peek_value(&value(i)).is_ok())
            .count();
        assert!(positives < 200, "size {size}: {positives} false positives");
    }
}

#[test]
fn bloom_filters_have_only_push_and_peek() {
    let b = map(MapType::BloomFilter, 0, 4, 16, 0);
    assert_eq!(errno(b.push(&[1; 4], 2)), 22);
    assert_eq!(errno(b.peek_value(&[1; 4])), 2);
    // An update with no key is a push, as Linux's syscall makes it.
    b.update(&[], &[1; 4], 0).unwrap();
    assert_eq!(b.peek_value(&[1; 4]), Ok(()));
    assert_eq!(errno(b.pop()), 95);
    assert_eq!(errno(b.delete(&[])), 95);
    assert_eq!(errno(b.next_key(None)), 95);
    assert_eq!(errno(b.lookup(&[])), 22);
    assert_eq!(errno(b.peek_value(&[1; 5])), 22);
}

#[test]
fn programs_push_and_peek() {
    let mut maps = MapSet::new();
    let b = maps.add(map(MapType::BloomFilter, 0, 8, 64, BPF_F_ZERO_SEED));
    let absent = (0u64..)
        .find(|v| b.peek_value(&v.to_le_bytes()).is_err())
        .unwrap();
    let call = |id: u32, v: u64| {
        let flags = if id == 87 { "mov %r3, 0\n" } else { "" };
        format!(
            "lddw %r6, {v:#x}\nstxdw [%r10-8], %r6\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -8\n\
             {flags}call {id}\nexit",
            b.handle()
        )
    };
    assert_eq!(run(&maps, &call(89, absent)), Ok(neg(2)));
    assert_eq!(run(&maps, &call(87, absent)), Ok(0));
    assert_eq!(run(&maps, &call(89, absent)), Ok(0));
    // No pop on bloom filters (Linux's verifier refuses it): -EINVAL.
    assert_eq!(run(&maps, &call(88, absent)), Ok(neg(22)));
}
