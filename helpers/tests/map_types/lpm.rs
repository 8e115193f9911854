//! LPM tries: longest-prefix match, exact-prefix updates and deletes, post-order iteration.

use super::{errno, map, run};
use oxbpf_helpers::map::{BPF_ANY, BPF_EXIST, BPF_F_NO_PREALLOC, BPF_NOEXIST};
use oxbpf_helpers::{Map, MapSet, MapType};

/// An IPv4 key: `prefixlen` and the address in network order.
fn v4(prefixlen: u32, a: [u8; 4]) -> Vec<u8> {
    let mut k = prefixlen.to_le_bytes().to_vec();
    k.extend_from_slice(&a);
    k
}

fn trie(max: u32) -> Map {
    map(MapType::LpmTrie, 8, 4, max, BPF_F_NO_PREALLOC)
}

fn val(m: &Map, key: &[u8]) -> Option<u32> {
    m.lookup(key)
        .ok()
        .map(|v| u32::from_le_bytes(v.try_into().unwrap()))
}

#[test]
fn lookups_find_the_longest_matching_prefix() {
    let t = trie(8);
    t.update(&v4(8, [10, 0, 0, 0]), &1u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    t.update(&v4(16, [10, 1, 0, 0]), &2u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    t.update(&v4(24, [10, 1, 2, 0]), &3u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    t.update(&v4(0, [0; 4]), &9u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    assert_eq!(val(&t, &v4(32, [10, 1, 2, 3])), Some(3));
    assert_eq!(val(&t, &v4(32, [10, 1, 9, 9])), Some(2));
    assert_eq!(val(&t, &v4(32, [10, 9, 9, 9])), Some(1));
    assert_eq!(val(&t, &v4(32, [11, 0, 0, 0])), Some(9));
    // The key's own prefix length bounds the match.
    assert_eq!(val(&t, &v4(16, [10, 1, 2, 3])), Some(2));
    assert_eq!(val(&t, &v4(7, [10, 1, 2, 3])), Some(9));
    // A prefix length past the data matches nothing.
    assert_eq!(errno(t.lookup(&v4(33, [10, 1, 2, 3]))), 2);
    t.delete(&v4(0, [0; 4])).unwrap();
    assert_eq!(errno(t.lookup(&v4(32, [11, 0, 0, 0]))), 2);
}

#[test]
fn updates_and_deletes_name_exact_prefixes() {
    let t = trie(2);
    let one = 1u32.to_le_bytes();
    assert_eq!(errno(t.update(&v4(16, [10, 1, 0, 0]), &one, BPF_EXIST)), 2);
    t.update(&v4(16, [10, 1, 0, 0]), &one, BPF_NOEXIST).unwrap();
    // Bits past the prefix do not make another prefix.
    assert_eq!(
        errno(t.update(&v4(16, [10, 1, 7, 7]), &one, BPF_NOEXIST)),
        17
    );
    t.update(&v4(16, [10, 1, 7, 7]), &2u32.to_le_bytes(), BPF_EXIST)
        .unwrap();
    assert_eq!(val(&t, &v4(32, [10, 1, 0, 1])), Some(2));
    assert_eq!(errno(t.update(&v4(33, [10, 1, 0, 0]), &one, BPF_ANY)), 22);
    assert_eq!(errno(t.update(&v4(16, [10, 1, 0, 0]), &one, 3)), 22);
    t.update(&v4(8, [10, 0, 0, 0]), &one, BPF_ANY).unwrap();
    // Full: a new prefix is ENOSPC, replacing one still works.
    assert_eq!(errno(t.update(&v4(24, [10, 1, 2, 0]), &one, BPF_ANY)), 28);
    t.update(&v4(8, [10, 0, 0, 0]), &5u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    // Deletes are exact.
    assert_eq!(errno(t.delete(&v4(17, [10, 1, 0, 0]))), 2);
    assert_eq!(errno(t.delete(&v4(33, [10, 1, 0, 0]))), 22);
    t.delete(&v4(16, [10, 1, 0, 0])).unwrap();
    assert_eq!(val(&t, &v4(32, [10, 1, 0, 1])), Some(5));
    // The freed room takes a new prefix.
    t.update(&v4(24, [10, 1, 2, 0]), &one, BPF_ANY).unwrap();
}

#[test]
fn iteration_is_post_order() {
    // Linux's lpm_trie.c example: more specific prefixes first, the 0 side before the 1 side.
    let t = trie(8);
    for (len, a) in [
        (16, [192, 168, 0, 0]),
        (24, [192, 168, 128, 0]),
        (24, [192, 168, 1, 0]),
        (24, [192, 168, 0, 0]),
    ] {
        t.update(&v4(len, a), &[0; 4], BPF_ANY).unwrap();
    }
    let mut order = Vec::new();
    let mut key = None;
    while let Ok(k) = t.next_key(key.as_deref()) {
        order.push(k.clone());
        key = Some(k);
    }
    assert_eq!(
        order,
        vec![
            v4(24, [192, 168, 0, 0]),
            v4(24, [192, 168, 1, 0]),
            v4(24, [192, 168, 128, 0]),
            v4(16, [192, 168, 0, 0]),
        ]
    );
    // A key not stored starts over.
    assert_eq!(
        t.next_key(Some(&v4(20, [1, 2, 3, 4]))),
        Ok(order[0].clone())
    );
    assert_eq!(t.entries().len(), 4);
}

#[test]
fn programs_look_up_the_longest_match() {
    let mut maps = MapSet::new();
    let t = maps.add(trie(4));
    t.update(&v4(8, [10, 0, 0, 0]), &7u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    t.update(&v4(24, [10, 1, 2, 0]), &8u32.to_le_bytes(), BPF_ANY)
        .unwrap();
    // key = {32, 10.1.2.3} on the stack; r0 = *lookup(trie, &key) or 99.
    let prog = |addr: u32| {
        format!(
            "stw [%r10-8], 32\nstw [%r10-4], {addr:#x}\nlddw %r1, {:#x}\nmov %r2, %r10\n\
             add %r2, -8\ncall 1\njeq %r0, 0, none\nldxw %r0, [%r0]\nexit\nnone:\nmov %r0, 99\nexit",
            t.handle()
        )
    };
    let be = |a: [u8; 4]| u32::from_le_bytes(a);
    assert_eq!(run(&maps, &prog(be([10, 1, 2, 3]))), Ok(8));
    assert_eq!(run(&maps, &prog(be([10, 9, 2, 3]))), Ok(7));
    assert_eq!(run(&maps, &prog(be([11, 1, 2, 3]))), Ok(99));
}
