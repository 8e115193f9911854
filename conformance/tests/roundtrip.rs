//! For every file of the suite: assembly → bytes → disassembly → bytes gives the same bytes, and
//! raw programs decode and re-encode to themselves.

use oxbpf::Insn;
use oxbpf::asm::assemble;
use oxbpf::isa::{decode, encode};
use oxbpf_conformance::data::{Parsed, parse};
use oxbpf_conformance::{data_dir, runner::data_files};

fn disassemble(insns: &[Insn]) -> String {
    insns
        .iter()
        .filter(|i| !matches!(i, Insn::LoadImm64Tail))
        .map(|i| format!("{i}\n"))
        .collect()
}

#[test]
fn every_suite_program_round_trips_through_text() {
    let dir = data_dir();
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "conformance data missing at {}",
            dir.display()
        );
        eprintln!("skipping: conformance data not found at {}", dir.display());
        return;
    }
    let mut checked = 0;
    for path in data_files(&dir).unwrap() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(Parsed::Case(case)) = parse(&text) else {
            panic!("{}: unreadable", path.display())
        };
        let bytes = if case.raw.is_empty() {
            encode(&assemble(&case.asm).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        } else {
            case.raw.clone()
        };
        let insns = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(encode(&insns), bytes, "{}: decode/encode", path.display());
        let listing = disassemble(&insns);
        let again =
            assemble(&listing).unwrap_or_else(|e| panic!("{}: {e}\n{listing}", path.display()));
        assert_eq!(
            encode(&again),
            bytes,
            "{}: disassembly does not reassemble:\n{listing}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 313, "checked {checked} files");
}
