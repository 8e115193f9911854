//! clang-built objects with maps, global data and the standard helpers, on every backend: the
//! fixtures in `tests/fixtures/elf/` (their sources and build command beside them).

use oxbpf::{BACKENDS, Loaded, Object, Vm};
use std::sync::{Arc, Mutex};

/// Every build of each fixture: compiler and CPU version (see `build.sh`).
const VERSIONS: [&str; 7] = [
    "clang14-v1",
    "clang14-v2",
    "clang14-v3",
    "clang19-v1",
    "clang19-v2",
    "clang19-v3",
    "clang19-v4",
];

fn fixture(name: &str, version: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/elf/{name}-{version}.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `vm` with the context of every program raw memory: these fixtures' programs (in `xdp`,
/// `socket` and `tracepoint` sections) read their context as bytes, not as the structure
/// their section names.
fn raw_vm(mut vm: Vm) -> Vm {
    vm.use_section_types(false);
    vm
}

fn u32_key(k: u32) -> Vec<u8> {
    k.to_le_bytes().to_vec()
}

fn u64_of(v: &[u8]) -> u64 {
    u64::from_le_bytes(v[..8].try_into().unwrap())
}

/// Every backend and every CPU version of `name`: the VM and the opened object.
fn each(name: &str, mut f: impl FnMut(&str, &Vm, &Object)) {
    for backend in BACKENDS {
        for version in VERSIONS {
            let vm = raw_vm(Vm::new(backend).unwrap());
            let obj = vm.open_elf(&fixture(name, version)).unwrap();
            f(&format!("{backend} {name}-{version}"), &vm, &obj);
        }
    }
}

fn packet(len: u32, first: u8) -> Vec<u8> {
    let mut p = len.to_le_bytes().to_vec();
    p.extend_from_slice(&[first, 0, 0, 0]);
    p
}

#[test]
fn the_object_lists_its_programs_and_maps() {
    let obj = Vm::new("interp")
        .unwrap()
        .open_elf(&fixture("maps", "clang19-v4"))
        .unwrap();
    let programs: Vec<_> = obj.programs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        programs,
        [
            "count_packets",
            "loop_sum",
            "lru_probe",
            "dispatch",
            "target",
            "pop_fifo"
        ]
    );
    let maps: Vec<_> = obj.maps().iter().map(|m| m.name().to_owned()).collect();
    for m in [
        "counts", "totals", "per_cpu", "recent", "events", "fifo", "jump", ".rodata", ".data",
        ".bss",
    ] {
        assert!(maps.iter().any(|n| n == m), "{m} missing from {maps:?}");
    }
    let counts = obj.map("counts").unwrap().def().clone();
    assert_eq!(
        (
            counts.map_type,
            counts.key_size,
            counts.value_size,
            counts.max_entries
        ),
        (oxbpf::MapType::Hash, 4, 8, 64)
    );
    let events = obj.map("events").unwrap().def().clone();
    assert_eq!(
        (events.map_type, events.max_entries),
        (oxbpf::MapType::RingBuf, 4096)
    );
    // `const volatile __u32 scale = 3;` and `__u64 calls = 100;`
    assert_eq!(
        obj.map(".rodata").unwrap().lookup(&u32_key(0)).unwrap()[..4],
        3u32.to_le_bytes()
    );
    assert_eq!(
        u64_of(&obj.map(".data").unwrap().lookup(&u32_key(0)).unwrap()),
        100
    );
}

