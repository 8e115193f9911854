//! Contained programs: accepted only with the run-time check that stops them.

use crate::asm::{STB_R1, look, prog, prog_fn};
use crate::harness::{Case, contain};
use crate::host_helpers::NUDGE;
use crate::maps::{array, queue};

/// Stores at ctx+96, one past the context, if the number in r3 says the context is 104 bytes.
const STORE_IF_R3_104: &str = "jlt %r3, 104, out\nstdw [%r6+96], 0x41\nmov %r0, 0\nexit\n";

pub(crate) fn contained() -> Vec<Case> {
    vec![
        contain(
            "length_copy_plus_16",
            "len + 16 >= 112 taken for len >= 112; ldxdw at ctx+96",
            prog("mov %r3, %r2\nadd %r3, 16\njlt %r3, 112, out\nldxdw %r0, [%r6+96]\nexit\n"),
        ),
        contain(
            "length_spilled_and_nudged",
            "the length spilled, grown by a helper without prototype, then trusted",
            prog(&format!(
                "stxdw [%r10-16], %r2\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 64\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r3, [%r10-16]\n{STORE_IF_R3_104}"
            )),
        )
        .worst(),
        contain(
            "length_spilled_and_probe_read_over",
            "the length spilled, overwritten by probe_read with 104, then trusted",
            prog(&format!(
                "stxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 24\ncall 4\nldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
            )),
        ),
        contain(
            "length_spilled_and_rewritten_by_callee",
            "the length spilled, rewritten to 200 by a callee, then trusted",
            prog_fn(
                &format!(
                    "stxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\n\
                     ldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
                ),
                "f:\nstdw [%r1+0], 200\nmov %r0, 0\nexit\n",
            ),
        ),
        contain(
            "length_spilled_and_popped_over",
            "the length spilled, overwritten by map_pop_elem, then trusted",
            prog(&format!(
                "stxdw [%r10-8], %r2\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 ldxdw %r3, [%r10-8]\n{STORE_IF_R3_104}"
            )),
        )
        .maps(&[array(), queue(8)]),
        contain(
            "length_after_unknown_callx",
            "the length spilled, overwritten by a callx of a computed id (probe_read)",
            prog(&format!(
                "stxdw [%r10-16], %r2\nldxdw %r5, [%r6+48]\nadd %r5, 3\nmov %r1, %r10\n\
                 add %r1, -16\nmov %r2, 8\nmov %r3, %r6\nadd %r3, 24\ncall %r5\n\
                 ldxdw %r3, [%r10-16]\n{STORE_IF_R3_104}"
            )),
        )
        .worst(),
        contain(
            "length_through_map_value",
            "the length stored into a map value, read back plus 8, then trusted",
            prog(&format!(
                "mov %r9, %r2\n{}stxdw [%r0+0], %r9\nldxdw %r3, [%r0+0]\nadd %r3, 8\n\
                 {STORE_IF_R3_104}",
                look()
            )),
        ),
        contain(
            "length_compared_backwards",
            "104 < len taken the wrong way round; ldxdw at ctx+96",
            prog("mov %r3, 104\njlt %r3, %r2, out\nldxdw %r0, [%r6+96]\nexit\n"),
        ),
        contain(
            "index_checked_against_length_off_by_one",
            "an index checked <= len, a byte loaded at ctx + index",
            prog(
                "ldxdw %r7, [%r6+64]\nmul %r7, 6\njgt %r7, %r2, out\nmov %r1, %r6\n\
                 add %r1, %r7\nldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        contain(
            "context_plus_16_bit_index",
            "ctx + (x & 0xffff), a byte loaded",
            prog(
                "ldxdw %r7, [%r6+24]\nand %r7, 0xffff\nmov %r1, %r6\nadd %r1, %r7\n\
                 ldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        contain(
            "context_index_from_narrow_spill",
            "104 spilled in 4 bytes, reloaded, ctx + it stored through",
            prog(&format!(
                "stw [%r10-4], 104\nldxw %r7, [%r10-4]\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        ),
    ]
}
