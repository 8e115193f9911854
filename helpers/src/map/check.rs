//! Which definitions make a map: Linux's `map_alloc_check` / `map_alloc` rules for each type,
//! with its errnos, and [`MAX_MAP_BYTES`] for what a map would allocate up front.

use super::def::{
    BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
    BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BPF_F_ZERO_SEED,
    MAX_MAP_BYTES, MapDef, MapError, MapType, access_ok, invalid, round8,
};
use super::{bloom, cgroup_storage, of_maps, stacks, targets};

/// Largest key of a hash map: programs build keys on their stack (Linux's `MAX_BPF_STACK`).
const MAX_KEY: u32 = 512;
/// Linux's `KMALLOC_MAX_SIZE` on x86-64 (4 MiB): bounds single values.
const KMALLOC_MAX_SIZE: u32 = 1 << 22;
/// Linux's `PCPU_MIN_UNIT_SIZE`: bounds per-CPU values.
const PCPU_MIN_UNIT_SIZE: usize = 32 * 1024;
/// Most data bytes of an LPM trie key (`LPM_DATA_SIZE_MAX`).
const LPM_DATA_SIZE_MAX: u32 = 256;
/// Largest LPM trie value (`LPM_VAL_SIZE_MAX`: `KMALLOC_MAX_SIZE` less the largest data and a
/// 40-byte node header).
const LPM_VAL_SIZE_MAX: u32 = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - 40;

/// `Err(EINVAL: what)` unless `ok`.
fn want(ok: bool, what: &str) -> Result<(), MapError> {
    if ok { Ok(()) } else { Err(invalid(what)) }
}

/// `EINVAL` for flags outside `mask`.
fn flags_in(d: &MapDef, mask: u32) -> Result<(), MapError> {
    want(
        d.flags & !mask == 0,
        &format!(
            "map flags {:#x} include some a {} map does not take",
            d.flags,
            d.map_type.name()
        ),
    )
}

/// `ENOMEM` (as [`MapError::TooLarge`]) when `bytes` exceed [`MAX_MAP_BYTES`].
fn bounded(bytes: u64) -> Result<(), MapError> {
    if bytes > MAX_MAP_BYTES {
        Err(MapError::TooLarge(bytes))
    } else {
        Ok(())
    }
}