#[test]
fn count_packets_updates_every_kind_of_map() {
    each("maps", |what, vm, obj| {
        let prog = obj.load(vm, Some("count_packets")).unwrap();
        let lens = [60u32, 1500, 60, 9000, 60];
        for (i, &len) in lens.iter().enumerate() {
            let r = prog.execute(&mut packet(len, i as u8 + 10));
            assert_eq!(r, Ok(u64::from(len) * 3), "{what}: r0");
        }
        let counts = obj.map("counts").unwrap();
        assert_eq!(u64_of(&counts.lookup(&u32_key(60)).unwrap()), 3, "{what}");
        assert_eq!(u64_of(&counts.lookup(&u32_key(1500)).unwrap()), 1, "{what}");
        assert_eq!(counts.lookup(&u32_key(61)), Err(oxbpf::MapError::NotFound));
        let total = obj.map("totals").unwrap().lookup(&u32_key(0)).unwrap();
        assert_eq!(
            u64_of(&total),
            lens.iter().map(|&l| u64::from(l)).sum::<u64>()
        );
        // One value per CPU; this thread ran every packet.
        let per_cpu = obj.map("per_cpu").unwrap().lookup(&u32_key(0)).unwrap();
        let sum: u64 = per_cpu.chunks(8).map(u64_of).sum();
        assert_eq!(sum, 5, "{what}: per-CPU values {per_cpu:?}");
        let data = obj.map(".data").unwrap().lookup(&u32_key(0)).unwrap();
        assert_eq!(u64_of(&data), 105, "{what}: .data");
        let bss = obj.map(".bss").unwrap().lookup(&u32_key(0)).unwrap();
        assert_eq!(u64_of(&bss), 60, "{what}: .bss");
        let mut events = Vec::new();
        obj.map("events")
            .unwrap()
            .drain(|r| events.push(r.to_vec()));
        let expect: Vec<Vec<u8>> = lens
            .iter()
            .enumerate()
            .map(|(i, &l)| [l.to_le_bytes(), (i as u32 + 10).to_le_bytes()].concat())
            .collect();
        assert_eq!(events, expect, "{what}: ring buffer");
        // The queue holds the last 8 lengths pushed; `pop_fifo` takes the oldest.
        let pop = obj.load(vm, Some("pop_fifo")).unwrap();
        let mut ctx = [0u8; 4];
        assert_eq!(pop.execute(&mut ctx), Ok(0));
        assert_eq!(u32::from_le_bytes(ctx), 60, "{what}: queue");
    });
}

#[test]
fn the_host_sets_rodata_before_load() {
    each("maps", |what, vm, obj| {
        obj.map(".rodata")
            .unwrap()
            .update(
                &u32_key(0),
                &{
                    let mut v = obj.map(".rodata").unwrap().lookup(&u32_key(0)).unwrap();
                    v[..4].copy_from_slice(&7u32.to_le_bytes());
                    v
                },
                0,
            )
            .unwrap();
        let prog = obj.load(vm, Some("count_packets")).unwrap();
        assert_eq!(prog.execute(&mut packet(6, 0)), Ok(42), "{what}");
    });
}

#[test]
fn bpf_loop_runs_its_callback() {
    each("maps", |what, vm, obj| {
        let prog = obj.load(vm, Some("loop_sum")).unwrap();
        for (n, sum) in [(0u32, 0u64), (1, 0), (10, 45), (1000, 499_500)] {
            let mut ctx = n.to_le_bytes();
            assert_eq!(prog.execute(&mut ctx), Ok(sum), "{what}: n = {n}");
        }
    });
}

#[test]
fn lru_keeps_the_recent_keys_and_printk_reaches_the_sink() {
    for backend in BACKENDS {
        let mut vm = raw_vm(Vm::new(backend).unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        vm.host_env_mut().trace = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()));
        let obj = vm.open_elf(&fixture("maps", "clang14-v2")).unwrap();
        let prog = obj.load(&vm, Some("lru_probe")).unwrap();
        let present: Vec<u64> = [1u32, 2, 3, 1, 4]
            .iter()
            .map(|k| prog.execute(&mut k.to_le_bytes()).unwrap())
            .collect();
        // Two entries at most; the lookups of keys 0..8 refresh them in key order, so the
        // smaller key is the least recently used when the next one comes.
        assert_eq!(present, [1, 2, 2, 2, 2], "{backend}");
        let keys: Vec<Vec<u8>> = obj
            .map("recent")
            .unwrap()
            .entries()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, [u32_key(3), u32_key(4)], "{backend}");
        assert_eq!(
            lines.lock().unwrap().last().map(String::as_str),
            Some("lru_probe key=4 present=2"),
            "{backend}"
        );
    }
}

#[test]
fn tail_calls_go_through_the_prog_array() {
    each("maps", |what, vm, obj| {
        let dispatch = obj.load(vm, Some("dispatch")).unwrap();
        let target: Loaded = obj.load(vm, Some("target")).unwrap();
        let mut ctx = packet(1, 5);
        assert_eq!(dispatch.execute(&mut ctx), Ok(7), "{what}: empty slot");
        obj.map("jump")
            .unwrap()
            .set_program(1, target.shared_executable())
            .unwrap();
        assert_eq!(dispatch.execute(&mut ctx), Ok(47), "{what}: tail call");
        let mut other = packet(2, 5);
        assert_eq!(dispatch.execute(&mut other), Ok(7), "{what}: other slot");
    });
}

