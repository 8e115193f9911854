//! Maps read-only to programs (`BPF_F_RDONLY_PROG`) from every place a map comes from: a BTF
//! `.maps` definition and a legacy `maps` definition in a clang-built object
//! (`tests/fixtures/elf/rdonly.c`), and a map the host creates. Verified, a program that reads
//! them loads and one that writes them (a store, an atomic, a helper that changes the map) is
//! refused, naming the map; unverified, every backend stops the write the same way (a trap, or
//! the helper's `-EPERM`) and the map keeps its value.

use oxbpf::isa::{Imm64Kind, Insn};
use oxbpf::{
    BACKENDS, Config, Error, Map, MapDef, MapSet, MapType, Trap, TrapKind, Vm, asm::assemble,
};

const OBJECT: &[u8] = include_bytes!("fixtures/elf/rdonly-clang14-v3.o");
/// The value the host puts in every read-only map before programs run.
const VALUE: u64 = 7;
/// `-EPERM`, as the program's C `int` result.
const EPERM: i32 = -1;

/// A VM on `backend`, verifying or not. The fixture's programs are in `xdp` sections but do
/// not read their context (they would be XDP programs, always verified): raw memory.
fn vm(backend: &str, verify: bool) -> Vm {
    let config = Config {
        verify,
        ..Config::default()
    };
    let mut vm = Vm::with_config(backend, config).unwrap();
    vm.use_section_types(false);
    vm
}

fn key() -> [u8; 4] {
    0u32.to_le_bytes()
}

/// The verifier's refusal of `r`, which must name map `map` as read-only.
fn assert_refused(r: Result<oxbpf::Loaded, Error>, map: &str, what: &str) {
    match r {
        Err(Error::Verify(e)) => assert!(
            e.reason.contains(&format!("map `{map}`")) && e.reason.contains("read-only"),
            "{what}: {e}"
        ),
        Err(e) => panic!("{what}: refused for another reason: {e}"),
        Ok(_) => panic!("{what}: accepted"),
    }
}

/// Whether `r` is an out-of-bounds write trap.
fn is_write_trap(r: &Result<u64, Trap>) -> bool {
    matches!(r, Err(t) if matches!(t.kind, TrapKind::OutOfBounds { access: oxbpf::Access::Write, .. }))
}

#[test]
fn read_only_maps_of_an_object_are_read_but_never_written() {
    for backend in BACKENDS {
        for verify in [true, false] {
            let vm = vm(backend, verify);
            let obj = vm.open_elf(OBJECT).unwrap();
            for name in ["config", "limits"] {
                obj.map(name)
                    .unwrap()
                    .update(&key(), &VALUE.to_le_bytes(), 0)
                    .unwrap();
            }
            let what = |p: &str| format!("{p} on {backend}, verify {verify}");
            let read = obj.load(&vm, Some("read_config")).unwrap();
            assert_eq!(read.execute(&mut [0; 16]), Ok(VALUE), "{}", what("read"));
            for (program, map) in [
                ("store_config", "config"),
                ("store_limits", "limits"),
                ("update_config", "config"),
            ] {
                let loaded = obj.load(&vm, Some(program));
                if verify {
                    assert_refused(loaded, map, &what(program));
                    continue;
                }
                let r = loaded.unwrap().execute(&mut [0; 16]);
                if program == "update_config" {
                    assert_eq!(r.map(|v| v as i32), Ok(EPERM), "{}", what(program));
                } else {
                    assert!(is_write_trap(&r), "{}: {r:?}", what(program));
                }
            }
            for name in ["config", "limits"] {
                let v = obj.map(name).unwrap().lookup(&key()).unwrap();
                assert_eq!(v, VALUE.to_le_bytes(), "{} kept", what(name));
            }
        }
    }
}

#[test]
fn a_host_map_read_only_to_programs_is_never_written() {
    let program = |body: &str| -> Vec<Insn> {
        assemble(&format!(
            "stw [%r10-4], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\n\
             jeq %r0, 0, +{}\n{body}mov %r0, 0\nexit\n",
            body.lines().count()
        ))
        .unwrap()
    };
    let store = program("stdw [%r0], 42\n");
    let atomic = program("mov %r1, 1\nlock add [%r0], %r1\n");
    let delete = assemble(
        "stw [%r10-4], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -4\ncall 3\nexit\n",
    )
    .unwrap();
    assert!(matches!(
        delete[1],
        Insn::LoadImm64 {
            kind: Imm64Kind::MapIdx,
            ..
        }
    ));
    // A hash map, so that a delete would have something to remove.
    let def = MapDef::new("ro", MapType::Hash, 4, 8, 1).with_flags(oxbpf::BPF_F_RDONLY_PROG);
    for backend in BACKENDS {
        for verify in [true, false] {
            let mut maps = MapSet::new();
            let map = maps.add(Map::new(def.clone()).unwrap());
            map.update(&key(), &VALUE.to_le_bytes(), 0).unwrap();
            let vm = vm(backend, verify);
            let what = |p: &str| format!("{p} on {backend}, verify {verify}");
            for (name, insns) in [("store", &store), ("atomic", &atomic)] {
                let loaded = vm.load_with_maps(insns.clone(), &maps);
                if verify {
                    assert_refused(loaded, "ro", &what(name));
                } else {
                    let r = loaded.unwrap().execute(&mut []);
                    assert!(is_write_trap(&r), "{}: {r:?}", what(name));
                }
            }
            let loaded = vm.load_with_maps(delete.clone(), &maps);
            if verify {
                assert_refused(loaded, "ro", &what("delete"));
            } else {
                let r = loaded.unwrap().execute(&mut []);
                assert_eq!(r.map(|v| v as i32), Ok(EPERM), "{}", what("delete"));
            }
            assert_eq!(
                map.lookup(&key()).unwrap(),
                VALUE.to_le_bytes(),
                "{}",
                what("kept")
            );
        }
    }
}
