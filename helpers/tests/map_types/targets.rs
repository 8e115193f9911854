//! Device, CPU and XSK maps under Linux's update rules, and `redirect` / `redirect_map`: the
//! fallback action in the low bits of the flags, the target recorded for the host.

use super::{errno, map, run};
use oxbpf_helpers::redirect::{
    self, Redirect, RedirectTarget, XDP_ABORTED, XDP_PASS, XDP_REDIRECT,
};
use oxbpf_helpers::{MapSet, MapType};

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

fn v(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

#[test]
fn device_maps_are_arrays_of_interfaces() {
    let d = map(MapType::DevMap, 4, 4, 4, 0);
    d.update(&k(1), &v(7), 0).unwrap();
    assert_eq!(d.lookup(&k(1)), Ok(v(7).to_vec()));
    // Every index exists: NOEXIST is EEXIST; past the end E2BIG; flags above EXIST EINVAL.
    assert_eq!(errno(d.update(&k(2), &v(7), 1)), 17);
    assert_eq!(errno(d.update(&k(4), &v(7), 0)), 7);
    assert_eq!(errno(d.update(&k(1), &v(7), 3)), 22);
    d.update(&k(2), &v(8), 2).unwrap();
    // An ifindex of 0 empties the slot.
    d.update(&k(2), &v(0), 0).unwrap();
    assert_eq!(errno(d.lookup(&k(2))), 2);
    // Deleting an empty slot is no error; past the end EINVAL.
    d.delete(&k(3)).unwrap();
    assert_eq!(errno(d.delete(&k(4))), 22);
    assert_eq!(d.next_key(Some(&k(1))), Ok(k(2).to_vec()));
    assert_eq!(d.entries(), vec![(k(1).to_vec(), v(7).to_vec())]);
}

#[test]
fn device_values_with_a_program_word() {
    let d = map(MapType::DevMap, 4, 8, 2, 0);
    let val = |ifindex: u32, prog: i32| {
        let mut b = ifindex.to_le_bytes().to_vec();
        b.extend_from_slice(&prog.to_le_bytes());
        b
    };
    // No program (fd -1) reads back as id 0; a program without an interface is EINVAL.
    d.update(&k(0), &val(3, -1), 0).unwrap();
    assert_eq!(d.lookup(&k(0)), Ok(val(3, 0)));
    assert_eq!(errno(d.update(&k(1), &val(0, 5), 0)), 22);
    d.update(&k(1), &val(4, 5), 0).unwrap();
    assert_eq!(d.lookup(&k(1)), Ok(val(4, 5)));
}

#[test]
fn device_hashes_take_any_key() {
    let d = map(MapType::DevMapHash, 4, 4, 2, 0);
    assert_eq!(errno(d.update(&k(100), &v(0), 0)), 22);
    // BPF_EXIST on a missing key adds it, as Linux's device hash does.
    d.update(&k(100), &v(7), 2).unwrap();
    assert_eq!(errno(d.update(&k(100), &v(7), 1)), 17);
    d.update(&k(200), &v(8), 0).unwrap();
    assert_eq!(errno(d.update(&k(300), &v(9), 0)), 7);
    d.update(&k(200), &v(9), 0).unwrap();
    assert_eq!(d.lookup(&k(200)), Ok(v(9).to_vec()));
    assert_eq!(errno(d.delete(&k(300))), 2);
    d.delete(&k(200)).unwrap();
    assert_eq!(d.next_key(None), Ok(k(100).to_vec()));
}

#[test]
fn cpu_maps_take_queue_sizes_for_cpus_that_exist() {
    let c = map(MapType::CpuMap, 4, 4, oxbpf_helpers::map::NR_CPUS, 0);
    c.update(&k(0), &v(192), 0).unwrap();
    assert_eq!(c.lookup(&k(0)), Ok(v(192).to_vec()));
    assert_eq!(errno(c.update(&k(0), &v(16385), 0)), 75);
    assert_eq!(errno(c.update(&k(0), &v(192), 1)), 17);
    let past = oxbpf_helpers::cpu::count();
    assert_eq!(errno(c.update(&k(past), &v(192), 0)), 19);
    // A queue size of 0 empties the entry.
    c.update(&k(0), &v(0), 0).unwrap();
    assert_eq!(errno(c.lookup(&k(0))), 2);
    assert_eq!(errno(c.delete(&k(oxbpf_helpers::map::NR_CPUS))), 22);
}

#[test]
fn xskmaps_hold_socket_handles_the_host_cannot_read_back() {
    let x = map(MapType::XskMap, 4, 4, 2, 0);
    assert_eq!(errno(x.update(&k(0), &v(5), 2)), 2);
    x.update(&k(0), &v(5), 1).unwrap();
    assert_eq!(errno(x.update(&k(0), &v(6), 1)), 17);
    assert_eq!(errno(x.update(&k(2), &v(6), 0)), 7);
    assert_eq!(errno(x.lookup(&k(0))), 95);
    assert_eq!(x.entries(), vec![(k(0).to_vec(), v(5).to_vec())]);
    x.delete(&k(1)).unwrap();
}

/// `redirect_map(map, key, flags)` and exit.
fn redirect_map(handle: u64, key: u32, flags: u64) -> String {
    format!("lddw %r1, {handle:#x}\nmov %r2, {key}\nlddw %r3, {flags:#x}\ncall 51\nexit")
}

#[test]
fn redirect_map_returns_redirect_or_the_fallback_action() {
    let mut maps = MapSet::new();
    let d = maps.add(map(MapType::DevMap, 4, 4, 4, 0));
    d.update(&k(1), &v(7), 0).unwrap();
    redirect::take();
    assert_eq!(
        run(&maps, &redirect_map(d.handle(), 1, 0)),
        Ok(XDP_REDIRECT)
    );
    let entry = Redirect {
        target: RedirectTarget::Entry {
            map: d.handle(),
            map_type: MapType::DevMap,
            key: 1,
            value: v(7).to_vec(),
        },
        flags: 0,
    };
    assert_eq!(redirect::peek(), Some(entry.clone()));
    // Invalid flags: XDP_ABORTED, the record left as it was.
    assert_eq!(
        run(&maps, &redirect_map(d.handle(), 1, 1 << 5)),
        Ok(XDP_ABORTED)
    );
    assert_eq!(redirect::peek(), Some(entry));
    // A missing key returns the low bits of the flags and clears the record.
    assert_eq!(
        run(&maps, &redirect_map(d.handle(), 2, XDP_PASS)),
        Ok(XDP_PASS)
    );
    assert_eq!(redirect::take(), None);
    assert_eq!(run(&maps, &redirect_map(d.handle(), 9, 1)), Ok(1));
    // Broadcast: every entry, whatever the key (device maps only).
    let flags = redirect::BPF_F_BROADCAST | redirect::BPF_F_EXCLUDE_INGRESS;
    assert_eq!(
        run(&maps, &redirect_map(d.handle(), 9, flags)),
        Ok(XDP_REDIRECT)
    );
    assert_eq!(
        redirect::take().map(|r| r.target),
        Some(RedirectTarget::Broadcast {
            map: d.handle(),
            map_type: MapType::DevMap,
            exclude_ingress: true,
        })
    );
    let c = maps.add(map(MapType::CpuMap, 4, 4, 4, 0));
    let run2 = |src: &str| run(&maps, src);
    assert_eq!(
        run2(&redirect_map(c.handle(), 0, redirect::BPF_F_BROADCAST)),
        Ok(XDP_ABORTED)
    );
    c.update(&k(0), &v(64), 0).unwrap();
    assert_eq!(run2(&redirect_map(c.handle(), 0, 0)), Ok(XDP_REDIRECT));
    assert_eq!(redirect::take().map(|r| r.flags), Some(0));
}

#[test]
fn redirect_records_the_interface() {
    let maps = MapSet::new();
    let src = |flags: u32| format!("mov %r1, 12\nmov %r2, {flags}\ncall 23\nexit");
    assert_eq!(run(&maps, &src(0)), Ok(XDP_REDIRECT));
    assert_eq!(
        redirect::take(),
        Some(Redirect {
            target: RedirectTarget::Ifindex(12),
            flags: 0
        })
    );
    assert_eq!(run(&maps, &src(1)), Ok(XDP_ABORTED));
    assert_eq!(redirect::take(), None);
}

#[test]
fn programs_read_device_values_but_cannot_write_them() {
    let mut maps = MapSet::new();
    let d = maps.add(map(MapType::DevMap, 4, 4, 4, 0));
    d.update(&k(1), &v(7), 0).unwrap();
    let lookup = |then: &str| {
        format!(
            "stw [%r10-4], 1\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\ncall 1\n\
             jeq %r0, 0, none\n{then}exit\nnone:\nmov %r0, 99\nexit",
            d.handle()
        )
    };
    assert_eq!(run(&maps, &lookup("ldxw %r0, [%r0]\n")), Ok(7));
    assert!(run(&maps, &lookup("stw [%r0], 9\n")).is_err());
    assert_eq!(d.lookup(&k(1)), Ok(v(7).to_vec()));
    // Programs cannot update device maps (Linux's verifier refuses it): -EINVAL at run time.
    let update = format!(
        "stw [%r10-4], 1\nstw [%r10-8], 9\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\n\
         mov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit",
        d.handle()
    );
    assert_eq!(run(&maps, &update), Ok(super::neg(22)));
    assert_eq!(d.lookup(&k(1)), Ok(v(7).to_vec()));
}
