//! `bpf_spin_lock` and cgroup storage, in the shape of the kernel samples' host bandwidth
//! manager (`tests/fixtures/realworld/bandwidth.c`): a cgroup_skb program counting its cgroup's
//! bytes against a budget in `bpf_get_local_storage`'s value and per-flow counters in a hash
//! map, each under its value's lock. Run on every backend over generated packets against a
//! model, and from several threads at once, where only the locks keep the counts exact; the
//! host sees each value's lock as zeros and its copies never change it.

use oxbpf::context::PacketContext;
use oxbpf::{BACKENDS, Loaded, Object, ProgramType, Vm};

const BUDGET: u64 = 1 << 20;

fn fixture() -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/realworld/bandwidth.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The cgroup storage key of the host's cgroup (1) and attach type 0, as the first run
/// created it.
fn queue_key() -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&1u64.to_le_bytes());
    k
}

/// `(bytes, packets, dropped)` of the queue state, whose lock must read as zeros.
fn queue(obj: &Object) -> (u64, u64, u64) {
    let v = obj.map("queue").unwrap().lookup(&queue_key()).unwrap();
    assert_eq!(v[..4], [0; 4], "the lock reads as zeros");
    (word(&v, 8), word(&v, 16), word(&v, 24))
}

/// `(bytes, packets)` of flow `key`.
fn flow(obj: &Object, key: u32) -> Option<(u64, u64)> {
    let v = obj.map("flows").unwrap().lookup(&key.to_le_bytes()).ok()?;
    assert_eq!(v[8..12], [0; 4], "the lock reads as zeros");
    Some((
        word(&v, 0),
        u64::from(u32::from_le_bytes(v[12..16].try_into().unwrap())),
    ))
}

fn run(prog: &Loaded, len: usize, mark: u32) -> u64 {
    let mut ctx = PacketContext::new(ProgramType::CgroupSkb, &vec![0x42; len]).unwrap();
    ctx.set_field("mark", u64::from(mark)).unwrap();
    ctx.run(prog).unwrap()
}

#[test]
fn packets_are_counted_against_the_budget_under_the_locks_on_every_backend() {
    for backend in BACKENDS {
        let vm = Vm::new(backend).unwrap();
        let obj = vm.open_elf(&fixture()).unwrap();
        let prog = obj.load(&vm, Some("hbm_egress")).unwrap();
        let mut rng = oxbpf_test_support::rng::Rng(0x1234_5678_9abc_def1);
        let (mut bytes, mut packets, mut dropped) = (0u64, 0u64, 0u64);
        let mut flows = std::collections::BTreeMap::<u32, (u64, u64)>::new();
        for case in 0..2000 {
            let len = 60 + rng.below(1440) as usize;
            let mark = rng.next_u64() as u32;
            let allow = if bytes + len as u64 > BUDGET {
                dropped += 1;
                0
            } else {
                bytes += len as u64;
                packets += 1;
                1
            };
            let f = flows.entry(mark & 0xff).or_default();
            f.0 += len as u64;
            f.1 += 1;
            assert_eq!(run(&prog, len, mark), allow, "{backend} case {case}");
        }
        assert!(dropped > 100 && packets > 100, "{dropped} {packets}");
        assert_eq!(queue(&obj), (bytes, packets, dropped), "{backend}");
        for (k, f) in &flows {
            assert_eq!(flow(&obj, *k), Some(*f), "{backend} flow {k}");
        }
        // The host's update of a flow leaves its lock alone, and its lookup shows zeros there.
        let mut v = vec![0u8; 16];
        v[..8].copy_from_slice(&7u64.to_le_bytes());
        v[8..12].copy_from_slice(&[0xff; 4]);
        let flows_map = obj.map("flows").unwrap();
        flows_map.update(&3u32.to_le_bytes(), &v, 0).unwrap();
        assert_eq!(flow(&obj, 3), Some((7, 0)), "{backend}");
        // The lock is free: a run takes and releases it.
        assert_eq!(run(&prog, 60, 3), 0, "{backend}: over budget by now");
        assert_eq!(flow(&obj, 3), Some((67, 1)), "{backend}");
    }
}

#[test]
fn runs_on_several_threads_lose_no_update() {
    const THREADS: u32 = 4;
    const RUNS: u64 = 3000;
    const LEN: u64 = 100;
    for backend in BACKENDS {
        let vm = Vm::new(backend).unwrap();
        let obj = vm.open_elf(&fixture()).unwrap();
        let prog = obj.load(&vm, Some("hbm_egress")).unwrap();
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let prog = &prog;
                s.spawn(move || {
                    for _ in 0..RUNS {
                        run(prog, LEN as usize, t);
                    }
                });
            }
        });
        // Whatever the interleaving, the budget admits exactly this many packets.
        let total = u64::from(THREADS) * RUNS;
        let admitted = BUDGET / LEN;
        assert_eq!(
            queue(&obj),
            (admitted * LEN, admitted, total - admitted),
            "{backend}"
        );
        for t in 0..THREADS {
            assert_eq!(
                flow(&obj, t),
                Some((RUNS * LEN, RUNS)),
                "{backend} flow {t}"
            );
        }
    }
}

#[test]
fn maps_that_may_not_hold_a_lock_are_refused() {
    use oxbpf::{Map, MapDef, MapType};
    let mut def = MapDef::new("m", MapType::PercpuArray, 4, 16, 4);
    def.spin_lock = Some(0);
    let err = Map::new(def).unwrap_err().to_string();
    assert!(err.contains("may not hold a bpf_spin_lock"), "{err}");
    let mut def = MapDef::new("m", MapType::Hash, 4, 16, 4);
    def.spin_lock = Some(14);
    let err = Map::new(def).unwrap_err().to_string();
    assert!(err.contains("bpf_spin_lock at byte 14"), "{err}");
}
