//! Map semantics against Linux's: update flags, errno values, iteration, eviction, layouts.

use oxbpf_helpers::map::{BPF_ANY, BPF_EXIST, BPF_NOEXIST};
use oxbpf_helpers::{Map, MapDef, MapError, MapType};

fn map(t: MapType, key: u32, value: u32, max: u32) -> Map {
    Map::new(MapDef::new("m", t, key, value, max)).unwrap()
}

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

#[test]
fn errno_values_are_linux_values() {
    assert_eq!(MapError::NotFound.to_reg(), -2i64 as u64);
    assert_eq!(MapError::Exists.to_reg(), -17i64 as u64);
    assert_eq!(MapError::Full.to_reg(), -7i64 as u64);
    assert_eq!(MapError::Invalid(String::new()).to_reg(), -22i64 as u64);
}

#[test]
fn arrays_always_hold_every_element() {
    let a = map(MapType::Array, 4, 4, 3);
    assert_eq!(a.lookup(&k(2)), Ok(vec![0; 4]));
    assert_eq!(a.lookup(&k(3)), Err(MapError::NotFound));
    assert_eq!(
        a.update(&k(1), &[1, 2, 3, 4], BPF_NOEXIST),
        Err(MapError::Exists)
    );
    assert_eq!(a.update(&k(1), &[1, 2, 3, 4], BPF_EXIST), Ok(()));
    assert_eq!(a.update(&k(3), &[0; 4], BPF_ANY), Err(MapError::Full));
    assert_eq!(
        a.update(&k(1), &[0; 5], BPF_ANY).map_err(|e| e.errno()),
        Err(22)
    );
    assert_eq!(a.update(&k(1), &[0; 4], 3).map_err(|e| e.errno()), Err(22));
    assert_eq!(a.delete(&k(1)).map_err(|e| e.errno()), Err(22));
    assert_eq!(a.lookup(&k(1)), Ok(vec![1, 2, 3, 4]));
    assert_eq!(a.next_key(None), Ok(k(0).to_vec()));
    assert_eq!(a.next_key(Some(&k(1))), Ok(k(2).to_vec()));
    assert_eq!(a.next_key(Some(&k(2))), Err(MapError::NotFound));
    assert_eq!(a.next_key(Some(&k(9))), Ok(k(0).to_vec()));
}

#[test]
fn hashes_follow_the_update_flags() {
    let h = map(MapType::Hash, 4, 8, 2);
    assert_eq!(h.lookup(&k(1)), Err(MapError::NotFound));
    assert_eq!(h.update(&k(1), &[1; 8], BPF_EXIST), Err(MapError::NotFound));
    assert_eq!(h.update(&k(1), &[1; 8], BPF_NOEXIST), Ok(()));
    assert_eq!(h.update(&k(1), &[2; 8], BPF_NOEXIST), Err(MapError::Exists));
    assert_eq!(h.update(&k(1), &[2; 8], BPF_EXIST), Ok(()));
    assert_eq!(h.update(&k(5), &[5; 8], BPF_ANY), Ok(()));
    assert_eq!(h.update(&k(6), &[6; 8], BPF_ANY), Err(MapError::Full));
    assert_eq!(h.lookup(&k(1)), Ok(vec![2; 8]));
    // Iteration in key order; a missing key restarts from the first.
    assert_eq!(h.next_key(None), Ok(k(1).to_vec()));
    assert_eq!(h.next_key(Some(&k(1))), Ok(k(5).to_vec()));
    assert_eq!(h.next_key(Some(&k(5))), Err(MapError::NotFound));
    assert_eq!(h.next_key(Some(&k(3))), Ok(k(1).to_vec()));
    assert_eq!(h.delete(&k(1)), Ok(()));
    assert_eq!(h.delete(&k(1)), Err(MapError::NotFound));
    // The freed slot is reused, and a new entry starts from its own value.
    assert_eq!(h.update(&k(6), &[6; 8], BPF_ANY), Ok(()));
    assert_eq!(
        h.entries(),
        vec![(k(5).to_vec(), vec![5; 8]), (k(6).to_vec(), vec![6; 8])]
    );
    assert_eq!(h.lookup(&[0; 3]).map_err(|e| e.errno()), Err(22));
}

