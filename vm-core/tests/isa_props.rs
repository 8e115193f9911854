//! Properties of the one decoder, the encoder, the disassembler and the assembler.

use oxbpf_test_support::strategy;

use oxbpf_core::asm::assemble;
use oxbpf_core::isa::{Insn, decode, decode_one, encode};
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(20_000))]

    /// decode(encode(insn)) = insn for every valid instruction.
    #[test]
    fn decode_inverts_encode(insn in strategy::insn()) {
        let prog = strategy::to_program(vec![insn]);
        let bytes = encode(&prog);
        prop_assert_eq!(decode(&bytes).unwrap(), prog);
    }

    /// The disassembly of every valid instruction assembles back to the same instruction.
    #[test]
    fn assemble_inverts_display(insn in strategy::insn()) {
        let prog = strategy::to_program(vec![insn]);
        let text: Vec<String> = prog.iter().filter(|i| **i != Insn::LoadImm64Tail).map(|i| i.to_string()).collect();
        let back = assemble(&text.join("\n"));
        prop_assert_eq!(back, Ok(prog), "text: {:?}", text);
    }

    /// encode(decode(bytes)) = bytes for every pair of slots the decoder accepts: every valid
    /// instruction has exactly one encoding.
    #[test]
    fn encode_inverts_decode(slot in any::<[u8; 8]>(), next in any::<[u8; 8]>()) {
        if let Ok(insn) = decode_one(&slot, Some(&next)) {
            let mut prog = vec![insn];
            if matches!(insn, Insn::LoadImm64 { .. }) {
                prog.push(Insn::LoadImm64Tail);
            }
            let bytes = encode(&prog);
            prop_assert_eq!(&bytes[..8], &slot[..]);
            if bytes.len() == 16 {
                prop_assert_eq!(&bytes[8..], &next[..]);
            }
        }
    }
}

/// For every opcode byte, field patterns that the decoder accepts re-encode to the same bytes,
/// and each of the 256 opcodes either decodes with all-zero fields or is reported unknown.
#[test]
fn every_opcode_with_fixed_field_patterns() {
    let fields: [(u8, i16, i32); 8] = [
        (0, 0, 0),
        (0x21, 0, 0),
        (0, 1, 0),
        (0, 0, 16),
        (0x12, -3, 0x40),
        (0, 8, 0),
        (0x3a, 0, 64),
        (0, 0, 0xf1),
    ];
    let mut accepted = 0;
    for opcode in 0..=255u8 {
        for (regs, off, imm) in fields {
            let mut slot = [0u8; 8];
            slot[0] = opcode;
            slot[1] = regs;
            slot[2..4].copy_from_slice(&off.to_le_bytes());
            slot[4..].copy_from_slice(&imm.to_le_bytes());
            let next = [0u8; 8];
            if let Ok(insn) = decode_one(&slot, Some(&next)) {
                accepted += 1;
                let mut prog = vec![insn];
                if matches!(insn, Insn::LoadImm64 { .. }) {
                    prog.push(Insn::LoadImm64Tail);
                }
                assert_eq!(&encode(&prog)[..8], &slot[..], "{insn}");
            }
        }
    }
    assert!(accepted > 200, "only {accepted} patterns decoded");
}

proptest! {
    #![proptest_config(cases(100_000))]

    /// Random bytes never make the decoder panic; a failure names a slot inside the input.
    #[test]
    fn random_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        match decode(&bytes) {
            Ok(insns) => prop_assert_eq!(insns.len() * 8, bytes.len()),
            Err(e) => prop_assert!(e.pc <= bytes.len() / 8),
        }
    }

    /// Random text never makes the assembler panic.
    #[test]
    fn random_text_assembles_without_panic(text in asm_text()) {
        let _ = assemble(&text);
    }
}

/// Text built from the dialect's own tokens plus noise, to reach deep into the parser.
fn asm_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => proptest::sample::select(vec![
            "mov", "add32", "lddw", "ldxdw", "stxb", "stw", "lock", "fetch", "cmpxchg32", "xchg", "ja", "ja32",
            "jeq", "jsle32", "call", "local", "runtime", "exit", "neg", "be16", "bswap64", "movsx3264", "ldabsw",
            "ldindh", "map_fd", "map_value", "label:", "exit:", "%r0", "%r10", "%r11", "%r", "%r1,", "[%r1+4]",
            "[%r10-8],", "[%r1]", "[%r1+0x10000]", "[%r1-]", "[", "]", "+1", "-1", "+99999999999", "0x", "0xffffffff",
            "0x100000000", "-2147483648", "2147483648", "label", ",", "#", ";", "\n", "\n", "\n",
        ]).prop_map(str::to_owned),
        1 => "[ -~]{0,6}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(token, 0..24).prop_map(|t| t.join(" "))
}
