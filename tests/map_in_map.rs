//! Maps of maps: a lookup in an array or hash of maps gives one of the maps it holds, which
//! the program then looks up in; the verifier types it as a map of the outer map's template
//! and refuses using it before a null check or as memory. Every backend, verified.

use oxbpf::asm::assemble;
use oxbpf::{BACKENDS, Map, MapDef, MapSet, MapType, Vm};
use std::sync::Arc;

/// outer[0] is a map; returns inner[3] + 1000, or 1 when outer[0] holds none, 2 when inner[3]
/// is missing.
const LOOKUP_TWICE: &str = "
    stw [%r10-4], 0
    lddw %r1, map_idx 0
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, no_map
    mov %r1, %r0
    stw [%r10-8], 3
    mov %r2, %r10
    add %r2, -8
    call 1
    jeq %r0, 0, no_value
    ldxdw %r0, [%r0]
    add %r0, 1000
    exit
no_map:
    mov %r0, 1
    exit
no_value:
    mov %r0, 2
    exit
";

fn outer(kind: MapType) -> (MapSet, Arc<Map>, MapDef) {
    let inner = MapDef::new("inner", MapType::Array, 4, 8, 8);
    let mut def = MapDef::new("outer", kind, 4, 4, 4);
    def.inner = Some(Box::new(inner.clone()));
    let mut set = MapSet::new();
    let outer = set.add(Map::new(def).unwrap());
    (set, outer, inner)
}

#[test]
fn a_program_looks_up_in_the_map_a_map_of_maps_holds() {
    for (backend, verify) in BACKENDS.iter().flat_map(|b| [(*b, true), (*b, false)]) {
        for kind in [MapType::ArrayOfMaps, MapType::HashOfMaps] {
            let (set, outer, inner) = outer(kind);
            let mut vm = Vm::new(backend).unwrap();
            vm.config_mut().verify = verify;
            let prog = vm
                .load_with_maps(assemble(LOOKUP_TWICE).unwrap(), &set)
                .unwrap();
            let what = format!("{backend} {kind:?} verify {verify}");
            if kind == MapType::HashOfMaps {
                assert_eq!(prog.execute(&mut []), Ok(1), "{what}: empty");
            }
            let held = Arc::new(Map::new(inner).unwrap());
            held.update(&3u32.to_le_bytes(), &7u64.to_le_bytes(), 0)
                .unwrap();
            outer.set_inner(&0u32.to_le_bytes(), held.clone()).unwrap();
            assert_eq!(prog.execute(&mut []), Ok(1007), "{what}");
            held.update(&3u32.to_le_bytes(), &42u64.to_le_bytes(), 0)
                .unwrap();
            assert_eq!(prog.execute(&mut []), Ok(1042), "{what}");
        }
    }
}

#[test]
fn an_inner_map_is_a_map_not_memory_and_may_be_null() {
    let (set, _, _) = outer(MapType::ArrayOfMaps);
    let vm = Vm::new("interp").unwrap();
    let head = "stw [%r10-4], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\n";
    let refused = |tail: &str, why: &str| {
        let src = format!("{head}{tail}");
        let e = vm
            .load_with_maps(assemble(&src).unwrap(), &set)
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{tail}: {e}");
    };
    // Read as memory, after the null check.
    refused(
        "jeq %r0, 0, +2\nldxw %r0, [%r0]\nexit\nmov %r0, 0\nexit",
        "is not memory a program may access",
    );
    // Used as a map before the null check.
    refused(
        "mov %r1, %r0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 0\nexit",
        "must be a map",
    );
}

fn loader_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/loader/tests/fixtures/{name}.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A VM for the loader's fixtures, whose `xdp` programs read their context as raw bytes.
fn raw_vm(backend: &str) -> Vm {
    let mut vm = Vm::new(backend).unwrap();
    vm.use_section_types(false);
    vm
}

#[test]
fn btf_maps_of_maps_hold_the_maps_their_initial_values_name() {
    for backend in BACKENDS {
        let vm = raw_vm(backend);
        let obj = vm.open_elf(&loader_fixture("btf-mim")).unwrap();
        let set = |name: &str, v: i32| {
            obj.map(name)
                .unwrap()
                .update(&0i32.to_le_bytes(), &v.to_le_bytes(), 0)
                .unwrap()
        };
        set("inner_map1", 7);
        set("inner_map2", 5);
        let prog = obj.load(&vm, Some("lookups")).unwrap();
        let run = |k: u8| prog.execute(&mut [k]).map(|r| r as i32);
        assert_eq!(run(0), Ok(5), "{backend}: slot 0 holds inner_map2");
        assert_eq!(run(2), Ok(7), "{backend}: slot 2 holds inner_map1");
        assert_eq!(run(1), Ok(-1), "{backend}: slot 1 is empty");
        // A hash of maps the host fills: a map of its template.
        let outer_hash = obj.map("outer_hash").unwrap();
        let template = outer_hash.def().inner.as_deref().unwrap().clone();
        let held = Arc::new(Map::new(template).unwrap());
        outer_hash.set_inner(&2i32.to_le_bytes(), held).unwrap();
        assert_eq!(run(2), Ok(1007), "{backend}");
    }
}

#[test]
fn program_arrays_get_the_tail_call_targets_their_initial_values_name() {
    for backend in BACKENDS {
        let vm = raw_vm(backend);
        let obj = vm.open_elf(&loader_fixture("btf-init")).unwrap();
        let programs = obj.load_all(&vm).unwrap();
        let entry = &programs.iter().find(|(n, _)| n == "entry").unwrap().1;
        let run = |k: u8| entry.execute(&mut [k]).map(|r| r as i32);
        assert_eq!(run(1), Ok(1), "{backend}: slot 1 is tail_one");
        assert_eq!(run(3), Ok(3), "{backend}: slot 3 is tail_three");
        assert_eq!(
            run(2),
            Ok(-1),
            "{backend}: slot 2 is empty: the tail call fails"
        );
    }
}