#[test]
fn lru_hashes_evict_the_least_recently_used() {
    let h = map(MapType::LruHash, 4, 4, 2);
    h.update(&k(1), &[1; 4], BPF_ANY).unwrap();
    h.update(&k(2), &[2; 4], BPF_ANY).unwrap();
    h.lookup(&k(1)).unwrap();
    h.update(&k(3), &[3; 4], BPF_ANY).unwrap();
    assert_eq!(h.lookup(&k(2)), Err(MapError::NotFound));
    assert_eq!(h.lookup(&k(1)), Ok(vec![1; 4]));
    assert_eq!(h.lookup(&k(3)), Ok(vec![3; 4]));
}

#[test]
fn per_cpu_values_are_laid_out_at_8_byte_strides() {
    let a = map(MapType::PercpuArray, 4, 4, 1);
    let n = oxbpf_helpers::cpu::count() as usize;
    assert_eq!(a.lookup(&k(0)).unwrap().len(), 8 * n);
    let mut v = vec![0u8; 8 * n];
    for cpu in 0..n {
        v[cpu * 8..cpu * 8 + 4].copy_from_slice(&(cpu as u32 + 1).to_le_bytes());
    }
    a.update(&k(0), &v, BPF_ANY).unwrap();
    assert_eq!(a.lookup(&k(0)).unwrap(), v);
    assert_eq!(
        a.update(&k(0), &[0; 4], BPF_ANY).map_err(|e| e.errno()),
        Err(22)
    );
}

#[test]
fn queues_and_stacks_push_and_pop_in_their_order() {
    // After pushing 1, 2 and (dropping the oldest) 3: a queue pops 2 then 3, a stack 3 then 2.
    for (t, order) in [(MapType::Queue, [2u8, 3]), (MapType::Stack, [3, 2])] {
        let q = map(t, 0, 1, 2);
        assert_eq!(q.pop(), Err(MapError::NotFound));
        q.push(&[1], BPF_ANY).unwrap();
        q.push(&[2], BPF_ANY).unwrap();
        assert_eq!(q.push(&[3], BPF_ANY), Err(MapError::Full));
        q.push(&[3], BPF_EXIST).unwrap();
        assert_eq!(q.peek(), Ok(vec![order[0]]), "{t:?}");
        assert_eq!(q.pop(), Ok(vec![order[0]]), "{t:?}");
        assert_eq!(q.pop(), Ok(vec![order[1]]), "{t:?}");
        assert_eq!(q.pop(), Err(MapError::NotFound));
    }
}

#[test]
fn definitions_are_checked() {
    let bad = [
        (MapType::Array, 8, 4, 1),
        (MapType::Array, 4, 0, 1),
        (MapType::Hash, 4, 4, 0),
        (MapType::Queue, 4, 4, 1),
        (MapType::RingBuf, 0, 0, 1000),
        (MapType::ProgArray, 4, 8, 1),
    ];
    for (t, key, value, max) in bad {
        let def = MapDef::new("m", t, key, value, max);
        let err = Map::new(def.clone()).map_err(|e| e.errno()).err();
        assert_eq!(err, Some(22), "{def:?}");
    }
    let huge = MapDef::new("m", MapType::Array, 4, 1 << 20, 1 << 20);
    assert_eq!(Map::new(huge).map_err(|e| e.errno()).err(), Some(12));
}

#[test]
fn map_types_by_id_and_name() {
    for &t in MapType::ALL {
        assert_eq!(MapType::from_id(t as u32), Some(t));
        assert_eq!(MapType::from_name(&t.name().to_uppercase()), Some(t));
    }
    assert_eq!(MapType::from_id(20), None);
}
