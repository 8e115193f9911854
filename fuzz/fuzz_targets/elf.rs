//! Random bytes as an ELF object: parsing, linking every program and loading it must return a
//! value or an error, never panic; whatever loads runs under a budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::{Config, ElfObject, Vm};

fuzz_target!(|data: &[u8]| {
    let Ok(obj) = ElfObject::parse(data) else { return };
    let config = Config {
        instruction_budget: Some(10_000),
        ..Config::default()
    };
    let vm = Vm::with_config("interp", config).unwrap();
    for p in obj.programs() {
        if let Ok(loaded) = vm.load_elf(data, Some(&p.name)) {
            let _ = loaded.execute(&mut [0u8; 64]);
        }
    }
});
