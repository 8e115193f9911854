//! Maps of maps: templates, the host's typed and by-id updates, programs reaching inner maps by
//! the handle their lookup returns, and inner maps kept alive for the run that looked them up.

use super::{Extra, errno, run, run_with};
use oxbpf_core::HelperStop;
use oxbpf_helpers::map::BPF_F_INNER_MAP;
use oxbpf_helpers::{HostEnv, Map, MapDef, MapSet, MapType};
use std::sync::{Arc, Mutex};

fn outer(t: MapType, key: u32, max: u32, inner: MapDef) -> Map {
    Map::new(MapDef {
        inner: Some(Box::new(inner)),
        ..MapDef::new("outer", t, key, 4, max)
    })
    .unwrap()
}

fn array(max: u32) -> MapDef {
    MapDef::new("inner", MapType::Array, 4, 8, max)
}

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

#[test]
fn inner_maps_must_match_the_template() {
    let o = outer(MapType::ArrayOfMaps, 4, 2, array(4));
    let good = Arc::new(Map::new(array(4)).unwrap());
    o.set_inner(&k(0), good.clone()).unwrap();
    assert!(Arc::ptr_eq(&o.inner(&k(0)).unwrap(), &good));
    for bad in [
        MapDef::new("x", MapType::Array, 4, 4, 4),
        MapDef::new("x", MapType::Array, 4, 8, 5),
        MapDef::new("x", MapType::Hash, 4, 8, 4),
        array(4).with_flags(BPF_F_INNER_MAP),
    ] {
        let m = Arc::new(Map::new(bad.clone()).unwrap());
        assert_eq!(errno(o.set_inner(&k(1), m)), 22, "{bad:?}");
    }
    assert_eq!(errno(o.set_inner(&k(2), good)), 7);
    // With BPF_F_INNER_MAP in the template, arrays of any size match.
    let o = outer(
        MapType::ArrayOfMaps,
        4,
        1,
        array(4).with_flags(BPF_F_INNER_MAP),
    );
    let other = Map::new(array(9).with_flags(BPF_F_INNER_MAP)).unwrap();
    o.set_inner(&k(0), Arc::new(other)).unwrap();
}

#[test]
fn the_host_sees_inner_map_ids() {
    let mut maps = MapSet::new();
    let o = maps.add(outer(MapType::ArrayOfMaps, 4, 2, array(4)));
    let inner = maps.add(Map::new(array(4)).unwrap());
    // An update names the inner map by id, as Linux's takes an fd and looks up an id.
    o.update(&k(1), &inner.id().to_le_bytes(), 0).unwrap();
    assert_eq!(o.lookup(&k(1)), Ok(inner.id().to_le_bytes().to_vec()));
    assert_eq!(errno(o.update(&k(1), &u32::MAX.to_le_bytes(), 0)), 9);
    assert_eq!(errno(o.update(&k(1), &inner.id().to_le_bytes(), 1)), 22);
    assert_eq!(errno(o.lookup(&k(0))), 2);
    assert_eq!(
        o.entries(),
        vec![(k(1).to_vec(), inner.id().to_le_bytes().to_vec())]
    );
    assert_eq!(o.next_key(None), Ok(k(0).to_vec()));
    o.delete(&k(1)).unwrap();
    assert_eq!(errno(o.delete(&k(1))), 2);
    assert_eq!(errno(o.delete(&k(2))), 7);
}

#[test]
fn hashes_of_maps_follow_the_update_flags() {
    let o = outer(MapType::HashOfMaps, 8, 1, array(1));
    let m = || Arc::new(Map::new(array(1)).unwrap());
    let key = 5u64.to_le_bytes();
    let mut maps = MapSet::new();
    let inner = m();
    maps.insert(inner.clone());
    assert_eq!(errno(o.update(&key, &inner.id().to_le_bytes(), 2)), 2);
    o.update(&key, &inner.id().to_le_bytes(), 1).unwrap();
    assert_eq!(errno(o.update(&key, &inner.id().to_le_bytes(), 1)), 17);
    o.set_inner(&key, m()).unwrap();
    assert_eq!(errno(o.set_inner(&6u64.to_le_bytes(), m())), 7);
    assert_eq!(errno(o.delete(&6u64.to_le_bytes())), 2);
}

