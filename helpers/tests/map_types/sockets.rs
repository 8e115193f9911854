//! Socket maps: cookies by index or key under Linux's rules; programs may only delete.

use super::{errno, map, neg, run};
use oxbpf_helpers::{MapSet, MapType};

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

#[test]
fn sockmaps_hold_cookies_by_index() {
    let s = map(MapType::SockMap, 4, 8, 2, 0);
    let cookie = 0x1122_3344_5566_7788u64.to_le_bytes();
    assert_eq!(errno(s.update(&k(0), &cookie, 2)), 2);
    s.update(&k(0), &cookie, 1).unwrap();
    assert_eq!(errno(s.update(&k(0), &cookie, 1)), 17);
    assert_eq!(errno(s.update(&k(2), &cookie, 0)), 7);
    assert_eq!(errno(s.update(&k(1), &cookie, 4)), 22);
    assert_eq!(s.lookup(&k(0)), Ok(cookie.to_vec()));
    assert_eq!(errno(s.lookup(&k(1))), 2);
    // Deleting an empty slot or past the end: EINVAL.
    assert_eq!(errno(s.delete(&k(1))), 22);
    assert_eq!(errno(s.delete(&k(2))), 22);
    assert_eq!(s.next_key(Some(&k(0))), Ok(k(1).to_vec()));
    s.delete(&k(0)).unwrap();
}

#[test]
fn four_byte_values_cannot_be_looked_up() {
    let s = map(MapType::SockMap, 4, 4, 2, 0);
    s.update(&k(0), &k(9), 0).unwrap();
    assert_eq!(errno(s.lookup(&k(0))), 28);
    assert_eq!(
        s.entries(),
        vec![(k(0).to_vec(), 9u64.to_le_bytes().to_vec())]
    );
}

#[test]
fn sockhashes_hold_cookies_by_key() {
    let s = map(MapType::SockHash, 8, 8, 1, 0);
    let key = 42u64.to_le_bytes();
    s.update(&key, &7u64.to_le_bytes(), 0).unwrap();
    assert_eq!(
        errno(s.update(&43u64.to_le_bytes(), &7u64.to_le_bytes(), 0)),
        7
    );
    assert_eq!(s.lookup(&key), Ok(7u64.to_le_bytes().to_vec()));
    assert_eq!(errno(s.delete(&43u64.to_le_bytes())), 2);
    assert_eq!(s.next_key(Some(&43u64.to_le_bytes())), Ok(key.to_vec()));
    s.delete(&key).unwrap();
}

#[test]
fn programs_delete_but_do_not_look_up_or_update() {
    let mut maps = MapSet::new();
    let s = maps.add(map(MapType::SockMap, 4, 8, 2, 0));
    s.update(&k(1), &5u64.to_le_bytes(), 0).unwrap();
    let call = |id: u32| {
        format!(
            "stw [%r10-4], 1\nstdw [%r10-16], 5\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\n\
             mov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall {id}\nexit",
            s.handle()
        )
    };
    assert_eq!(run(&maps, &call(1)), Ok(0));
    assert_eq!(run(&maps, &call(2)), Ok(neg(22)));
    assert_eq!(run(&maps, &call(3)), Ok(0));
    assert_eq!(errno(s.lookup(&k(1))), 2);
}
