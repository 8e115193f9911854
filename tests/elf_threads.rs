//! One object's maps shared by programs running on 8 threads at once, on every backend: atomic
//! updates are all counted, and nothing else is lost or torn.

use oxbpf::{BACKENDS, Vm};

const THREADS: u32 = 8;
const RUNS: u32 = 2000;

fn key(k: u32) -> Vec<u8> {
    k.to_le_bytes().to_vec()
}

fn u64_of(v: &[u8]) -> u64 {
    u64::from_le_bytes(v[..8].try_into().unwrap())
}

#[test]
fn eight_threads_share_the_maps() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/elf/maps-clang19-v4.o"
    );
    let bytes = std::fs::read(path).unwrap();
    for backend in BACKENDS {
        let mut vm = Vm::new(backend).unwrap();
        // `count_packets` reads the context of its `xdp` section as raw memory.
        vm.use_section_types(false);
        let obj = vm.open_elf(&bytes).unwrap();
        let prog = obj.load(&vm, Some("count_packets")).unwrap();
        let counts = obj.map("counts").unwrap();
        // Present before the threads start, so every run takes the atomic path.
        for t in 0..THREADS {
            counts.update(&key(t), &0u64.to_le_bytes(), 0).unwrap();
        }
        let events = obj.map("events").unwrap();
        let drained = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let prog = &prog;
                s.spawn(move || {
                    for i in 0..RUNS {
                        let mut ctx = [t.to_le_bytes(), [i as u8, 0, 0, 0]].concat();
                        assert_eq!(prog.execute(&mut ctx), Ok(u64::from(t) * 3));
                    }
                });
            }
            // A consumer drains the ring buffer while the producers run.
            s.spawn(|| {
                for _ in 0..200 {
                    events.drain(|r| drained.lock().unwrap().push(r.to_vec()));
                    std::thread::yield_now();
                }
            });
        });
        events.drain(|r| drained.lock().unwrap().push(r.to_vec()));
        for t in 0..THREADS {
            let n = u64_of(&counts.lookup(&key(t)).unwrap());
            assert_eq!(n, u64::from(RUNS), "{backend}: count of {t}");
        }
        let total = u64_of(&obj.map("totals").unwrap().lookup(&key(0)).unwrap());
        let expect: u64 = (0..THREADS).map(|t| u64::from(t * RUNS)).sum();
        assert_eq!(total, expect, "{backend}: totals");
        let calls = u64_of(&obj.map(".data").unwrap().lookup(&key(0)).unwrap());
        assert_eq!(calls, 100 + u64::from(THREADS * RUNS), "{backend}: .data");
        // Every record is whole: a thread's length and one of its run numbers.
        let drained = drained.into_inner().unwrap();
        assert!(!drained.is_empty(), "{backend}: no records");
        for r in &drained {
            let len = u32::from_le_bytes(r[..4].try_into().unwrap());
            let first = u32::from_le_bytes(r[4..8].try_into().unwrap());
            assert!(len < THREADS && first < 256, "{backend}: torn record {r:?}");
        }
        let per_cpu = obj.map("per_cpu").unwrap().lookup(&key(0)).unwrap();
        let sum: u64 = per_cpu.chunks(8).map(u64_of).sum();
        assert!(
            sum <= u64::from(THREADS * RUNS) && sum > 0,
            "{backend}: per-CPU {sum}"
        );
    }
}