/// `r6 = lookup(outer, &0)`; `lookup(r6, &0)` and `*value += 5`; returns the value or 99.
fn via_outer(o: u64, between: &str) -> String {
    format!(
        "stw [%r10-4], 0\nlddw %r1, {o:#x}\nmov %r2, %r10\nadd %r2, -4\ncall 1\n\
         jeq %r0, 0, none\nmov %r6, %r0\n{between}\
         mov %r1, %r6\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, none\n\
         ldxdw %r1, [%r0]\nadd %r1, 5\nstxdw [%r0], %r1\nmov %r0, %r1\nexit\n\
         none:\nmov %r0, 99\nexit"
    )
}

#[test]
fn programs_reach_inner_maps_through_the_handle_lookup_returns() {
    let mut maps = MapSet::new();
    let o = maps.add(outer(MapType::ArrayOfMaps, 4, 2, array(1)));
    assert_eq!(run(&maps, &via_outer(o.handle(), "")), Ok(99));
    let inner = Arc::new(Map::new(array(1)).unwrap());
    o.set_inner(&k(0), inner.clone()).unwrap();
    // The set finds maps its maps of maps hold.
    assert!(maps.find(inner.handle()).is_some());
    assert!(maps.by_handle(inner.handle()).is_none());
    assert_eq!(run(&maps, &via_outer(o.handle(), "")), Ok(5));
    assert_eq!(run(&maps, &via_outer(o.handle(), "")), Ok(10));
    assert_eq!(inner.lookup(&k(0)), Ok(10u64.to_le_bytes().to_vec()));
    // A handle no map has is a helper error, not a map.
    let stray = format!(
        "stw [%r10-4], 0\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit",
        inner.handle() + 1000
    );
    assert!(run(&maps, &stray).is_err());
}

#[test]
fn an_inner_map_lives_until_the_run_that_looked_it_up_ends() {
    let mut maps = MapSet::new();
    let o = maps.add(outer(MapType::ArrayOfMaps, 4, 1, array(1)));
    let inner = Arc::new(Map::new(array(1)).unwrap());
    let handle = inner.handle();
    o.set_inner(&k(0), inner).unwrap();
    // A host helper (id 28672) that empties the outer map mid-run.
    let held = Arc::new(Mutex::new(Some(o.clone())));
    let h2 = held.clone();
    let extra: Extra = (
        28672,
        Arc::new(move |_, _| {
            let o = h2
                .lock()
                .unwrap()
                .take()
                .ok_or(HelperStop::Error("twice".into()))?;
            o.delete(&0u32.to_le_bytes())
                .map_err(|e| HelperStop::Error(e.to_string()))?;
            Ok(0)
        }),
    );
    let src = via_outer(o.handle(), "call 28672\n");
    assert_eq!(
        run_with(&maps, &HostEnv::default(), Some(extra), &src),
        Ok(5)
    );
    // After the run nothing holds it.
    assert!(maps.find(handle).is_none());
    assert_eq!(run(&maps, &via_outer(o.handle(), "")), Ok(99));
}

#[test]
fn hashes_of_maps_hand_out_inner_maps_too() {
    let mut maps = MapSet::new();
    let o = maps.add(outer(MapType::HashOfMaps, 4, 4, array(1)));
    let inner = Arc::new(Map::new(array(1)).unwrap());
    o.set_inner(&k(0), inner.clone()).unwrap();
    assert_eq!(run(&maps, &via_outer(o.handle(), "")), Ok(5));
}