#[test]
fn legacy_maps_and_task_helpers() {
    each("legacy", |what, vm, obj| {
        let prog = obj.load(vm, None).unwrap();
        let run = |key: u32, op: u32, out: &[u8]| {
            let mut c = [key.to_le_bytes(), op.to_le_bytes()].concat();
            let mut o = out.to_vec();
            o.resize(16, 0);
            c.extend_from_slice(&o);
            let r = prog.execute(&mut c).unwrap() as u32 as i32;
            (r, c[8..].to_vec())
        };
        assert_eq!(run(1, 0, &[]).0, 0, "{what}: insert");
        assert_eq!(run(1, 0, &[]).0, -17, "{what}: -EEXIST");
        assert_eq!(run(2, 0, &[]).0, 0, "{what}");
        assert_eq!(run(3, 0, &[]).0, -7, "{what}: -E2BIG when full");
        assert_eq!(run(2, 2, &[]).0, 2 << 8, "{what}: lookup");
        assert_eq!(run(2, 1, &[]).0, 0, "{what}: delete");
        assert_eq!(run(2, 1, &[]).0, -2, "{what}: -ENOENT");
        assert_eq!(run(2, 2, &[]).0, -1, "{what}: gone");
        assert_eq!(run(3, 0, &[]).0, 0, "{what}: room again");
        let (r, out) = run(0, 3, &[]);
        assert_eq!(r, 0);
        let comm = oxbpf::HostEnv::default().comm;
        assert_eq!(out[..15], comm[..15], "{what}: comm");
        let (r, out) = run(0, 4, b"hello, world");
        assert_eq!(r, 8, "{what}: 7 bytes and the NUL");
        assert_eq!(&out[8..16], b"hello, \0", "{what}");
        let (r, _) = run(0, 4, b"hi");
        assert_eq!(r, 3, "{what}");
        assert_eq!(run(7, 5, &[]).0, 807, "{what}: stack pops newest first");
        assert_eq!(run(0, 6, &[]).0, 1, "{what}: pid_tgid");
        // Signed loads, division, remainder, sign extension and byte swap: at -mcpu=v4 these are
        // ldsx, sdiv/smod, movsx and bswap; before v4 clang spells them with unsigned operations.
        for (s8, s16, key) in [
            (-128i8, -32768i16, 0x8000_0001u32),
            (127, 32767, 0x1234_5678),
            (-5, 3, 7),
            (0, -1, 0xffff_ffff),
            (6, 0, 0),
        ] {
            let mut out = [0u8; 16];
            out[0] = s8 as u8;
            out[2..4].copy_from_slice(&s16.to_le_bytes());
            let (r, out) = run(key, 7, &out);
            let a = i32::from(s8) * 1000 + i32::from(s16);
            assert_eq!(r, (a / -7) * 10 + a % -7, "{what}: signed {s8} {s16}");
            assert_eq!(out[4..8], key.swap_bytes().to_le_bytes(), "{what}: bswap");
            let wide = i64::from(key.wrapping_mul(3) as i32) >> 1;
            assert_eq!(out[8..16], wide.to_le_bytes(), "{what}: sign extension");
        }
    });
}

#[test]
fn rodata_is_read_only_to_programs() {
    // `weigh` reads `scale` through the `.rodata` address; a store to that address traps. The
    // store goes through a number, which the verifier refuses, so this VM does not verify: the
    // run-time check is what is tested.
    let config = oxbpf::Config {
        verify: false,
        ..oxbpf::Config::default()
    };
    let vm = raw_vm(Vm::with_config("interp", config).unwrap());
    let obj = vm.open_elf(&fixture("maps", "clang19-v4")).unwrap();
    let rodata = obj.map(".rodata").unwrap();
    let addr = rodata.value_addr(0).unwrap();
    let write = oxbpf::Program::from_asm(
        &format!("lddw %r1, {addr:#x}\nstw [%r1], 9\nmov %r0, 0\nexit"),
        vm.config(),
        vm.helpers(),
    )
    .unwrap()
    .with_shared(obj.maps().regions());
    let trap = vm
        .load_program(write)
        .unwrap()
        .execute(&mut [])
        .unwrap_err();
    assert_eq!(trap.code(), oxbpf::TrapCode::OutOfBounds);
    assert_eq!(trap.pc, 2);
}