/// Checks `d` as Linux checks a map's attributes, before anything is allocated.
pub(crate) fn check_def(d: &MapDef) -> Result<(), MapError> {
    match (&d.inner, d.map_type.holds_maps()) {
        (None, true) => {
            return Err(invalid(
                "a map of maps needs the definition of its inner maps",
            ));
        }
        (Some(_), false) => return Err(invalid("only maps of maps hold maps")),
        (Some(t), true) => {
            of_maps::check_template(t)?;
            check_def(t)?;
        }
        (None, false) => {}
    }
    if let Some(l) = d.spin_lock {
        // Linux's `map_check_btf`: hash, array and cgroup storage maps may hold one.
        want(
            matches!(
                d.map_type,
                MapType::Hash | MapType::Array | MapType::CgroupStorage
            ),
            &format!(
                "a {} map's values may not hold a bpf_spin_lock",
                d.map_type.name()
            ),
        )?;
        want(
            l % 4 == 0 && u64::from(l) + 4 <= u64::from(d.value_size),
            &format!(
                "a bpf_spin_lock at byte {l} of a {}-byte value",
                d.value_size
            ),
        )?;
    }
    match d.map_type {
        // Entries exist per attached cgroup: Linux requires 0.
        MapType::CgroupStorage | MapType::PercpuCgroupStorage => {
            want(d.max_entries == 0, "cgroup storage takes max_entries 0")?
        }
        // 0: one entry per CPU, as libbpf makes it.
        MapType::PerfEventArray => {}
        _ => want(d.max_entries > 0, "max_entries must not be 0")?,
    }
    let fd_flags = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
    let four_or_eight = d.value_size == 4 || d.value_size == 8;
    match d.map_type {
        MapType::Array | MapType::PercpuArray | MapType::ProgArray => {
            want(d.key_size == 4, "array keys are 4 bytes")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            if d.map_type == MapType::ProgArray {
                want(d.value_size == 4, "prog array values are 4 bytes")?;
            }
        }
        MapType::Hash | MapType::PercpuHash | MapType::LruHash => {
            want(d.key_size > 0, "key_size must not be 0")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            want(d.key_size <= MAX_KEY, "key_size above 512")?;
        }
        MapType::LruPercpuHash => {
            flags_in(
                d,
                BPF_F_NO_PREALLOC
                    | BPF_F_NO_COMMON_LRU
                    | BPF_F_NUMA_NODE
                    | BPF_F_ACCESS_MASK
                    | BPF_F_ZERO_SEED,
            )?;
            want(access_ok(d.flags), "read-only and write-only to programs")?;
            if d.flags & BPF_F_NO_PREALLOC != 0 {
                return Err(MapError::Unsupported(
                    "LRU maps are always preallocated".into(),
                ));
            }
            want(d.key_size > 0, "key_size must not be 0")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            if d.key_size > MAX_KEY || round8(d.value_size as usize) > PCPU_MIN_UNIT_SIZE {
                return Err(MapError::Full);
            }
        }
        MapType::Queue | MapType::Stack => {
            want(d.key_size == 0, "queue and stack maps have no key")?;
            want(d.value_size > 0, "value_size must not be 0")?;
        }
        MapType::RingBuf => {
            want(
                d.key_size == 0 && d.value_size == 0,
                "ring buffers have no key or value size",
            )?;
            want(
                d.max_entries.is_power_of_two() && d.max_entries >= 4096,
                "a ring buffer's size must be a power of two of at least 4096 bytes",
            )?;
        }
        MapType::PerfEventArray | MapType::CgroupArray => {
            let preserve = if d.map_type == MapType::PerfEventArray {
                BPF_F_PRESERVE_ELEMS
            } else {
                0
            };
            flags_in(d, fd_flags | preserve)?;
            want(d.key_size == 4, "array keys are 4 bytes")?;
            want(d.value_size == 4, "the values are 4-byte handles")?;
        }
        MapType::ArrayOfMaps => {
            flags_in(d, fd_flags | BPF_F_INNER_MAP)?;
            want(d.key_size == 4, "array keys are 4 bytes")?;
            want(d.value_size == 4, "the values are 4-byte map ids")?;
        }
        MapType::HashOfMaps => {
            flags_in(
                d,
                BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED,
            )?;
            want(d.key_size > 0, "key_size must not be 0")?;
            want(d.value_size == 4, "the values are 4-byte map ids")?;
            if d.key_size > MAX_KEY {
                return Err(MapError::Full);
            }
        }
        MapType::StackTrace => {
            flags_in(d, fd_flags | BPF_F_STACK_BUILD_ID)?;
            want(
                d.flags & BPF_F_STACK_BUILD_ID == 0,
                "stack maps of build ids are not supported",
            )?;
            want(d.key_size == 4, "stack ids are 4 bytes")?;
            want(
                d.value_size >= 8 && d.value_size.is_multiple_of(8),
                "stack values are a multiple of 8 bytes",
            )?;
            want(
                d.value_size / 8 <= stacks::PERF_MAX_STACK,
                "stack values above 127 frames",
            )?;
            bounded(u64::from(d.max_entries) * (u64::from(d.value_size) + 16))?;
        }
        MapType::LpmTrie => {
            want(
                d.flags & BPF_F_NO_PREALLOC != 0,
                "LPM tries require BPF_F_NO_PREALLOC",
            )?;
            flags_in(d, BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK)?;
            want(access_ok(d.flags), "read-only and write-only to programs")?;
            want(
                (5..=4 + LPM_DATA_SIZE_MAX).contains(&d.key_size),
                "LPM keys are a 4-byte prefix length and 1 to 256 data bytes",
            )?;
            want(
                (1..=LPM_VAL_SIZE_MAX).contains(&d.value_size),
                "LPM value size out of range",
            )?;
        }
        MapType::DevMap | MapType::DevMapHash => {
            flags_in(d, fd_flags)?;
            want(d.key_size == 4, "device map keys are 4 bytes")?;
            want(
                four_or_eight,
                "device map values are an ifindex or struct bpf_devmap_val",
            )?;
            if d.map_type == MapType::DevMapHash {
                want(d.max_entries <= 1 << 31, "device hash above 2^31 entries")?;
            }
        }
        MapType::CpuMap => {
            flags_in(d, BPF_F_NUMA_NODE)?;
            want(d.key_size == 4, "CPU map keys are 4 bytes")?;
            want(
                four_or_eight,
                "CPU map values are a queue size or struct bpf_cpumap_val",
            )?;
            if d.max_entries > targets::NR_CPUS {
                return Err(MapError::Full);
            }
        }
        MapType::XskMap => {
            flags_in(d, fd_flags)?;
            want(
                d.key_size == 4 && d.value_size == 4,
                "XSKMAP keys and values are 4 bytes",
            )?;
        }
        MapType::SockMap | MapType::SockHash => {
            flags_in(d, fd_flags)?;
            want(four_or_eight, "socket map values are 4 or 8 bytes")?;
            if d.map_type == MapType::SockMap {
                want(d.key_size == 4, "socket map keys are 4 bytes")?;
            } else {
                want(d.key_size > 0, "key_size must not be 0")?;
                if d.key_size > MAX_KEY {
                    return Err(MapError::Full);
                }
            }
        }
        MapType::CgroupStorage | MapType::PercpuCgroupStorage => {
            want(
                d.key_size == 16 || d.key_size == 8,
                "cgroup storage keys are struct bpf_cgroup_storage_key (16 bytes) or a u64 id",
            )?;
            want(d.value_size > 0, "value_size must not be 0")?;
            let max = if d.map_type == MapType::CgroupStorage {
                cgroup_storage::CGROUP_STORAGE_MAX_VALUE
            } else {
                cgroup_storage::PERCPU_CGROUP_STORAGE_MAX_VALUE
            };
            if d.value_size > max {
                return Err(MapError::Full);
            }
            flags_in(d, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK)?;
            want(access_ok(d.flags), "read-only and write-only to programs")?;
        }
        MapType::BloomFilter => {
            if d.value_size > KMALLOC_MAX_SIZE {
                return Err(MapError::Full);
            }
            want(d.key_size == 0, "bloom filters have no key")?;
            want(d.value_size > 0, "value_size must not be 0")?;
            flags_in(d, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK)?;
            want(access_ok(d.flags), "read-only and write-only to programs")?;
            bounded(bloom::bitset_bytes(d.max_entries))?;
        }
    }
    Ok(())
}
