//! Must-accept neighbours: safe programs real code is made of.

use crate::asm::{look, prog, prog_fn, reserve};
use crate::harness::{Case, accept};
use crate::host_helpers::{COUNT, NUDGE};
use crate::maps::{array, ring};

pub(crate) fn must_accept() -> Vec<Case> {
    vec![
        accept(
            "memout_helper_then_numbers",
            "a MemOut helper fills a stack buffer, read back as numbers",
            prog(&format!(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall {COUNT}\nldxdw %r0, [%r10-16]\n\
                 ldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n"
            )),
        ),
        accept(
            "lookup_check_store_every_width",
            "map lookup, null check, stores of every width into a writable value",
            prog(&format!(
                "{}stb [%r0+0], 1\nsth [%r0+2], 2\nstw [%r0+4], 3\nstdw [%r0+8], 4\n\
                 ldxdw %r0, [%r0+8]\nexit\n",
                look()
            )),
        ),
        accept(
            "number_over_spilled_number",
            "a number stored over a spilled number",
            prog("stdw [%r10-8], 5\nstdw [%r10-8], 7\nldxdw %r0, [%r10-8]\nexit\n"),
        ),
        accept(
            "number_over_spilled_pointer",
            "a number stored over a spilled pointer, read back as a number",
            prog("stxdw [%r10-8], %r10\nstdw [%r10-8], 9\nldxdw %r0, [%r10-8]\nexit\n"),
        ),
        accept(
            "probe_read_from_context",
            "probe_read of 16 context bytes into the stack",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 56\ncall 4\n\
                 ldxdw %r0, [%r10-16]\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n",
            ),
        ),
        accept(
            "comm_into_stack",
            "get_current_comm into a stack buffer",
            prog("mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nldxb %r0, [%r10-16]\nexit\n"),
        ),
        accept(
            "update_then_lookup",
            "map_update_elem from stack numbers, then lookup and load",
            prog(&format!(
                "stdw [%r10-16], 11\nstdw [%r10-8], 22\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
                 {}ldxdw %r0, [%r0+8]\nexit\n",
                look()
            )),
        ),
        accept(
            "callee_fills_caller_buffer",
            "a callee stores into the caller's buffer through a pointer argument",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -16\ncall local f\nldxdw %r0, [%r10-16]\n\
                 ldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\n",
                "f:\nstdw [%r1+0], 33\nstdw [%r1+8], 44\nmov %r0, 0\nexit\n",
            ),
        ),
        accept(
            "loop_over_value_bytes",
            "a loop storing every byte of a 16-byte value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstxb [%r1+0], %r7\n\
                 add %r7, 1\njlt %r7, 16, loop\nldxb %r0, [%r0+15]\nexit\n",
                look()
            )),
        ),
        accept(
            "spilled_pointer_survives_helper_elsewhere",
            "a MemOut helper writes fp-32..-16; the pointer spilled at fp-8 stays usable",
            prog(&format!(
                "{}stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 16\ncall {COUNT}\n\
                 ldxdw %r1, [%r10-8]\nstdw [%r1+0], 5\nldxdw %r0, [%r1+0]\nexit\n",
                look()
            )),
        ),
        accept(
            "spilled_pointer_beside_memout",
            "a MemOut helper writes fp-16..-8, next to a pointer spilled at fp-8",
            prog(&format!(
                "{}stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\ncall {COUNT}\n\
                 ldxdw %r1, [%r10-8]\nstdw [%r1+0], 6\nldxdw %r0, [%r10-16]\nexit\n",
                look()
            )),
        ),
        accept(
            "probe_read_over_spilled_number",
            "probe_read over a spilled number, used as a number",
            prog(
                "stdw [%r10-8], 3\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 56\ncall 4\nldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "masked_index_into_value",
            "value + (x & 7), 8 bytes stored",
            prog(&format!(
                "ldxdw %r7, [%r6+56]\nand %r7, 7\n{}add %r0, %r7\nstdw [%r0+0], 1\nmov %r0, 0\n\
                 exit\n",
                look()
            )),
        ),
        accept(
            "ring_record_reserve_store_submit",
            "ringbuf_reserve, stores, ringbuf_submit",
            prog(&format!(
                "{}stdw [%r0+0], 1\nstdw [%r0+8], 2\nmov %r1, %r0\nmov %r2, 0\ncall 132\n\
                 mov %r0, 1\nexit\n",
                reserve(1, 16)
            )),
        )
        .maps(&[array(), ring()]),
        accept(
            "refilled_length_bounded_before_use",
            "a length refilled by a MemOut helper, masked before it indexes the stack",
            prog(&format!(
                "stdw [%r10-8], 8\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall {COUNT}\n\
                 ldxdw %r3, [%r10-8]\nand %r3, 7\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r3\n\
                 stb [%r4+0], 1\nmov %r0, 0\nexit\n"
            )),
        ),
        accept(
            "context_bounded_by_length",
            "a load the length check covers",
            prog("ldxdw %r0, [%r6+88]\nexit\n"),
        ),
        accept(
            "callx_of_constant_lookup",
            "callx of a constant helper id (map_lookup_elem), checked and stored through",
            prog(
                "mov %r7, 1\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\n\
                 call %r7\njeq %r0, 0, out\nstdw [%r0+0], 3\nmov %r0, 3\nexit\n",
            ),
        ),
        accept(
            "null_check_on_copy",
            "map_lookup_elem's result copied, the original checked, the copy stored through",
            prog(
                "stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n\
                 mov %r7, %r0\njeq %r0, 0, out\nstb [%r7+0], 1\nldxb %r0, [%r7+0]\nexit\n",
            ),
        ),
        accept(
            "index_checked_against_length",
            "an index checked < len, a byte loaded at ctx + index",
            prog(
                "ldxdw %r7, [%r6+56]\njge %r7, %r2, out\nmov %r1, %r6\nadd %r1, %r7\n\
                 ldxb %r0, [%r1+0]\nexit\n",
            ),
        ),
        accept(
            "unknown_helper_on_numbers_assumed_worst",
            "a helper without prototype changes a spilled number, read back as a number",
            prog(&format!(
                "stdw [%r10-8], 5\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 2\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r0, [%r10-8]\nexit\n"
            )),
        )
        .worst(),
    ]
}