/// Objects mutated from the clang fixtures (bytes overwritten, truncated, or both) open, load and
/// run under a budget, or fail with an error; nothing panics.
#[test]
fn mutated_clang_objects_never_panic() {
    let seeds = [
        fixture("maps", "clang19-v4"),
        fixture("legacy", "clang14-v1"),
    ];
    let config = oxbpf::Config {
        instruction_budget: Some(5_000),
        ..oxbpf::Config::default()
    };
    let vm = raw_vm(Vm::with_config("interp", config).unwrap());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut opened, mut ran) = (0u32, 0u32);
    for i in 0..4_000u32 {
        let mut bytes = seeds[(i % 2) as usize].clone();
        let mode = next() % 3;
        if mode != 1 {
            for _ in 0..1 + next() % 6 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
        }
        if mode != 0 {
            bytes.truncate((next() % bytes.len() as u64) as usize);
        }
        let Ok(obj) = vm.open_elf(&bytes) else {
            continue;
        };
        opened += 1;
        for p in obj.programs() {
            if let Ok(prog) = obj.load(&vm, Some(&p.name)) {
                let _ = prog.execute(&mut [8u8; 24]);
                ran += 1;
            }
        }
    }
    assert!(opened > 500, "{opened} opened");
    assert!(ran > 500, "{ran} ran");
}

#[test]
fn several_programs_in_one_section_share_its_sub_programs_and_maps() {
    each("multi", |what, vm, obj| {
        let names: Vec<_> = obj.programs().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["first", "second"], "{what}");
        let first = obj.load(vm, Some("first")).unwrap();
        let second = obj.load(vm, Some("second")).unwrap();
        let mut ctx = [5u8, 9];
        assert_eq!(first.execute(&mut ctx), Ok(5 + 1000), "{what}: first");
        assert_eq!(first.execute(&mut ctx), Ok(5 + 2000), "{what}: first again");
        assert_eq!(second.execute(&mut ctx), Ok(27 + 1000), "{what}: second");
        let hits = obj.map("hits").unwrap();
        assert_eq!(u64_of(&hits.lookup(&u32_key(0)).unwrap()), 2, "{what}");
        assert_eq!(u64_of(&hits.lookup(&u32_key(1)).unwrap()), 1, "{what}");
    });
}

#[test]
fn global_functions_of_text_are_programs() {
    each("text", |what, vm, obj| {
        let names: Vec<_> = obj.programs().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["mix_words", "sum_words"], "{what}");
        let words = [3u32, 4, 100, 1000];
        let mut ctx: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mix = |a: u32, b: u32| u64::from(a * 31 + b);
        let p = obj.load(vm, Some("mix_words")).unwrap();
        assert_eq!(p.execute(&mut ctx), Ok(mix(3, 4)), "{what}: mix_words");
        let p = obj.load(vm, Some("sum_words")).unwrap();
        assert_eq!(p.execute(&mut ctx), Ok(mix(1107, 7)), "{what}: sum_words");
    });
}

#[test]
fn pinning_is_part_of_a_maps_definition() {
    let bytes = fixture("pinned", "clang14-v3");
    let elf = oxbpf::ElfObject::parse(&bytes).unwrap();
    let pinning: Vec<_> = elf
        .maps()
        .iter()
        .map(|m| (m.name().to_owned(), m.def.pinning))
        .collect();
    assert_eq!(
        pinning,
        [
            ("shared_counts".to_owned(), oxbpf::Pinning::ByName),
            ("own_state".to_owned(), oxbpf::Pinning::None),
        ]
    );
    // The pinned map works like any other, on every backend.
    for backend in BACKENDS {
        let vm = raw_vm(Vm::new(backend).unwrap());
        let obj = vm.open_elf(&bytes).unwrap();
        let prog = obj.load(&vm, Some("count")).unwrap();
        assert_eq!(prog.execute(&mut []).unwrap(), 0, "{backend}: first run");
        assert_eq!(prog.execute(&mut []).unwrap(), 1, "{backend}: second run");
        let counts = obj.map("shared_counts").unwrap();
        let v = counts.lookup(&u32_key(0)).unwrap();
        assert_eq!(u64_of(&v), 2, "{backend}");
    }
    // A value libbpf does not know is refused, naming the map.
    let e = oxbpf::ElfObject::parse(&fixture("pinned-bad", "clang14-v3")).unwrap_err();
    assert!(e.to_string().contains("map `odd`: pinning 2"), "{e}");
}
