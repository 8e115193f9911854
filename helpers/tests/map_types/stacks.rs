//! Stack trace maps and `get_stackid`: ids by hash, skipped frames, collisions, no stack.

use super::{errno, map, neg, run, run_with};
use oxbpf_helpers::map::{BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID};
use oxbpf_helpers::{HostEnv, Map, MapSet, MapType};
use std::sync::Arc;

fn stacks(frames: u32, max: u32) -> Map {
    map(MapType::StackTrace, 4, 8 * frames, max, 0)
}

/// The value a stack of `ips` reads as in a map of `frames` frames.
fn value(ips: &[u64], frames: usize) -> Vec<u8> {
    let mut v: Vec<u8> = ips.iter().flat_map(|ip| ip.to_le_bytes()).collect();
    v.resize(frames * 8, 0);
    v
}

#[test]
fn a_stack_gets_one_id_and_reads_back_zero_padded() {
    let s = stacks(4, 16);
    let ips = [0x1000, 0x2000, 0x3000];
    let id = s.get_stackid(&ips, 0).unwrap();
    assert!(id < 16);
    assert_eq!(s.get_stackid(&ips, 0), Ok(id));
    assert_eq!(s.lookup(&id.to_le_bytes()), Ok(value(&ips, 4)));
    // Skipping a frame stores the rest, under the id of what is left.
    let skipped = s.get_stackid(&ips, 1).unwrap();
    assert_eq!(s.lookup(&skipped.to_le_bytes()), Ok(value(&ips[1..], 4)));
    assert_eq!(s.get_stackid(&ips[1..], 0), Ok(skipped));
    // No frame left, or no stack at all: EFAULT. Unknown flags: EINVAL.
    assert_eq!(errno(s.get_stackid(&ips, 3)), 14);
    assert_eq!(errno(s.get_stackid(&[], 0)), 14);
    assert_eq!(errno(s.get_stackid(&ips, 1 << 11)), 22);
}

#[test]
fn only_the_frames_a_value_holds_are_kept() {
    let s = stacks(2, 16);
    let ips = [1, 2, 3, 4, 5];
    let id = s.get_stackid(&ips, 0).unwrap();
    assert_eq!(s.lookup(&id.to_le_bytes()), Ok(value(&ips[..2], 2)));
    // Skipped frames come out of the frames collected (depth + skip), not the value's room.
    let id = s.get_stackid(&ips, 2).unwrap();
    assert_eq!(s.lookup(&id.to_le_bytes()), Ok(value(&ips[2..4], 2)));
}

/// The id a one-frame stack gets in an empty map of `max` entries.
fn id_of(stack: &[u64], max: u32) -> u32 {
    stacks(1, max).get_stackid(stack, 0).unwrap()
}

/// Two different stacks whose ids collide in a map of `max` entries.
fn colliding(max: u32) -> (Vec<u64>, Vec<u64>) {
    let first = vec![0x4000];
    let id = id_of(&first, max);
    let other = (0x4001u64..)
        .map(|ip| vec![ip])
        .find(|st| id_of(st, max) == id)
        .unwrap();
    (first, other)
}

#[test]
fn collisions_are_eexist_unless_reused() {
    let s = stacks(1, 2);
    let (a, b) = colliding(2);
    let id = s.get_stackid(&a, 0).unwrap();
    assert_eq!(errno(s.get_stackid(&b, 0)), 17);
    assert_eq!(errno(s.get_stackid(&b, BPF_F_FAST_STACK_CMP)), 17);
    assert_eq!(s.get_stackid(&b, BPF_F_REUSE_STACKID), Ok(id));
    assert_eq!(s.lookup(&id.to_le_bytes()), Ok(value(&b, 1)));
    // The same stack again is found without replacing anything.
    assert_eq!(s.get_stackid(&b, 0), Ok(id));
}

#[test]
fn at_most_max_entries_stacks_are_held() {
    // Two preallocated elements: a third stack, even one replacing a bucket, is ENOMEM.
    let s = stacks(1, 2);
    let (a, b) = colliding(2);
    let id_a = s.get_stackid(&a, 0).unwrap();
    let other = (0x9000u64..)
        .map(|ip| vec![ip])
        .find(|st| id_of(st, 2) != id_a)
        .unwrap();
    s.get_stackid(&other, 0).unwrap();
    assert_eq!(errno(s.get_stackid(&b, BPF_F_REUSE_STACKID)), 12);
}

#[test]
fn host_operations_follow_linux() {
    let s = stacks(2, 4);
    let id = s.get_stackid(&[7, 8], 0).unwrap();
    assert_eq!(errno(s.update(&id.to_le_bytes(), &[0; 16], 0)), 22);
    assert_eq!(s.next_key(None), Ok(id.to_le_bytes().to_vec()));
    assert_eq!(errno(s.next_key(Some(&id.to_le_bytes()))), 2);
    assert_eq!(errno(s.lookup(&99u32.to_le_bytes())), 2);
    assert_eq!(errno(s.delete(&4u32.to_le_bytes())), 7);
    s.delete(&id.to_le_bytes()).unwrap();
    assert_eq!(errno(s.delete(&id.to_le_bytes())), 2);
}

#[test]
fn programs_store_the_host_stack() {
    let mut maps = MapSet::new();
    let s = maps.add(stacks(4, 16));
    let src = |flags: u64| {
        format!(
            "lddw %r2, {:#x}\nlddw %r3, {flags:#x}\ncall 27\nexit",
            s.handle()
        )
    };
    // The default host has no stack: -EFAULT.
    assert_eq!(run(&maps, &src(0)), Ok(neg(14)));
    let host = HostEnv {
        stack: Arc::new(|| vec![0xa, 0xb, 0xc]),
        ..HostEnv::default()
    };
    let id = run_with(&maps, &host, None, &src(0)).unwrap();
    assert_eq!(
        s.lookup(&(id as u32).to_le_bytes()),
        Ok(value(&[0xa, 0xb, 0xc], 4))
    );
    assert_eq!(run_with(&maps, &host, None, &src(0)), Ok(id));
    assert_eq!(run_with(&maps, &host, None, &src(5)), Ok(neg(14)));
    assert_eq!(run_with(&maps, &host, None, &src(1 << 12)), Ok(neg(22)));
    // Programs cannot look stacks up (Linux: only get_stackid takes a stack map).
    let lookup = format!(
        "stw [%r10-4], {id}\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit",
        s.handle()
    );
    assert_eq!(run(&maps, &lookup), Ok(0));
}
