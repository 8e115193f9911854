//! The maps a case runs over: their specs, and the world of one run, created and filled afresh.

use crate::harness::MAP_CANARY;
use oxbpf::{Map, MapDef, MapSet, MapType};
use std::sync::Arc;

/// The first key of a hash map's spare entries.
const SPARE_KEY: u32 = 100;

/// A map a case uses, created afresh (and filled: see [`World::new`]) for every run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MapSpec {
    ty: MapType,
    key: u32,
    value: u32,
    entries: u32,
    flags: u32,
}

const fn spec(ty: MapType, key: u32, value: u32, entries: u32) -> MapSpec {
    MapSpec {
        ty,
        key,
        value,
        entries,
        flags: 0,
    }
}

/// 8 values of 16 bytes: value 0 is the program's, the others canaries.
pub(crate) const fn array() -> MapSpec {
    spec(MapType::Array, 4, 16, 8)
}

/// Key 0 (the program's) and two spare keys, 16-byte values.
pub(crate) const fn hash() -> MapSpec {
    spec(MapType::Hash, 4, 16, 8)
}

/// A FIFO holding two values, each the address of map 0's last value.
pub(crate) const fn queue(value: u32) -> MapSpec {
    spec(MapType::Queue, 0, value, 8)
}

/// A LIFO holding two values, as [`queue`].
pub(crate) const fn lifo(value: u32) -> MapSpec {
    spec(MapType::Stack, 0, value, 8)
}

pub(crate) const fn ring() -> MapSpec {
    spec(MapType::RingBuf, 0, 0, 4096)
}

pub(crate) const fn prog_array() -> MapSpec {
    spec(MapType::ProgArray, 4, 4, 4)
}

impl MapSpec {
    /// The same map, read-only to programs (`BPF_F_RDONLY_PROG`).
    pub(crate) const fn read_only(mut self) -> MapSpec {
        self.flags |= 0x80;
        self
    }

    pub(crate) fn is_read_only(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// Whether the entry with `key` is a canary (no program may change it).
    pub(crate) fn is_canary(&self, key: &[u8]) -> bool {
        let k = key
            .get(..4)
            .map_or(0, |k| u32::from_le_bytes(k.try_into().unwrap_or_default()));
        match self.ty {
            MapType::Array => k != 0,
            MapType::Hash => k >= SPARE_KEY,
            _ => false,
        }
    }
}

/// The maps of one run.
pub(crate) struct World {
    pub(crate) set: MapSet,
    pub(crate) maps: Vec<Arc<Map>>,
    specs: Vec<MapSpec>,
}

impl World {
    /// Creates and fills the maps: an array's value 0 and a hash map's key 0 are zeroed, their
    /// other entries canaries; queues and stacks hold two copies of [`World::aim`].
    pub(crate) fn new(specs: &[MapSpec]) -> World {
        let mut set = MapSet::new();
        let maps: Vec<Arc<Map>> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let def = MapDef::new(format!("map{i}"), s.ty, s.key, s.value, s.entries);
                set.add(Map::new(def.with_flags(s.flags)).expect("map definition"))
            })
            .collect();
        let world = World {
            set,
            maps,
            specs: specs.to_vec(),
        };
        let aim = world.aim().to_le_bytes();
        for (m, s) in world.maps.iter().zip(specs) {
            let value = |byte: u8| vec![byte; s.value as usize];
            match s.ty {
                MapType::Array => {
                    for k in 0..s.entries {
                        let byte = if k == 0 { 0 } else { MAP_CANARY };
                        m.update(&k.to_le_bytes(), &value(byte), 0).expect("array");
                    }
                }
                MapType::Hash => {
                    for (k, byte) in [(0, 0), (SPARE_KEY, MAP_CANARY), (SPARE_KEY + 1, MAP_CANARY)]
                    {
                        m.update(&u32::to_le_bytes(k), &value(byte), 0)
                            .expect("hash");
                    }
                }
                MapType::Queue | MapType::Stack => {
                    let v: Vec<u8> = (0..s.value as usize).map(|i| aim[i % 8]).collect();
                    m.push(&v, 0).expect("queue");
                    m.push(&v, 0).expect("queue");
                }
                _ => {}
            }
        }
        world
    }

    /// The address of map 0's last value when map 0 is an array (else 0): where attacks on maps
    /// aim.
    pub(crate) fn aim(&self) -> u64 {
        match (self.maps.first(), self.specs.first()) {
            (Some(m), Some(s)) if s.ty == MapType::Array => {
                let stride = u64::from(s.value.next_multiple_of(8));
                m.value_addr(0).unwrap_or(0) + stride * u64::from(s.entries - 1)
            }
            _ => 0,
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        self.maps.iter().map(|m| m.entries()).collect()
    }
}
