//! Cgroup storage: entries the host attaches, updates of existing values only, no deletes.

use super::{errno, map};
use oxbpf_helpers::MapType;
use oxbpf_helpers::map::BPF_F_LOCK;

/// A `struct bpf_cgroup_storage_key`: cgroup id, attach type, 4 bytes of padding.
fn key(cgroup: u64, attach: u32, pad: u8) -> Vec<u8> {
    let mut k = cgroup.to_le_bytes().to_vec();
    k.extend_from_slice(&attach.to_le_bytes());
    k.extend_from_slice(&[pad; 4]);
    k
}

#[test]
fn values_exist_where_the_host_attached() {
    let s = map(MapType::CgroupStorage, 16, 4, 0, 0);
    let a = key(7, 1, 0);
    assert_eq!(errno(s.update(&a, &[1; 4], 0)), 2);
    s.attach_storage(&a).unwrap();
    assert_eq!(errno(s.attach_storage(&a)), 17);
    assert_eq!(s.lookup(&a), Ok(vec![0; 4]));
    s.update(&a, &[1; 4], 0).unwrap();
    s.update(&a, &[2; 4], 2).unwrap();
    // Padding is not part of the key.
    assert_eq!(s.lookup(&key(7, 1, 0xee)), Ok(vec![2; 4]));
    assert_eq!(errno(s.lookup(&key(7, 2, 0))), 2);
    // NOEXIST and BPF_F_LOCK (no spin lock here): EINVAL; deletes: EINVAL.
    assert_eq!(errno(s.update(&a, &[3; 4], 1)), 22);
    assert_eq!(errno(s.update(&a, &[3; 4], BPF_F_LOCK)), 22);
    assert_eq!(errno(s.delete(&a)), 22);
    s.detach_storage(&a).unwrap();
    assert_eq!(errno(s.lookup(&a)), 2);
    assert_eq!(errno(s.detach_storage(&a)), 2);
}

#[test]
fn iteration_is_newest_first() {
    let s = map(MapType::CgroupStorage, 8, 4, 0, 0);
    for id in [1u64, 2, 3] {
        s.attach_storage(&id.to_le_bytes()).unwrap();
    }
    assert_eq!(s.next_key(None), Ok(3u64.to_le_bytes().to_vec()));
    assert_eq!(
        s.next_key(Some(&3u64.to_le_bytes())),
        Ok(2u64.to_le_bytes().to_vec())
    );
    assert_eq!(errno(s.next_key(Some(&1u64.to_le_bytes()))), 2);
    assert_eq!(errno(s.next_key(Some(&9u64.to_le_bytes()))), 2);
    assert_eq!(s.entries().len(), 3);
}

#[test]
fn per_cpu_storage_holds_a_value_per_cpu() {
    let s = map(MapType::PercpuCgroupStorage, 8, 4, 0, 0);
    let n = oxbpf_helpers::cpu::count() as usize;
    let k = 5u64.to_le_bytes();
    s.attach_storage(&k).unwrap();
    assert_eq!(s.lookup(&k), Ok(vec![0; 8 * n]));
    let all: Vec<u8> = (0..n)
        .flat_map(|c| [c as u8 + 1, 0, 0, 0, 0, 0, 0, 0])
        .collect();
    s.update(&k, &all, 0).unwrap();
    assert_eq!(s.lookup(&k), Ok(all));
    assert_eq!(s.lookup_on_cpu(&k, 0), Ok(vec![1, 0, 0, 0]));
    assert_eq!(errno(s.update(&k, &vec![0; 8 * n], 1)), 22);
}
