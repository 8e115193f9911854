//! Random text as assembly: the assembler must return instructions or an error, and whatever it
//! accepts must disassemble and reassemble to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::asm::assemble;
use oxbpf::isa::encode;
use oxbpf::Insn;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(insns) = assemble(text) else { return };
    let listing: String = insns
        .iter()
        .filter(|i| !matches!(i, Insn::LoadImm64Tail))
        .map(|i| format!("{i}\n"))
        .collect();
    let again = assemble(&listing).expect("disassembly reassembles");
    assert_eq!(encode(&again), encode(&insns));
});
